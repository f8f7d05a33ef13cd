#include "replication/etcd_committer.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <set>
#include <string_view>

#include "replication/etcd_errors.h"
#include "replication/compare_merge.h"
#include "replication/etcd_txn_fanout.h"
#include "replication/etcd_txn_shape.h"

namespace petacore::replication {
namespace {

using etcdlink::Compare;
using etcdlink::Op;

constexpr size_t kOpOverheadBytes = 24;  // per op: tags, lengths, revision fields

/// Whether a request commits whenever its batch does (no guards, no compares).
bool Unconditional(const CommitRequest& req) {
  return req.guards.empty() && req.compares.empty() && req.range_compares.empty();
}

/// How one Txn is built: the etcd prefix, the leased keys, and the request's own message
/// record key ("" = its messages travel in the batch's shared record).
struct TxnShape {
  const std::string& prefix;
  const GroupCommitOptions& options;
  int64_t lease = 0;
  std::string record_key;
  /// The request's compares do not fit one Txn list: they travel as a CheckTree
  /// (etcd_txn_fanout.h), and a failing one makes etcd refuse the whole Txn.
  bool checked = false;
  /// The request's WATCHed keys do not fit the outer compare list: a CheckTree of their own.
  bool guards_checked = false;
};

/// A key under the prefix that no Txn writes: the Range a check leaf's failure branch reads at
/// a future revision, which etcd refuses (CheckTree).
constexpr std::string_view kCheckProbeKey = "\xff" "check-probe";
/// Keys under the prefix that no Txn writes: a guard CheckTree's leaf i puts kGuardProbeKey + i
/// with ignore_value, which etcd refuses for an absent key (BuildRequestTxn).
constexpr std::string_view kGuardProbeKey = "\xff" "guard-probe/";

/// Appends the request's writes (and its own message record, if any) to `ops`.
void AppendWrites(const TxnShape& shape, CommitRequest& req, bool move_values,
                  std::vector<Op>* ops) {
  const std::string& prefix = shape.prefix;
  for (auto& w : req.writes) {
    switch (w.kind) {
      case WriteOp::Kind::kPut: {
        int64_t lease = !shape.options.leased_prefix.empty() &&
                                w.key.starts_with(shape.options.leased_prefix)
                            ? shape.lease
                            : 0;
        ops->push_back(Op::Put(prefix + w.key,
                               move_values ? std::move(w.value) : std::string(w.value), lease));
        break;
      }
      case WriteOp::Kind::kDelete:
        ops->push_back(Op::Delete(prefix + w.key));
        break;
      case WriteOp::Kind::kDeleteRange:
        ops->push_back(Op::Delete(prefix + w.key, prefix + w.range_end));
        break;
    }
  }
  if (!shape.record_key.empty() && !req.messages.empty()) {
    ops->push_back(Op::Put(prefix + shape.record_key,
                           move_values ? std::move(req.messages) : req.messages));
  }
}

/// The etcd Compare of a KeyRevision: MOD equal, or for an absent key a range tombstone may
/// have deleted logically, MOD below the tombstone's revision.
Compare KeyCompare(const std::string& prefix, const KeyRevision& k) {
  if (k.mod_revision != 0 || k.absent_below == 0) {
    return Compare::ModEquals(prefix + k.key, k.mod_revision);
  }
  Compare c;
  c.target = Compare::Target::kMod;
  c.result = Compare::Result::kLess;
  c.key = prefix + k.key;
  c.number = k.absent_below;
  return c;
}

/// The etcd compares of a request: its keys' and its ranges'.
std::vector<Compare> EtcdCompares(const std::string& prefix, const CommitRequest& req) {
  std::vector<Compare> out;
  out.reserve(req.compares.size() + req.range_compares.size());
  for (const auto& c : req.compares) out.push_back(KeyCompare(prefix, c));
  for (const auto& r : req.range_compares) {
    Compare c;
    c.target = Compare::Target::kMod;
    c.result = Compare::Result::kLess;
    c.key = prefix + r.key;
    c.range_end = prefix + r.range_end;
    c.number = r.revision + 1;
    out.push_back(std::move(c));
  }
  return out;
}

/// Compares plus writes, and the failure branch that reads back the compared keys. `budget`:
/// the operations etcd's --max-txn-ops check leaves this Txn (etcd_txn_fanout.h); writes
/// beyond it are nested. A checked request (TxnShape::checked) has no compares of its own:
/// Txn{success: [CheckTree(compares), Txn{success: writes}]}, each child with budget − 2.
std::shared_ptr<etcdlink::TxnRequest> BuildWriteTxn(const TxnShape& shape, CommitRequest& req,
                                                    bool move_values, size_t budget) {
  const std::string& prefix = shape.prefix;
  auto txn = std::make_shared<etcdlink::TxnRequest>();
  std::vector<Op> writes;
  writes.reserve(req.writes.size() + 1);
  AppendWrites(shape, req, move_values, &writes);
  if (shape.checked) {
    const size_t child_budget = budget > 2 ? budget - 2 : 0;
    Op probe = Op::Get(prefix + std::string(kCheckProbeKey));
    probe.revision = std::numeric_limits<int64_t>::max();
    txn->success.push_back(Op::Nested(
        CheckTree(EtcdCompares(prefix, req), child_budget, [&probe](size_t) { return probe; })));
    auto write = std::make_shared<etcdlink::TxnRequest>();
    AppendFannedOut(std::move(writes), child_budget, 0, &write->success);
    txn->success.push_back(Op::Nested(std::move(write)));
    return txn;
  }
  txn->compare = EtcdCompares(prefix, req);
  for (const auto& c : req.compares) txn->failure.push_back(Op::Get(prefix + c.key));
  AppendFannedOut(std::move(writes), budget, txn->compare.size(), &txn->success);
  return txn;
}

/// What etcd leaves the write Txn of a request whose own Txn has `budget`: guards nest it
/// under a Txn of their own, whose list is the guards or, `guards_checked`, [their CheckTree,
/// the write Txn].
size_t WriteBudget(const CommitRequest& req, bool guards_checked, size_t budget) {
  if (req.guards.empty()) return budget;
  const size_t opc = guards_checked ? 2 : std::max<size_t>(req.guards.size(), 1);
  return budget > opc ? budget - opc : 0;
}

/// The Txn of one request: guarded requests nest their write Txn under the guards, or, when
/// TxnShape::guards_checked, beside a CheckTree of the guards whose leaves fail with a Put
/// (ignore_value) of an absent probe key: etcd checks Puts before Ranges, so a failed guard is
/// told apart from a failed compare even when both fail.
std::shared_ptr<etcdlink::TxnRequest> BuildRequestTxn(const TxnShape& shape, CommitRequest& req,
                                                      bool move_values, size_t budget) {
  const std::string& prefix = shape.prefix;
  const size_t write_budget = WriteBudget(req, shape.guards_checked, budget);
  auto inner = BuildWriteTxn(shape, req, move_values, write_budget);
  if (req.guards.empty()) return inner;
  auto outer = std::make_shared<etcdlink::TxnRequest>();
  if (shape.guards_checked) {
    std::vector<Compare> guards;
    guards.reserve(req.guards.size());
    for (const auto& g : req.guards) guards.push_back(KeyCompare(prefix, g));
    const std::string probe = prefix + std::string(kGuardProbeKey);
    outer->success.push_back(Op::Nested(CheckTree(std::move(guards), write_budget, [&](size_t i) {
      Op put = Op::Put(probe + std::to_string(i), {});
      put.ignore_value = true;
      return put;
    })));
    outer->success.push_back(Op::Nested(inner));
    return outer;
  }
  for (const auto& g : req.guards) outer->compare.push_back(KeyCompare(prefix, g));
  outer->success.push_back(Op::Nested(inner));
  return outer;
}

/// The refusal of a request whose compares leave too little of --max-txn-ops (nothing sent).
std::string TooManyComparesReply(size_t guards, size_t compares, size_t writes,
                                 size_t max_txn_ops) {
  return "ERR too many keys for one etcd transaction: the command (with its WATCHed keys) "
         "compares " + std::to_string(guards + compares) + " keys and makes " +
         std::to_string(writes) + " writes, and etcd allows " + std::to_string(max_txn_ops) +
         " compares per transaction (--max-txn-ops), fewer when the writes need room; "
         "nothing was applied. Raise etcd's --max-txn-ops and PetaCore's etcd-max-txn-ops, "
         "or touch fewer keys per command";
}

/// Whether a committed write Txn changed anything (a put, or a delete that found a key),
/// looking into the nested Txns its writes may have been fanned out to.
bool Changed(const etcdlink::TxnResponse& resp) {
  for (const auto& r : resp.responses) {
    if (r.kind == Op::Kind::kPut || r.deleted > 0) return true;
    if (r.txn && Changed(*r.txn)) return true;
  }
  return false;
}

/// The result of one request from its (sub-)response; `revision` is the batch's revision.
CommitResult Interpret(const CommitRequest& req, bool guards_checked,
                       const etcdlink::TxnResponse& resp, int64_t revision) {
  CommitResult result;
  const etcdlink::TxnResponse* write = &resp;
  if (!req.guards.empty()) {
    if (!resp.succeeded) {
      result.status = CommitResult::Status::kGuardFailed;
      return result;
    }
    const size_t at = guards_checked ? 1 : 0;  // after the guards' CheckTree
    if (resp.responses.size() <= at || !resp.responses[at].txn) {
      result.error = "ERR etcd: malformed nested Txn response";
      return result;
    }
    write = resp.responses[at].txn.get();
  }
  if (write->succeeded) {
    result.status = CommitResult::Status::kCommitted;
    // A Txn whose writes all were deletes of absent keys makes no revision (etcd §3.2);
    // then there is nothing to wait for.
    // A request whose messages went into the batch's shared record wrote in this revision
    // too: its reply must wait until the revision is applied here.
    const bool changed = !req.messages.empty() || Changed(*write);
    result.revision = changed ? revision : 0;
    return result;
  }
  // A conflict: wait for the newest mod_revision among the compared keys as etcd has them
  // now. A key that is gone (deleted) has none to show: then the revision is only a guess.
  result.status = CommitResult::Status::kConflict;
  int64_t newest = 0;
  size_t found = 0;
  for (const auto& r : write->responses) {
    for (const auto& kv : r.kvs) {
      newest = std::max(newest, kv.mod_revision);
      ++found;
    }
  }
  // A failed range compare shows no revision to wait for (the range is not read back).
  result.exact = found >= req.compares.size() && req.range_compares.empty();
  result.revision = result.exact ? newest : revision;
  return result;
}

/// Whether two requests write a common key (etcd refuses that inside one Txn).
class KeySet {
 public:
  bool Overlaps(const CommitRequest& req) const {
    for (const auto& w : req.writes) {
      if (w.kind == WriteOp::Kind::kDeleteRange) {
        auto it = points_.lower_bound(w.key);
        if (it != points_.end() && (w.range_end.empty() || *it < w.range_end)) return true;
        for (const auto& [s, e] : ranges_) {
          if ((e.empty() || w.key < e) && (w.range_end.empty() || s < w.range_end)) return true;
        }
      } else {
        if (points_.count(w.key)) return true;
        for (const auto& [s, e] : ranges_) {
          if (w.key >= s && (e.empty() || w.key < e)) return true;
        }
      }
    }
    return false;
  }
  void Add(const CommitRequest& req) {
    for (const auto& w : req.writes) {
      if (w.kind == WriteOp::Kind::kDeleteRange) {
        ranges_.emplace_back(w.key, w.range_end);
      } else {
        points_.insert(w.key);
      }
    }
  }

