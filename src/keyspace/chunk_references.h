// src/keyspace/chunk_references.h — which write ids under the chunk prefix the meta keys
// reference, kept up to date from the store's applied batches, so the chunk cleaner
// (expiry/chunk_cleaner.h) finds the unreferenced ones without walking every key of every
// database each round (issue 18: that walk was O(keys) per interval on the expiry leader).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mvcc/store.h"

namespace petacore::keyspace {

/// An index of write ids (chunked strings' chunks and collections' incarnations, both under
/// kChunkPrefix: chunked_value.h, incarnation.h) and of the meta keys that reference them
/// (StagedIdOf). Fed with every batch the store applies (Observe, from the store's apply
/// observer: the initial load, the watch's batches, a reload's diff, LocalCommitter's writes
/// — range tombstones arrive expanded into their deletes), so it describes the store as of
/// the last applied batch. Memory: one entry per write id and one per referencing meta key.
///
/// Thread-safety: Observe runs on the store's writer (one at a time, as the store's apply
/// observer); the other members may be called from any thread.
class ChunkReferences {
 public:
  /// One write id nothing references, as of one applied revision.
  struct Unreferenced {
    std::string id;               ///< kWriteIdBytes bytes
    int64_t claim_revision = 0;   ///< mod_revision of its "claimed" marker (0: absent)
    int64_t last_change = 0;      ///< revision of the last put or delete of one of its keys
  };

  /// Updates the index with one applied batch (revision: the batch's). Quick when the batch
  /// touches no chunk key and no referencing meta key: a flag test per put.
  void Observe(int64_t revision, std::span<const mvcc::Mutation> batch);

  /// Every write id no meta key references, each with its claim marker and last change, all
  /// as of the same applied batch (so a snapshot read afterwards is at least as new).
  std::vector<Unreferenced> UnreferencedIds() const;

  /// Drops `id` from the index if nothing references it, nothing under it changed after
  /// `snapshot`'s revision, and `snapshot` holds no key of it (its keys were deleted).
  /// Returns whether it was dropped.
  bool ForgetIfGone(const std::string& id, const mvcc::Snapshot& snapshot);

  /// Write ids known (referenced or not).
  size_t ids() const;
  /// Meta keys that reference a write id.
  size_t referencing_keys() const;

 private:
  struct Entry {
    int64_t refs = 0;
    int64_t claim_revision = 0;
    int64_t last_change = 0;
  };
  void Unref(const std::string& id);

  mutable std::mutex mu_;
  std::map<std::string, Entry> ids_;
  std::unordered_map<std::string, std::string> referenced_by_;  // meta key -> write id
  std::atomic<size_t> referencing_{0};  // referenced_by_.size(), read without the lock
};

}  // namespace petacore::keyspace
