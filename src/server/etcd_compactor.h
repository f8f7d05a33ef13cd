// src/server/etcd_compactor.h — PetaCore compacts etcd's revision history itself (issue 21):
// the expiry leader compacts, every few seconds while revisions move, to just below the oldest
// revision any live node still needs, so etcd keeps a bounded window of history instead of
// every write since its own (backstop) auto-compaction. docs/operations.md "etcd compaction
// and defragmentation".
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "etcdlink/client.h"
#include "expiry/periodic_task.h"
#include "mvcc/store.h"

namespace petacore::server {

/// The compaction target: the minimum of `own_oldest` and every node record's `oldest` in
/// `store` (keyspace/node_record.h; records of dead nodes vanish with their leases), minus
/// `window` revisions. nullopt when no record is present (this node has not published yet:
/// nothing says what the others need) or the result is < 1. Thread-safe (reads a snapshot).
std::optional<int64_t> CompactionTarget(const mvcc::Store& store, int64_t own_oldest,
                                        int64_t window);

/// Compacts etcd (Compact(revision, physical=false)) on the expiry leader. Rules:
///   - a round every `interval_ms()` (read each round) while `enabled()` and `is_leader()`,
///     and only when the applied revision moved since the last compaction;
///   - target = CompactionTarget(store, own_oldest(), window()), never at or below the last
///     compaction this node made or saw;
///   - an ErrCompacted reply (someone compacted further: etcd's own auto-compaction, another
///     PetaCore prefix's leader, an operator) is counted and remembered, nothing else.
/// etcd has one revision history for all its keys: a compaction covers every prefix (see
/// docs/operations.md on shared etcds and `etcd-compaction no`).
/// Threads: one of its own; InfoLines from any thread.
class EtcdCompactor {
 public:
  struct Options {
    std::function<bool()> is_leader;       ///< ActiveExpiry::active()
    std::function<bool()> enabled;         ///< etcd-compaction
    std::function<int64_t()> interval_ms;  ///< etcd-compaction-interval-ms
    std::function<int64_t()> window;       ///< etcd-compaction-window (revisions)
    std::function<int64_t()> own_oldest;   ///< NodeRegistry::OldestNeeded()
  };
  EtcdCompactor(etcdlink::Client& client, const mvcc::Store& store, Options options);
  ~EtcdCompactor();
  EtcdCompactor(const EtcdCompactor&) = delete;
  EtcdCompactor& operator=(const EtcdCompactor&) = delete;

  void Start();
  void Stop();

  /// One round now (the thread's body; tests may call it): compacts when the rules allow.
  /// Returns the revision compacted to, or 0 when it did not compact.
  int64_t RunOnce();

  /// INFO lines: etcd_compactions, etcd_compaction_errors, etcd_compactions_superseded,
  /// etcd_last_compaction_revision, etcd_last_compaction_time_ms (ms since the epoch),
  /// etcd_last_compaction_duration_ms. Thread-safe.
  std::string InfoLines() const;

  int64_t compactions() const { return compactions_.load(std::memory_order_relaxed); }
  int64_t last_revision() const { return last_revision_.load(std::memory_order_relaxed); }

 private:
  etcdlink::Client& client_;
  const mvcc::Store& store_;
  const Options options_;
  std::atomic<int64_t> compactions_{0}, errors_{0}, superseded_{0};
  std::atomic<int64_t> last_revision_{0}, last_time_ms_{0}, last_duration_ms_{0};
  int64_t last_head_ = 0;      // applied revision at the last compaction (thread only)
  expiry::PeriodicTask task_;  // last: its thread stops before the members it uses go
};

}  // namespace petacore::server
