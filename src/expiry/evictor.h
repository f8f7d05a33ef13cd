// src/expiry/evictor.h — maxmemory eviction (issue 17): when the data's memory is over
// maxmemory and maxmemory-policy is not noeviction, deletes keys chosen by the policy until it
// is back under the limit, as Redis's performEvictions (evict.c) — but decided once for the
// whole cluster, on the node that holds the expiry lease (ActiveExpiry::active()), and carried
// out as compare-guarded deletes through the Committer, exactly like active expiry
// (expirer.h's DeleteRequest): a key rewritten after it was sampled is never evicted.
//
// Choice as Redis: each round samples maxmemory-samples keys (allkeys-*: the next keys of 16
// sweeps over the store's databases, spread over the key space; volatile-*: random keys of the expiry Index), scores them (LRU: idle ms, LFU: 255 - decayed counter, TTL: nearest expire-at
// first), keeps the 16 best in an eviction pool that survives across rounds, and evicts the
// best of the pool; *-random evicts a random sampled key. Access data is this node's record
// (keyspace/access.h), merged with other nodes' published summaries through `remote` when set.
//
// Memory: used = mvcc::Store::stats().bytes minus NotCountedBytes() — bytes eviction cannot
// free right now (versions of keys it deleted that still wait for the store's compaction,
// and index nodes of fully deleted keys, which the store never frees). That is
// mem_not_counted_for_evict in INFO; docs/consistency.md "Eviction".
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "expiry/index.h"
#include "mvcc/store.h"
#include "replication/committer.h"

namespace petacore::expiry {

/// The options eviction reads at the start of every cycle (cluster-wide config).
struct EvictionSettings {
  uint64_t maxmemory = 0;          ///< bytes; 0 = no limit
  std::string policy = "noeviction";  ///< one of Redis's 8 maxmemory-policy names
  int samples = 5;                 ///< maxmemory-samples
  int tenacity = 10;               ///< maxmemory-eviction-tenacity, 0..100
};

/// What other nodes saw of a key (cluster-wide access: expiry/access_reporter.h publishes,
/// expiry/remote_access.h merges): the smallest idle time and the largest LFU counter any
/// other node reported, if any.
struct RemoteAccess {
  int64_t idle_ms = -1;  ///< -1 = no node reported it
  int lfu_counter = -1;  ///< -1 = no node reported it
};

struct EvictorOptions {
  std::chrono::milliseconds interval{50};  ///< pause between checks while under the limit
  /// Eviction deletes awaiting their commit at once; they share the committer with clients.
  size_t max_in_flight = 128;
};

/// Redis's evictionTimeLimitUs: how long one cycle may evict for a tenacity 0..100 (10 =
/// 500 us; each step above 10 is x1.15; 100 = no limit, returned as -1).
int64_t EvictionTimeLimitUs(int tenacity);

/// The eviction loop on its own thread. Start once; Stop (or destroy) waits for in-flight
/// deletes. Counters and accessors are thread-safe.
class Evictor {
 public:
  Evictor(const mvcc::Store& store, Index& index, replication::Committer& committer,
          std::function<bool()> active, std::function<EvictionSettings()> settings,
          EvictorOptions options = {});
  ~Evictor();
  Evictor(const Evictor&) = delete;
  Evictor& operator=(const Evictor&) = delete;

  /// notify-keyspace-events bits for the "evicted" notification (class e) each delete
  /// carries (delivered on every node only if it commits). Call before Start.
  void SetNotifyFlags(std::function<int()> f) { notify_flags_ = std::move(f); }
  /// Other nodes' access to a meta key (cluster-wide access). Called on the eviction thread.
  void SetRemoteAccess(std::function<RemoteAccess(std::string_view meta_key)> f) {
    remote_ = std::move(f);
  }

  void Start();
  void Stop();

  /// Keys this node evicted (Redis's evicted_keys).
  int64_t evicted_keys() const { return evicted_.load(std::memory_order_relaxed); }
  /// Bytes of used memory eviction does not count (see the file comment); INFO
  /// mem_not_counted_for_evict.
  int64_t NotCountedBytes() const;
  /// Whether the last cycle was over the limit and found nothing it may evict (volatile-*
  /// with no key with a TTL): writes then get -OOM, as Redis's EVICT_FAIL.
  bool cannot_free() const { return cannot_free_.load(std::memory_order_relaxed); }

  /// INFO lines: "memory" (mem_not_counted_for_evict), "stats" (evicted_keys, total_eviction_exceeded_time,
  /// current_eviction_exceeded_time) or "petacore" (eviction_*). Thread-safe.
  std::string InfoLines(std::string_view section) const;

 private:
  struct Candidate {
    uint64_t score = 0;  // higher = evict first
    std::string meta_key;
    int64_t mod_revision = 0;
  };
  void Run();
  /// One cycle: evicts while over the limit within the tenacity time limit. Returns whether
  /// it should run again at once (still over the limit and something was evicted).
  bool Cycle();
  /// Refills the pool from one round of samples; false when no key was found.
  bool Sample(const mvcc::Snapshot& snap, const EvictionSettings& s);
  void Consider(Candidate c);
  size_t EstimateBytes(const mvcc::Snapshot& snap, const mvcc::KeyValue& meta) const;
  void Submit(Candidate c, replication::WriteOp deletion, size_t bytes, int notify_flags);
  int64_t PendingReleaseBytes() const;

  const mvcc::Store& store_;
  Index& index_;
  replication::Committer& committer_;
  std::function<bool()> active_;
  std::function<EvictionSettings()> settings_;
  EvictorOptions options_;
  std::function<int()> notify_flags_;
  std::function<RemoteAccess(std::string_view)> remote_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::vector<Candidate> pool_;  // the eviction pool, best last (eviction thread only)
  // allkeys-* sampling (eviction thread only): cursor i sweeps the region [starts_[i],
  // starts_[i + 1]) (the last one to the end of the databases) and wraps within it, so the
  // cursors stay spread over the key space; the regions are redrawn after kCursors wraps.
  std::vector<std::string> cursors_;
  std::vector<std::string> starts_;
  size_t wraps_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  size_t in_flight_ = 0;                  // guarded by mu_
  int64_t in_flight_bytes_ = 0;           // guarded by mu_
  std::set<std::string> in_flight_keys_;  // guarded by mu_
  /// Committed evictions whose versions the store still holds: (revision, bytes), in
  /// commit order; dropped once the store's compacted revision passes them. Guarded by mu_.
  std::deque<std::pair<int64_t, int64_t>> released_;
  int64_t released_bytes_ = 0;  // sum of released_, guarded by mu_
  std::atomic<int64_t> evicted_{0}, stale_{0}, errors_{0}, evicted_bytes_{0};
  std::atomic<int64_t> avg_key_bytes_{24};
  std::atomic<bool> cannot_free_{false};
  std::atomic<int64_t> over_since_ms_{0}, exceeded_total_ms_{0};
};

}  // namespace petacore::expiry