 private:
  std::set<std::string> points_;
  std::vector<std::pair<std::string, std::string>> ranges_;
};

}  // namespace

void EtcdCommitter::Commit(CommitRequest request, std::function<void(CommitResult)> done) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  InlineStaged(&request);  // a ChunkingCommitter above sent them already (none left here)
  CutRangeDeletesAroundKeys(&request.writes);  // etcd: no key written twice in one Txn
  // Alone, the request has the whole budget; writes beyond a list nest (etcd_txn_fanout.h).
  // Compares cannot nest as such: those of absent keys may merge into range compares
  // (compare_merge.h), and what still does not fit goes into a CheckTree, whose one failing
  // compare makes etcd refuse the whole Txn (the request then travels alone). WATCHed keys
  // are the outer compare, or a CheckTree of their own when they leave too little room.
  const size_t write_ops = request.writes.size() + (request.messages.empty() ? 0 : 1);
  bool checked = false, merged = false;
  auto fits = [&](size_t write_budget) {
    size_t own = request.compares.size() + request.range_compares.size();
    if (FanOutCapacity(write_budget, own) >= write_ops) return true;
    size_t fit = std::min(own, write_budget);
    while (fit > 0 && FanOutCapacity(write_budget, fit) < write_ops) --fit;
    if (fit > 0 && MergeAbsentCompares(&request, fit)) {
      merged = true;  // counted once below, though a second plan may merge further
      own = request.compares.size() + request.range_compares.size();
      if (FanOutCapacity(write_budget, own) >= write_ops) return true;
    }
    const size_t checked_budget = write_budget > 2 ? write_budget - 2 : 0;
    checked = own > 0 && FanOutCapacity(checked_budget, 0) >= std::max(own, write_ops);
    return checked;
  };
  const size_t tree_budget = options_.max_txn_ops > 2 ? options_.max_txn_ops - 2 : 0;
  bool guards_checked = false;
  if (request.guards.size() > options_.max_txn_ops ||
      !fits(WriteBudget(request, false, options_.max_txn_ops))) {
    guards_checked = !request.guards.empty() &&
                     FanOutCapacity(tree_budget, 0) >= request.guards.size() &&
                     fits(WriteBudget(request, true, options_.max_txn_ops));
    if (!guards_checked) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      CommitResult r;
      r.error = TooManyComparesReply(request.guards.size(),
                                     request.compares.size() + request.range_compares.size(),
                                     write_ops, options_.max_txn_ops);
      done(std::move(r));
      return;
    }
  }
  if (merged) compares_merged_.fetch_add(1, std::memory_order_relaxed);
  if (checked || guards_checked) compares_checked_.fetch_add(1, std::memory_order_relaxed);
  Pending p;
  p.max_list = std::max(request.compares.size() + request.range_compares.size(),
                        request.writes.size() + 1);  // + its message record
  p.bytes = request.messages.size() + kOpOverheadBytes;
  p.bytes += prefix_.size() * (request.compares.size() * 2 + request.guards.size());
  for (const auto& w : request.writes) {
    p.bytes += kOpOverheadBytes + prefix_.size() + w.key.size() + w.value.size() +
               w.range_end.size();
  }
  for (const auto& c : request.compares) p.bytes += 2 * (kOpOverheadBytes + c.key.size());
  for (const auto& g : request.guards) p.bytes += kOpOverheadBytes + g.key.size();
  p.request = std::move(request);
  p.done = std::move(done);
  p.checked = checked;
  p.guards_checked = guards_checked;
  // A failing check refuses its whole Txn: it must not take others along.
  p.solo = checked || guards_checked;
  std::unique_lock lock(mu_);
  if (!p.request.background) ++queued_clients_;
  queue_.push_back(std::move(p));
  SendReady(lock);
}

