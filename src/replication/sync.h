// src/replication/sync.h — keeps the local store a replica of etcd: the initial load (one
// paginated Range at one revision), then the watch from that revision + 1, and a reload when
// etcd compacted past us. The Sync's threads are the store's only writers in replicated mode.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "etcdlink/client.h"
#include "etcdlink/watcher.h"
#include "mvcc/store.h"

namespace petacore::replication {

/// Replicates [prefix, PrefixEnd(prefix)) of etcd into `store`, stripping the prefix.
/// Thread-safe accessors; Start once, destroy to stop.
class Sync {
 public:
  /// `history` = revisions of history the local store keeps beyond what its live snapshots
  /// need (its compaction window). Nothing reads the local store at an old revision except
  /// live Snapshots (WATCH/EXEC and commits compare mod revisions, which compaction keeps;
  /// ReadAt has no caller outside tests), so the default is 0: after applied batches and
  /// progress notifications (at most once a millisecond) the store is compacted to
  /// min(oldest live snapshot, applied - history) (mvcc::Store::CompactReleased).
  Sync(etcdlink::Client& client, mvcc::Store& store, std::string prefix,
       int64_t history = 0);
  ~Sync();

  /// Loads everything at one revision and starts the watch. Returns the keys loaded.
  absl::StatusOr<int64_t> Start();

  /// INFO lines ("name:value\r\n") for the PetaCore section.
  std::string InfoLines() const;

  /// Makes the watch reconnect (etcdlink Watcher::Reconnect): for a stream that stopped
  /// delivering although etcd moved on (server/replica_lag.h). Thread-safe.
  void ReconnectWatch();
  /// Times ReconnectWatch was called.
  int64_t watch_restarts() const { return watch_restarts_.load(std::memory_order_relaxed); }

  /// True while a reload after compaction applies its batch (read by the store's apply
  /// observer: client-side caching sends a null invalidation then). Thread-safe.
  bool reloading() const { return reloading_.load(std::memory_order_acquire); }

 private:
  absl::StatusOr<int64_t> Load(bool reload);
  void StartWatch(int64_t from_revision);
  void OnRevision(int64_t revision, std::vector<etcdlink::WatchEvent>&& events);
  void OnProgress(int64_t revision);
  void MaybeCompact(int64_t revision);
  void ReloadLoop();

  etcdlink::Client& client_;
  mvcc::Store& store_;
  std::string prefix_;
  int64_t history_;
  std::unique_ptr<etcdlink::Watcher> watcher_;

  mutable std::mutex mu_;  // guards watcher_ (replaced on reload) and the reload flags
  std::condition_variable cv_;
  bool reload_requested_ = false;
  bool stopping_ = false;
  std::thread reload_thread_;

  std::atomic<int64_t> etcd_revision_{0};  // newest etcd revision seen
  std::atomic<int64_t> reloads_{0};
  std::atomic<bool> reloading_{false};
  std::atomic<int64_t> watch_errors_{0};
  std::atomic<int64_t> watch_restarts_{0};
  std::atomic<int64_t> last_compaction_seen_{0};  // etcd's compact_revision at the last reload
  // Local store compaction (MaybeCompact, the watch thread): calls and total time, for INFO.
  std::atomic<int64_t> local_compactions_{0};
  std::atomic<int64_t> local_compaction_ns_{0};
  std::chrono::steady_clock::time_point last_compact_{};  // watch thread only
};

}  // namespace petacore::replication
