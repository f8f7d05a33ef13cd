#include "expiry/chunk_cleaner.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "keyspace/chunked_value.h"
#include "keyspace/encoding.h"
#include "replication/range_tombstone.h"

namespace petacore::expiry {

using replication::CommitRequest;
using replication::CommitResult;
using replication::WriteOp;

ChunkCleaner::ChunkCleaner(replication::Committer& committer, const mvcc::Store& store,
                           Options options)
    : committer_(committer),
      store_(store),
      options_(std::move(options)),
      task_([this] { return std::max<int64_t>(10, options_.interval_ms()); }, [this] { Tick(); }) {}

ChunkCleaner::~ChunkCleaner() { Stop(); }

void ChunkCleaner::Start() { task_.Start(); }

void ChunkCleaner::Stop() { task_.Stop(); }

void ChunkCleaner::Tick() {
  if (options_.leader()) {
    RunOnce(SteadyMs());
  } else {
    seen_.clear();  // a new leadership starts its grace periods afresh
  }
}

size_t ChunkCleaner::RunOnce(int64_t now_ms) {
  scans_.fetch_add(1, std::memory_order_relaxed);
  std::map<std::string, Seen> ids;
  mvcc::Snapshot snap = store_.Read();
  {
    const std::string prefix(keyspace::kChunkPrefix);
    const std::string claim_suffix =
        keyspace::ChunkKey("", keyspace::kClaimIndex).substr(prefix.size());
    snap.Range(prefix, keyspace::ChunkRangeEnd(), 0, [&](const mvcc::KeyValue& kv) {
      // Chunks and markers, and an incarnation's elements (keyspace/incarnation.h): any change
      // under the id (a staging still writing) restarts its grace.
      if (kv.key.size() <= prefix.size() + keyspace::kWriteIdBytes) return true;
      auto& s = ids[std::string(kv.key.substr(prefix.size(), keyspace::kWriteIdBytes))];
      s.max_mod_revision = std::max(s.max_mod_revision, kv.mod_revision);
      ++s.keys;
      if (kv.key.size() == prefix.size() + keyspace::kWriteIdBytes + 4 &&
          kv.key.substr(prefix.size() + keyspace::kWriteIdBytes) == claim_suffix) {
        s.claim_revision = kv.mod_revision;
      }
      return true;
    });
    ids_.store(static_cast<int64_t>(ids.size()), std::memory_order_relaxed);
    if (ids.empty()) {
      seen_.clear();
      unreferenced_.store(0, std::memory_order_relaxed);
      return 0;
    }
    // Every meta key of every database: drop the ids something references.
    snap.Range(keyspace::DbStart(0), keyspace::DbStart(keyspace::kNumDatabases), 0,
               [&](const mvcc::KeyValue& kv) {
                 if (auto id = keyspace::StagedIdOf(kv.key, kv.value)) {
                   ids.erase(std::string(*id));
                 }
                 return true;
               });
  }
  unreferenced_.store(static_cast<int64_t>(ids.size()), std::memory_order_relaxed);
  std::map<std::string, Seen> next;
  size_t sent = 0;
  for (auto& [id, s] : ids) {
    auto it = seen_.find(id);
    if (it != seen_.end() && it->second.max_mod_revision == s.max_mod_revision &&
        it->second.keys == s.keys) {
      s.since_ms = it->second.since_ms;
    } else {
      s.since_ms = now_ms;
    }
    // A claimed id was switched in once (its claim marker rides the switch) and is referenced
    // no more: nothing can reference it again — a command that would (COPY of a chunked
    // string, RENAME of an incarnation) compares a meta key that referenced it, and puts the
    // claim marker the delete compares — so it goes at once. An unclaimed one may still be
    // staging, or be an orphan: it waits out the grace.
    if (s.claim_revision != 0 || now_ms - s.since_ms >= options_.grace_ms()) {
      CommitRequest req;
      req.compares.push_back({keyspace::ChunkKey(id, keyspace::kClaimIndex), s.claim_revision});
      // An incarnation of thousands of elements goes by a range tombstone (range_tombstone.h).
      req.writes.push_back(
          replication::RangeDelete(snap, keyspace::ChunkIdStart(id), keyspace::ChunkIdEnd(id)));
      committer_.Commit(std::move(req), [deleted = deleted_](CommitResult r) {
        if (r.status == CommitResult::Status::kCommitted) {
          deleted->fetch_add(1, std::memory_order_relaxed);
        }
      });
      ++sent;
      continue;  // seen again next round only if the delete did not happen
    }
    next.emplace(id, s);
  }
  seen_ = std::move(next);
  return sent;
}

std::string ChunkCleaner::InfoLines() const {
  auto line = [](std::string_view k, int64_t v) {
    return std::string(k) + ":" + std::to_string(v) + "\r\n";
  };
  return line("chunk_ids", ids_.load()) + line("chunk_ids_unreferenced", unreferenced_.load()) +
         line("chunk_ids_deleted", deleted_->load()) + line("chunk_cleaner_scans", scans_.load());
}

}  // namespace petacore::expiry
