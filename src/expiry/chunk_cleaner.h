// src/expiry/chunk_cleaner.h — removes the chunks of large strings and the elements of
// collection incarnations no key references any more (keyspace/chunked_value.h,
// keyspace/incarnation.h): values overwritten or deleted (DEL is O(1): it drops the meta key
// only), and orphans of writes whose switch never happened (a crash, a failed compare, a
// client gone). An id of more than replication::kTombstoneMinKeys keys goes by a range
// tombstone, whose stale keys the tombstone cleaner removes a page at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "expiry/periodic_task.h"
#include "keyspace/chunk_references.h"
#include "mvcc/store.h"
#include "replication/committer.h"

namespace petacore::expiry {

/// A background thread that, every interval, on the node that holds the expiry leadership
/// only, takes from `references` (kept up to date from every applied batch) the write ids no
/// meta key references — O(write ids) a round, not O(keys). Such a write id is deleted with one
/// range delete whose commit compares the write's "claimed" marker as the scan saw it (a
/// switch or COPY that commits after the scan makes the delete fail instead of losing the
/// value it just published): at once when the marker exists (the id was switched in, then
/// overwritten, deleted, expired or evicted), and otherwise once its keys did not change for
/// `grace_ms` (an orphan of a crash or a failed switch; measured on this node's clock, so
/// writers' clocks do not matter and a write still staging is left alone).
/// Thread-safe.
class ChunkCleaner {
 public:
  struct Options {
    std::function<int64_t()> interval_ms;  ///< time between scans (read every round)
    std::function<int64_t()> grace_ms;     ///< how long an unreferenced id must stay still
    std::function<bool()> leader;          ///< whether this node cleans now
  };
  /// `committer`, `store` and `references` (fed by the store's apply observer from before the
  /// first Apply: keyspace/chunk_references.h) must outlive the cleaner.
  ChunkCleaner(replication::Committer& committer, const mvcc::Store& store,
               keyspace::ChunkReferences& references, Options options);
  ~ChunkCleaner();

  void Start();
  void Stop();

  /// One scan at `now_ms` (steady ms); returns how many write ids it sent deletes for.
  size_t RunOnce(int64_t now_ms);

  /// INFO lines: chunk_ids (write ids known at the last scan), chunk_ids_unreferenced,
  /// chunk_ids_deleted (deletes committed), chunk_cleaner_scans.
  std::string InfoLines() const;

 private:
  struct Seen {
    int64_t last_change = 0;     ///< revision of the id's last key change
    int64_t claim_revision = 0;  ///< mod_revision of the claimed marker (0 = absent)
    int64_t since_ms = 0;        ///< when it was first seen unreferenced in this state
  };
  void Tick();

  replication::Committer& committer_;
  const mvcc::Store& store_;
  keyspace::ChunkReferences& references_;
  Options options_;
  std::map<std::string, Seen> seen_;  // unreferenced write ids (cleaner thread only)
  std::atomic<int64_t> ids_{0}, unreferenced_{0}, scans_{0};
  // Shared with the deletes' completions, which may run after this is destroyed.
  std::shared_ptr<std::atomic<int64_t>> deleted_ = std::make_shared<std::atomic<int64_t>>(0);
  PeriodicTask task_;  // last: its thread stops before the members it uses go
};

}  // namespace petacore::expiry
