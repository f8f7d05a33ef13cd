#include "replication/local_committer.h"

#include "replication/range_tombstone.h"

#include <set>
#include <string>
#include <vector>

namespace petacore::replication {
namespace {

bool Matches(const mvcc::Snapshot& snap, const std::vector<KeyRevision>& expected) {
  for (const auto& kr : expected) {
    auto kv = snap.Get(kr.key);
    if ((kv ? kv->mod_revision : 0) != kr.mod_revision) return false;
  }
  return true;
}

bool Unchanged(const mvcc::Snapshot& snap, const std::vector<RangeRevision>& ranges) {
  for (const auto& r : ranges) {
    bool changed = false;
    snap.Range(r.key, r.range_end, 0, [&](const mvcc::KeyValue& kv) {
      changed = kv.mod_revision > r.revision;
      return !changed;
    });
    if (changed) return false;
  }
  return true;
}

/// The store mutations of a request's writes (committer.h): each kDeleteRange expanded into
/// deletes of the keys live in `snap` (as etcd does), each key once, none of those a
/// single-key op names (that op, applied after the ranges, decides the key).
std::vector<mvcc::Mutation> Mutations(const mvcc::Snapshot& snap, std::vector<WriteOp>& writes) {
  std::set<std::string, std::less<>> single, range_deleted;
  for (const auto& w : writes) {
    if (w.kind != WriteOp::Kind::kDeleteRange) single.insert(w.key);
  }
  for (const auto& w : writes) {
    if (w.kind != WriteOp::Kind::kDeleteRange) continue;
    snap.Range(w.key, w.range_end, 0, [&](const mvcc::KeyValue& kv) {
      if (!single.count(kv.key)) range_deleted.emplace(kv.key);
      return true;
    });
  }
  std::vector<mvcc::Mutation> batch;
  batch.reserve(range_deleted.size() + single.size());
  for (const auto& key : range_deleted) {
    batch.push_back({mvcc::Mutation::Kind::kDelete, key, {}});
  }
  for (auto& w : writes) {
    if (w.kind == WriteOp::Kind::kPut) {
      batch.push_back({mvcc::Mutation::Kind::kPut, std::move(w.key), std::move(w.value)});
    } else if (w.kind == WriteOp::Kind::kDelete) {
      batch.push_back({mvcc::Mutation::Kind::kDelete, std::move(w.key), {}});
    }
  }
  return batch;
}

}  // namespace

void LocalCommitter::Commit(CommitRequest request, std::function<void(CommitResult)> done) {
  InlineStaged(&request);  // no request limit here: one atomic apply
  CommitResult result;
  {
    std::lock_guard lock(mu_);
    std::vector<mvcc::Mutation> batch;
    {
      mvcc::Snapshot snap = store_.Read();
      if (!Matches(snap, request.guards)) {
        result.status = CommitResult::Status::kGuardFailed;
      } else if (!Matches(snap, request.compares) || !Unchanged(snap, request.range_compares)) {
        result.status = CommitResult::Status::kConflict;
        result.revision = snap.revision();
      } else {
        batch = Mutations(snap, request.writes);
        if (!request.messages.empty()) {
          batch.push_back({mvcc::Mutation::Kind::kPut, message_record_key_,
                           std::move(request.messages)});
        }
        // A range tombstone (FLUSHDB, DEL of a big collection) deletes its range here. With
        // no etcd behind, nothing stale remains: the tombstone itself is not kept.
        if (HasRangeTombstone(batch)) {
          ExpandRangeTombstones(snap, &batch);
          std::erase_if(batch, [](const mvcc::Mutation& m) {
            return m.kind == mvcc::Mutation::Kind::kPut && TombstoneStart(m.key);
          });
        }
      }
    }
    if (result.status == CommitResult::Status::kError) {
      int64_t revision = store_.applied_revision();
      if (!batch.empty()) {  // as etcd: a Txn that changes nothing makes no revision
        store_.Apply(++revision, batch);
      }
      // Release versions no live snapshot needs (issue 21): to min(oldest live snapshot,
      // revision), at most once per kCompactIntervalUs; incremental (keys written since).
      if (!batch.empty() && compact_every_ > 0) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_compact_ >= kCompactIntervalUs) {
          last_compact_ = now;
          store_.CompactReleased(revision);
        }
      }
      result.status = CommitResult::Status::kCommitted;
      result.revision = revision;
    }
  }
  done(std::move(result));
}

}  // namespace petacore::replication