EtcdCommitter::EtcdCommitter(etcdlink::Client& client, std::string prefix,
                             GroupCommitOptions options)
    : client_(client), prefix_(std::move(prefix)), options_(std::move(options)) {
  if (options_.linger_us > 0) linger_thread_ = std::thread([this] { LingerLoop(); });
}

EtcdCommitter::~EtcdCommitter() {
  std::unique_lock lock(mu_);
  stopping_ = true;  // no new linger; what waits in one leaves now
  linger_target_ = 0;
  SendReady(lock);
  linger_cv_.notify_all();
  idle_.wait(lock, [this] { return in_flight_ == 0; });
  lock.unlock();
  if (linger_thread_.joinable()) linger_thread_.join();
}

bool EtcdCommitter::Lingering() const {
  return linger_target_ != 0 && queued_clients_ < linger_target_ &&
         std::chrono::steady_clock::now() < linger_deadline_;
}

void EtcdCommitter::SendReady(std::unique_lock<std::mutex>& lock) {
  while (in_flight_ < options_.max_in_flight && !queue_.empty()) {
    if (linger_target_ != 0) {
      if (Lingering()) return;  // the cohort is still coming back
      EndLinger();
    }
    Batch batch = TakeBatch();
    ++in_flight_;
    lock.unlock();
    Send(std::move(batch));
    lock.lock();
  }
}

