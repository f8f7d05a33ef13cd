#include "keyspace/txn_view.h"

#include "keyspace/access.h"
#include "keyspace/access_sampler.h"
#include "keyspace/chunked_value.h"
#include "keyspace/incarnation.h"
#include "replication/range_tombstone.h"

#include <algorithm>
#include <array>

namespace petacore::keyspace {

using replication::CommitRequest;
using replication::KeyRevision;
using replication::WriteOp;

namespace {
bool InRange(std::string_view key, const std::string& start, const std::string& end) {
  return key >= start && (end.empty() || key < end);
}
}  // namespace

bool TxnView::InDeletedRange(std::string_view key) const {
  for (const auto& [start, end] : range_deletes_) {
    if (InRange(key, start, end)) return true;
  }
  for (const auto& [start, end] : dropped_) {
    if (InRange(key, start, end)) return true;
  }
  return false;
}

void TxnView::DropRange(std::string_view start, std::string_view end) {
  for (auto it = writes_.lower_bound(start); it != writes_.end() && it->first < end;) {
    it = writes_.erase(it);
  }
  dropped_.emplace_back(std::string(start), std::string(end));
  Put(replication::TombstoneKey(start), std::string(end));
}

namespace {
// A meta key (a Redis key, not a subkey): ends with the 0x00 0x00 terminator, checked first
// because it rejects almost every subkey without the scan.
bool IsUnder(std::string_view key, std::string_view prefix) {
  return key.substr(0, prefix.size()) == prefix;
}

bool IsMetaKey(std::string_view key) {
  return key.size() >= 3 && key.back() == '\0' && key[key.size() - 2] == '\0' &&
         MetaKeyOf(key).size() == key.size();
}
}  // namespace

std::optional<std::string_view> TxnView::SnapshotGet(std::string_view key) {
  consulted_ = true;
  auto kv = snapshot_.Get(key);
  // Redis's lookupKey: reading a key is an access (keyspace/access.h), unless the command
  // asked not to count it (OBJECT, as Redis's LOOKUP_NOTOUCH).
  if (touch_ && kv && kv->access != nullptr && kv->access != last_touched_ && IsMetaKey(key)) {
    TouchAccess(kv->access, now_ms_);
    SampleAccess(key);
    last_touched_ = kv->access;
  }
  if (!track_reads_) {
    if (!kv) return std::nullopt;
    return kv->value;
  }
  auto it = reads_.find(key);
  if (it == reads_.end()) {
    reads_.emplace(std::string(key), Read{kv ? kv->mod_revision : 0});
  }
  command_reads_.emplace_back(key);
  if (!kv) return std::nullopt;
  return kv->value;
}

std::optional<std::string_view> TxnView::Get(std::string_view key) {
  std::optional<std::string_view> v;
  if (auto it = writes_.find(key); it != writes_.end()) {
    if (!it->second.value) return std::nullopt;
    v = std::string_view(*it->second.value);
  } else {
    if (InDeletedRange(key)) return std::nullopt;
    v = SnapshotGet(key);
  }
  if (v && IsExpiredMeta(key, *v, now_ms_)) {
    if (std::find(expired_.begin(), expired_.end(), key) == expired_.end()) {
      expired_.emplace_back(key);
    }
    return std::nullopt;
  }
  return v;
}

void TxnView::PurgeExpired(std::string_view key) {
  std::string_view meta = MetaKeyOf(key);
  if (meta.empty()) return;
  auto it = std::find(expired_.begin(), expired_.end(), meta);
  if (it == expired_.end()) return;
  std::string m = std::move(*it);
  expired_.erase(it);
  DeleteRange(m, KeyEnd(m));
  // Redis's deleteExpiredKeyAndPropagate: the key's "expired" event comes before whatever the
  // write that found it does (its "new", its own event).
  if (notify_flags_ != 0) {
    if (auto decoded = DecodeKey(m)) {
      AppendKeyspaceEvent(&messages_, notify_flags_, notify::kExpired, "expired", decoded->db,
                          decoded->user_key);
    }
  }
}

std::optional<mvcc::AccessRecord> TxnView::Access(std::string_view key) const {
  consulted_ = true;
  return ReadAccess(snapshot_, key);
}

int64_t TxnView::ModRevision(std::string_view key) {
  if (!track_reads_) {
    consulted_ = true;
    auto kv = snapshot_.Get(key);
    return kv ? kv->mod_revision : 0;
  }
  SnapshotGet(key);
  return reads_.find(key)->second.mod_revision;
}

void TxnView::Put(std::string_view key, std::string value) {
  if (!expired_.empty()) PurgeExpired(key);
  auto it = writes_.find(key);
  if (it == writes_.end()) it = writes_.emplace(std::string(key), Write{}).first;
  it->second.value = std::move(value);
  command_writes_.emplace_back(key);
}

bool TxnView::Delete(std::string_view key) {
  if (!Get(key)) return false;
  auto it = writes_.find(key);
  if (it == writes_.end()) it = writes_.emplace(std::string(key), Write{}).first;
  it->second.value.reset();
  command_writes_.emplace_back(key);
  return true;
}

size_t TxnView::DeleteRange(std::string_view start, std::string_view end) {
  size_t n = 0;
  Range(start, end, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  if (n > kTombstoneMinKeys) {  // etcd would apply it as n deletes in one Raft entry
    DropRange(start, end);
    return n;
  }
  // Buffered writes inside the range are dropped; the range delete covers the snapshot keys.
  // A dropped buffered delete still needs the range, even when no key is live any more.
  bool dropped = false;
  for (auto it = writes_.lower_bound(start); it != writes_.end();) {
    if (!end.empty() && it->first >= end) break;
    it = writes_.erase(it);
    dropped = true;
  }
  if (n > 0 || dropped) range_deletes_.emplace_back(std::string(start), std::string(end));
  return n;
}

void TxnView::TouchWithoutRead(std::string_view key) {
  if (!touch_) return;
  auto kv = snapshot_.Get(key);
  if (kv && kv->access != nullptr && kv->access != last_touched_ && IsMetaKey(key)) {
    TouchAccess(kv->access, now_ms_);
    SampleAccess(key);
    last_touched_ = kv->access;
  }
}

std::optional<std::string_view> TxnView::Peek(std::string_view key) const {
  auto kv = snapshot_.Get(key);
  if (!kv) return std::nullopt;
  return kv->value;
}

void TxnView::DeleteRangeBlind(std::string_view start, std::string_view end) {
  for (auto it = writes_.lower_bound(start); it != writes_.end();) {
    if (!end.empty() && it->first >= end) break;
    it = writes_.erase(it);
  }
  range_deletes_.emplace_back(std::string(start), std::string(end));
}

void TxnView::Range(std::string_view start, std::string_view end,
                    const std::function<bool(std::string_view, std::string_view)>& fn) {
  // Merge the snapshot's keys with the write buffer, the buffer winning on equal keys.
  consulted_ = true;
  auto wit = writes_.lower_bound(start);
  auto wend = end.empty() ? writes_.end() : writes_.lower_bound(end);
  bool go_on = true;
  snapshot_.Range(start, end, 0, [&](const mvcc::KeyValue& kv) {
    for (; go_on && wit != wend && wit->first < kv.key; ++wit) {
      if (wit->second.value) go_on = fn(wit->first, *wit->second.value);
    }
    if (!go_on) return false;
    if (wit != wend && wit->first == kv.key) {
      if (wit->second.value) go_on = fn(wit->first, *wit->second.value);
      ++wit;
    } else if (!InDeletedRange(kv.key)) {
      go_on = fn(kv.key, kv.value);
    }
    return go_on;
  });
  while (go_on && wit != wend) {
    if (wit->second.value) go_on = fn(wit->first, *wit->second.value);
    ++wit;
  }
}

void TxnView::GuardRange(std::string_view start, std::string_view end) {
  range_guards_.emplace_back(std::string(start), std::string(end));
}

void TxnView::EndCommand() {
  last_touched_ = nullptr;
  // Few keys (almost every command): a linear search. Thousands (HSET of 20,000 fields):
  // sorted, so this stays O(n log n) instead of O(reads × writes).
  constexpr size_t kLinear = 16;
  const bool sorted = command_reads_.size() > kLinear && command_writes_.size() > kLinear;
  if (sorted) std::sort(command_reads_.begin(), command_reads_.end());
  for (const auto& w : command_writes_) {
    const bool read = sorted
        ? std::binary_search(command_reads_.begin(), command_reads_.end(), w)
        : std::find(command_reads_.begin(), command_reads_.end(), w) != command_reads_.end();
    if (!read) continue;
    auto r = reads_.find(w);
    if (r != reads_.end()) rmw_.emplace(w, r->second.mod_revision);
  }
  command_reads_.clear();
  command_writes_.clear();
}

namespace {
// The meta key guards its collection: every change of a collection rewrites its meta key
// (docs/encoding.md "Collections"), so while the meta key's mod_revision is what the snapshot
// read, none of its subkeys changed either. A compare of a subkey next to a compare of its
// meta key from the same snapshot is redundant; dropping it keeps a command that read
// thousands of elements (SADD, HSET of existing fields, RENAME) at one compare per key, which
// etcd's --max-txn-ops bounds (replication/etcd_txn_fanout.h). Streams' consumer-group
// subkeys are the documented exception (their commands do not rewrite the meta key,
// docs/encoding.md "Streams"): their compares always stay.
bool GuardedByMeta(std::string_view key, std::string_view meta) {
  const char tag = key[meta.size()];
  return tag != kStreamGroupTag && tag != kStreamPelTag && tag != kStreamConsumerTag;
}

void DropSubkeyCompares(std::vector<KeyRevision>* compares) {
  if (compares->size() < 2) return;
  std::vector<std::string> metas;  // copies: erase_if moves the compares' strings
  for (const auto& c : *compares) {
    if (IsMetaKey(c.key)) metas.push_back(c.key);
  }
  if (metas.empty() || metas.size() == compares->size()) return;
  std::sort(metas.begin(), metas.end());
  std::erase_if(*compares, [&](const KeyRevision& c) {
    // An incarnation's elements are read only through their collection's meta key, which
    // the commit compares (incarnation.h).
    if (IsStagedKey(c.key)) return true;
    std::string_view meta = MetaKeyOf(c.key);
    return !meta.empty() && meta.size() != c.key.size() && GuardedByMeta(c.key, meta) &&
           std::binary_search(metas.begin(), metas.end(), meta, std::less<>());
  });
}
}  // namespace

void MarkTombstonedAbsent(const mvcc::Snapshot& snapshot, std::vector<KeyRevision>* keys) {
  std::optional<std::vector<replication::RangeTombstone>> tombstones;  // read when needed
  for (auto& k : *keys) {
    if (k.mod_revision != 0) continue;
    if (!tombstones) {
      tombstones = replication::Tombstones(snapshot);
      if (tombstones->empty()) return;
    }
    k.absent_below = replication::TombstonedBelow(*tombstones, k.key);
  }
}

CommitRequest TxnView::BuildCommit(Isolation isolation) {
  EndCommand();
  CommitRequest req;
  req.snapshot_revision = snapshot_.revision();
  // New incarnations: their writes travel ahead of the Txn, uncompared (StageIncarnation).
  for (const auto& id : staged_ids_) {
    req.staged.push_back({WriteOp::Kind::kPut, ChunkKey(id, 0), std::string(), {}});
    const std::string base = IncarnationBase(id);
    const auto first = writes_.lower_bound(base);
    auto last = first;
    for (; last != writes_.end() && IsUnder(last->first, base); ++last) {
      auto& w = last->second;
      if (w.value) {
        req.staged.push_back({WriteOp::Kind::kPut, last->first, std::move(*w.value), {}});
      } else {
        req.staged.push_back({WriteOp::Kind::kDelete, last->first, {}, {}});
      }
    }
    writes_.erase(first, last);
    writes_[ChunkKey(id, kClaimIndex)].value = std::string();
  }
  staged_ids_.clear();
  switch (isolation) {
    case Isolation::kSerializable:
      for (const auto& [key, r] : reads_) req.compares.push_back({key, r.mod_revision});
      break;
    case Isolation::kSnapshot:
      for (const auto& [key, w] : writes_) {
        req.compares.push_back({key, snapshot_.Get(key) ? snapshot_.Get(key)->mod_revision : 0});
      }
      for (const auto& [key, r] : rmw_) {
        if (!writes_.count(key)) req.compares.push_back({key, r});
      }
      break;
    case Isolation::kReadCommitted:
      for (const auto& [key, rev] : rmw_) req.compares.push_back({key, rev});
      break;
  }
  DropSubkeyCompares(&req.compares);
  MarkTombstonedAbsent(snapshot_, &req.compares);
  for (auto& [start, end] : range_guards_) {
    req.range_compares.push_back({std::move(start), std::move(end), snapshot_.revision()});
  }
  range_guards_.clear();
  // The neutral write set (committer.h): range deletes first, then every buffered key once.
  // A buffered write inside a range always came after that range's delete (DeleteRange drops
  // the earlier ones), so "ranges first" is exactly the order the handlers wrote in.
  for (auto& [start, end] : range_deletes_) {
    req.writes.push_back({WriteOp::Kind::kDeleteRange, std::move(start), {}, std::move(end)});
  }
  for (auto& [key, w] : writes_) {
    if (w.value) {
      req.writes.push_back({WriteOp::Kind::kPut, key, std::move(*w.value), {}});
    } else {
      req.writes.push_back({WriteOp::Kind::kDelete, key, {}, {}});
    }
  }
  writes_.clear();
  range_deletes_.clear();
  dropped_.clear();
  req.messages = std::move(messages_);
  messages_.clear();
  return req;
}

}  // namespace petacore::keyspace
