// src/server/replica_lag.h — how far this node's replica is behind etcd, and whether its local
// reads must be refused for it (replica-max-lag-ms): no silent staleness (issue 18).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>

#include "config/config.h"
#include "etcdlink/client.h"
#include "expiry/periodic_task.h"
#include "mvcc/store.h"

namespace petacore::server {

/// Measures the replica's lag from the etcd client's health probes (etcdlink Client::
/// known_revision / last_contact_ms): a revision a member reported that the store has not
/// applied yet is "pending" from the moment it was first reported; the lag is the age of the
/// oldest pending revision (0 when none), and the contact age is the time since any member
/// last answered. The node is *stale* when `replica-max-lag-ms` > 0 and either exceeds it:
/// its local reads then answer StaleError() (driver.cc). A lag past kWatchStallMs with the
/// watch still delivering nothing restarts the watch through another member (`restart_watch`).
///
/// Without probes (`--etcd-member-timeout-ms 0`) nothing is measured and nothing is stale.
/// One thread evaluates every kTickMs; the accessors are thread-safe.
class ReplicaLag {
 public:
  static constexpr int64_t kTickMs = 50;
  /// A replica behind a reported revision for this long, while etcd's progress notifications
  /// (200 ms with scripts/start-etcd.sh) should have moved it, has a silent watch stream.
  static constexpr int64_t kWatchStallMs = 5000;
  /// Cap on the revisions awaiting apply that are remembered (one per tick at most: 4096
  /// covers 200 s of a stall at kTickMs); past it the lag is over-reported, never under.
  static constexpr size_t kMaxPending = 4096;

  /// `client`, `store` and `max_lag_ms` outlive this object. `restart_watch` may be empty.
  ReplicaLag(const etcdlink::Client& client, const mvcc::Store& store,
             const config::Live<int64_t>& max_lag_ms, std::function<void()> restart_watch);
  /// Stops the thread.
  ~ReplicaLag();
  ReplicaLag(const ReplicaLag&) = delete;
  ReplicaLag& operator=(const ReplicaLag&) = delete;

  void Start();
  /// Whether local reads are refused now.
  bool stale() const { return stale_.load(std::memory_order_acquire); }
  /// The error local reads answer while stale() (a MASTERDOWN reply, as Redis's replica with
  /// replica-serve-stale-data no: clients already treat it as "try elsewhere or later").
  std::string StaleError() const;
  /// INFO lines for the "petacore" section: replica_lag_revisions, replica_lag_ms,
  /// etcd_last_contact_ms, replica_stale, replica_stale_refusals.
  std::string InfoLines() const;
  /// Counts one read refused for staleness.
  void CountRefusal() { refusals_.fetch_add(1, std::memory_order_relaxed); }

  /// One evaluation at steady-clock `now_ms` (the thread's; public for tests).
  void Tick(int64_t now_ms);

 private:
  const etcdlink::Client& client_;
  const mvcc::Store& store_;
  const config::Live<int64_t>& max_lag_ms_;
  std::function<void()> restart_watch_;

  std::deque<std::pair<int64_t, int64_t>> pending_;  // (revision, first reported ms); Tick only
  int64_t last_known_ = 0;                           // Tick only
  int64_t last_restart_ms_ = 0;                      // Tick only

  std::atomic<bool> stale_{false};
  std::atomic<int64_t> lag_ms_{0};
  std::atomic<int64_t> lag_revisions_{0};
  std::atomic<int64_t> contact_ms_{0};
  std::atomic<int64_t> refusals_{0};

  expiry::PeriodicTask task_;  // last: its thread stops before the members it uses go
};

}  // namespace petacore::server