void EtcdCommitter::EndLinger() {
  if (queued_clients_ >= linger_target_) {
    linger_merged_.fetch_add(1, std::memory_order_relaxed);
    linger_backoff_ = 0;
  } else {  // the writers did not come back: back off before lingering again
    linger_expired_.fetch_add(1, std::memory_order_relaxed);
    linger_backoff_ = std::min(std::max(1, linger_backoff_ * 2), kLingerMaxBackoff);
    linger_skip_ = linger_backoff_;
  }
  linger_target_ = 0;
}

void EtcdCommitter::LingerLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (linger_target_ == 0) {
      linger_cv_.wait(lock);
    } else if (std::chrono::steady_clock::now() < linger_deadline_) {
      linger_cv_.wait_until(lock, linger_deadline_);
    } else {
      SendReady(lock);  // the linger's time ran out: what is queued leaves
      // Also when nothing was queued; not a new linger a completion started meanwhile.
      if (linger_target_ != 0 && std::chrono::steady_clock::now() >= linger_deadline_) {
        EndLinger();
      }
    }
  }
}

EtcdCommitter::Batch EtcdCommitter::TakeBatch() {
  // Greedy, in arrival order, stopping at the first client request that does not fit, so
  // client requests leave in the order they came. etcd checks every list of a Txn against
  // --max-txn-ops, and nested lists against what the enclosing list leaves: keep the outer
  // list's length (a nested Txn per conditional request, the ops of the unconditional ones,
  // the shared message record) + the longest nested list within.
  Batch batch;
  KeySet keys;
  size_t bytes = 0, longest = 0, outer = 1;  // 1: the batch's shared message record
  // Whether `next` fits the batch as it is; adds it if so.
  auto fits = [&](Pending& next) {
    const bool flat = Unconditional(next.request);
    const size_t next_outer = flat ? next.request.writes.size() : 1;
    const size_t new_longest = flat ? longest : std::max(longest, next.max_list);
    if (!batch.empty()) {
      if (next.solo || batch.front().solo) return false;
      if (outer + next_outer + new_longest > options_.max_txn_ops) return false;
      if (bytes + next.bytes > options_.max_request_bytes) return false;
      if (keys.Overlaps(next.request)) return false;
    }
    keys.Add(next.request);
    bytes += next.bytes;
    outer += next_outer;
    longest = new_longest;
    batch.push_back(std::move(next));
    return true;
  };
  // Client requests first, in arrival order, up to the first that does not fit; then
  // housekeeping (CommitRequest::background) fills what room is left, skipping what does
  // not fit. Housekeeping that waits behind a client request only loses its place in line:
  // each carries its own compare, so a client write to the same key first makes it a
  // conflict (the expirer then looks again), never a lost write.
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->request.background) {
      ++it;
      continue;
    }
    if (!fits(*it)) break;
    it = queue_.erase(it);
    --queued_clients_;
  }
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (!it->request.background) {
      ++it;
      continue;
    }
    if (!fits(*it)) {
      ++it;
      continue;
    }
    it = queue_.erase(it);
  }
  return batch;
}

