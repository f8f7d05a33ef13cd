#include "replication/etcd_committer.h"

#include <algorithm>
#include <memory>

namespace petacore::replication {
namespace {

using etcdlink::Compare;
using etcdlink::Op;

/// Compares plus writes, and the failure branch that reads back the compared keys.
std::shared_ptr<etcdlink::TxnRequest> BuildWriteTxn(const std::string& prefix,
                                                    CommitRequest& req) {
  auto txn = std::make_shared<etcdlink::TxnRequest>();
  for (const auto& c : req.compares) {
    txn->compare.push_back(Compare::ModEquals(prefix + c.key, c.mod_revision));
    txn->failure.push_back(Op::Get(prefix + c.key));
  }
  for (auto& w : req.writes) {
    switch (w.kind) {
      case WriteOp::Kind::kPut:
        txn->success.push_back(Op::Put(prefix + w.key, std::move(w.value)));
        break;
      case WriteOp::Kind::kDelete:
        txn->success.push_back(Op::Delete(prefix + w.key));
        break;
      case WriteOp::Kind::kDeleteRange:
        txn->success.push_back(Op::Delete(prefix + w.key, prefix + w.range_end));
        break;
    }
  }
  return txn;
}

/// The revision to wait for before retrying after a failed compare: the newest mod_revision
/// among the compared keys as etcd has them now. A key that is gone (deleted) has no
/// mod_revision to show, so then the member's current revision is used.
int64_t ConflictRevision(const etcdlink::TxnResponse& resp, size_t compared, bool* exact) {
  int64_t rev = 0;
  size_t found = 0;
  for (const auto& r : resp.responses) {
    for (const auto& kv : r.kvs) {
      rev = std::max(rev, kv.mod_revision);
      ++found;
    }
  }
  *exact = found >= compared;
  return *exact ? rev : resp.revision;
}

}  // namespace

void EtcdCommitter::Commit(CommitRequest request, std::function<void(CommitResult)> done) {
  const size_t compared = request.compares.size();
  const bool guarded = !request.guards.empty();
  auto inner = BuildWriteTxn(prefix_, request);
  etcdlink::TxnRequest outer;
  if (guarded) {
    for (const auto& g : request.guards) {
      outer.compare.push_back(Compare::ModEquals(prefix_ + g.key, g.mod_revision));
    }
    outer.success.push_back(Op::Nested(inner));
  } else {
    outer = std::move(*inner);
  }
  txns_.fetch_add(1, std::memory_order_relaxed);
  client_.TxnAsync(outer, [this, guarded, compared, done = std::move(done)](
                              absl::StatusOr<etcdlink::TxnResponse> resp) {
    CommitResult result;
    if (!resp.ok()) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      result.status = CommitResult::Status::kError;
      result.error = "ERR etcd: " + std::string(resp.status().message());
      if (result.error.size() == 10) result.error += absl::StatusCodeToString(resp.status().code());
      done(std::move(result));
      return;
    }
    const etcdlink::TxnResponse* write = &*resp;
    if (guarded) {
      if (!resp->succeeded) {
        result.status = CommitResult::Status::kGuardFailed;
        done(std::move(result));
        return;
      }
      write = resp->responses.empty() || !resp->responses[0].txn ? nullptr
                                                                  : resp->responses[0].txn.get();
      if (write == nullptr) {
        result.status = CommitResult::Status::kError;
        result.error = "ERR etcd: malformed nested Txn response";
        done(std::move(result));
        return;
      }
    }
    if (write->succeeded) {
      result.status = CommitResult::Status::kCommitted;
      // A Txn whose writes all were deletes of absent keys makes no revision (etcd §3.2);
      // then there is nothing to wait for.
      bool changed = false;
      for (const auto& r : write->responses) {
        if (r.kind == etcdlink::Op::Kind::kPut || r.deleted > 0) changed = true;
      }
      result.revision = changed ? resp->revision : 0;
    } else {
      conflicts_.fetch_add(1, std::memory_order_relaxed);
      result.status = CommitResult::Status::kConflict;
      result.revision = ConflictRevision(*write, compared, &result.exact);
    }
    done(std::move(result));
  });
}

}  // namespace petacore::replication
