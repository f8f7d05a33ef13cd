#include "expiry/chunk_cleaner.h"

#include <algorithm>
#include <chrono>

#include "keyspace/chunked_value.h"
#include "keyspace/encoding.h"
#include "replication/range_tombstone.h"

namespace petacore::expiry {

using replication::CommitRequest;
using replication::CommitResult;
using replication::WriteOp;

ChunkCleaner::ChunkCleaner(replication::Committer& committer, const mvcc::Store& store,
                           keyspace::ChunkReferences& references, Options options)
    : committer_(committer),
      store_(store),
      references_(references),
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
  // The unreferenced ids as of one applied batch; the snapshot read next is at least as new
  // (the index is fed after each batch is published), which only decides the deletes' shape
  // and whether an id's keys are all gone.
  std::vector<keyspace::ChunkReferences::Unreferenced> ids = references_.UnreferencedIds();
  mvcc::Snapshot snap = store_.Read();
  std::map<std::string, Seen> next;
  size_t sent = 0, unreferenced = 0;
  for (auto& u : ids) {
    if (references_.ForgetIfGone(u.id, snap)) continue;  // deleted already
    ++unreferenced;
    Seen s{.last_change = u.last_change, .claim_revision = u.claim_revision, .since_ms = now_ms};
    auto it = seen_.find(u.id);
    if (it != seen_.end() && it->second.last_change == s.last_change) {
      s.since_ms = it->second.since_ms;
    }
    // A claimed id was switched in once (its claim marker rides the switch) and is referenced
    // no more: nothing can reference it again — a command that would (COPY of a chunked
    // string, RENAME of an incarnation) compares a meta key that referenced it, and puts the
    // claim marker the delete compares — so it goes at once. An unclaimed one may still be
    // staging, or be an orphan: it waits out the grace. Either way the delete compares the
    // claim marker as the index had it together with "no reference", so a switch committed
    // since makes the delete fail.
    if (s.claim_revision != 0 || now_ms - s.since_ms >= options_.grace_ms()) {
      CommitRequest req;
      req.compares.push_back({keyspace::ChunkKey(u.id, keyspace::kClaimIndex), s.claim_revision});
      // An incarnation of thousands of elements goes by a range tombstone (range_tombstone.h).
      req.writes.push_back(replication::RangeDelete(snap, keyspace::ChunkIdStart(u.id),
                                                    keyspace::ChunkIdEnd(u.id)));
      committer_.Commit(std::move(req), [deleted = deleted_](CommitResult r) {
        if (r.status == CommitResult::Status::kCommitted) {
          deleted->fetch_add(1, std::memory_order_relaxed);
        }
      });
      ++sent;
      continue;  // seen again next round only if the delete did not happen
    }
    next.emplace(u.id, s);
  }
  ids_.store(static_cast<int64_t>(references_.ids()), std::memory_order_relaxed);
  unreferenced_.store(static_cast<int64_t>(unreferenced), std::memory_order_relaxed);
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