void EtcdCommitter::Send(Batch batch) {
  txns_.fetch_add(1, std::memory_order_relaxed);
  etcdlink::TxnRequest txn;
  const int64_t lease = options_.lease ? options_.lease() : 0;
  auto record = [this](int slot) { return options_.message_record_prefix + std::to_string(slot); };
  if (batch.size() == 1) {
    // Alone, the values can move into the Txn: a refused single request is not re-sent.
    TxnShape shape{prefix_, options_, lease, record(0), batch[0].checked,
                   batch[0].guards_checked};
    txn = std::move(
        *BuildRequestTxn(shape, batch[0].request, /*move_values=*/true, options_.max_txn_ops));
  } else {
    // In a batch, values are copied: a refused batch re-sends its requests one by one.
    std::string shared_messages;
    int slot = 0;
    // The outer list's length, as TakeBatch counted it: what etcd leaves each nested Txn.
    size_t outer = 0;
    bool shared_record = false;
    for (const auto& p : batch) {
      outer += Unconditional(p.request) ? p.request.writes.size() : 1;
      shared_record |= Unconditional(p.request) && !p.request.messages.empty();
    }
    outer += shared_record ? 1 : 0;
    const size_t nested_budget = options_.max_txn_ops > outer ? options_.max_txn_ops - outer : 0;
    for (auto& p : batch) {
      TxnShape shape{prefix_, options_, lease, {}};
      if (Unconditional(p.request)) {
        shared_messages += p.request.messages;
        p.first_response = txn.success.size();
        AppendWrites(shape, p.request, /*move_values=*/false, &txn.success);
        p.responses = txn.success.size() - p.first_response;
        continue;
      }
      if (!p.request.messages.empty()) shape.record_key = record(++slot);
      p.first_response = txn.success.size();
      p.responses = 1;
      txn.success.push_back(Op::Nested(BuildRequestTxn(shape, p.request, false, nested_budget)));
    }
    if (!shared_messages.empty()) {
      txn.success.push_back(Op::Put(prefix_ + record(0), std::move(shared_messages)));
    }
  }
  auto shared = std::make_shared<Batch>(std::move(batch));
  client_.TxnAsync(txn, [this, shared](absl::StatusOr<etcdlink::TxnResponse> resp) {
    OnBatchDone(std::move(*shared), std::move(resp));
  });
}

void EtcdCommitter::OnBatchDone(Batch batch, absl::StatusOr<etcdlink::TxnResponse> resp) {
  if (!resp.ok() && batch.size() > 1 && RefusedForShape(resp.status())) {
    // Refused before Raft, so nothing was applied: each request goes again, alone, ahead of
    // the queue; one that etcd refuses by itself then gets its own error.
    std::unique_lock lock(mu_);
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
      it->solo = true;
      if (!it->request.background) ++queued_clients_;
      queue_.push_front(std::move(*it));
    }
    --in_flight_;
    SendReady(lock);
    if (in_flight_ == 0) idle_.notify_all();
    return;
  }
  if (!resp.ok() && batch.size() == 1 && batch[0].guards_checked &&
      FailedGuardCheck(resp.status())) {
    // One of its WATCHed keys changed (the guards' CheckTree): a nil EXEC, nothing applied.
    CommitResult r;
    r.status = CommitResult::Status::kGuardFailed;
    batch[0].done(std::move(r));
  } else if (!resp.ok() && batch.size() == 1 && (batch[0].checked || batch[0].guards_checked) &&
             FailedCheck(resp.status())) {
    // One of its checks failed (CheckTree): a conflict, nothing applied. The conflicting
    // change's revision is not known.
    conflicts_.fetch_add(1, std::memory_order_relaxed);
    CommitResult r;
    r.status = CommitResult::Status::kConflict;
    r.exact = false;
    r.revision = 0;
    batch[0].done(std::move(r));
  } else if (!resp.ok()) {
    errors_.fetch_add(static_cast<int64_t>(batch.size()), std::memory_order_relaxed);
    std::string error = CommitErrorReply(resp.status());
    for (auto& p : batch) {
      CommitResult r;
      r.status = CommitResult::Status::kError;
      r.error = error;
      p.done(std::move(r));
    }
  } else if (batch.size() == 1) {
    CommitResult r = Interpret(batch[0].request, batch[0].guards_checked, *resp, resp->revision);
    if (r.status == CommitResult::Status::kConflict) conflicts_.fetch_add(1);
    batch[0].done(std::move(r));
  } else {
    for (size_t i = 0; i < batch.size(); ++i) {
      CommitResult r;
      const Pending& p = batch[i];
      const size_t at = p.first_response;
      if (Unconditional(p.request) && at + p.responses <= resp->responses.size()) {
        // Flat ops: committed with the batch; a revision to wait for if anything changed.
        bool changed = !p.request.messages.empty();
        for (size_t j = at; j < at + p.responses; ++j) {
          const auto& o = resp->responses[j];
          if (o.kind == Op::Kind::kPut || o.deleted > 0) changed = true;
        }
        r.status = CommitResult::Status::kCommitted;
        r.revision = changed ? resp->revision : 0;
      } else if (!Unconditional(p.request) && at < resp->responses.size() &&
                 resp->responses[at].txn) {
        r = Interpret(p.request, p.guards_checked, *resp->responses[at].txn, resp->revision);
      } else {
        r.error = "ERR etcd: malformed batched Txn response";
      }
      if (r.status == CommitResult::Status::kConflict) conflicts_.fetch_add(1);
      batch[i].done(std::move(r));
    }
  }
  size_t cohort = 0;  // the client requests this batch answered
  for (const auto& p : batch) cohort += p.request.background ? 0 : 1;
  std::unique_lock lock(mu_);
  --in_flight_;
  const bool eligible = options_.linger_us > 0 && !stopping_ && in_flight_ == 0 &&
                        cohort >= kLingerMinCohort && resp.ok();
  if (eligible && linger_skip_ > 0) {
    --linger_skip_;  // backing off after an expired linger
  } else if (eligible) {
    // Wait for this batch's writers to come back and leave with those already queued
    // (GroupCommitOptions::linger_us). Each blind write is two ops: cap at what one Txn holds.
    linger_target_ = std::min((cohort + queued_clients_) * 15 / 16, options_.max_txn_ops / 2);
    linger_deadline_ =
        std::chrono::steady_clock::now() + std::chrono::microseconds(options_.linger_us);
    linger_cv_.notify_one();
  }
  SendReady(lock);
  if (in_flight_ == 0) idle_.notify_all();  // the destructor may run once the lock is released
}

}  // namespace petacore::replication
