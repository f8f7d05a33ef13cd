// src/expiry/access_reporter.h — publishes this node's access summary (keyspace/
// access_summary.h, issue 17): the keys it accessed in the last kRecentMs, with their access
// records, so that the node deciding eviction ranks keys by every node's accesses.
//
// Write rules (no write loop, bounded rate): while `sample()` (maxmemory is set under an LRU
// or LFU policy) the sampler (keyspace/access_sampler.h) is on; while also `publish()` (this
// node's memory nears maxmemory), each tick with new samples puts one summary of the keys
// sampled in the last kRecentMs (at most one Put per interval, 2 s deadline, idempotent,
// under the node's lease so it vanishes with the node). A tick without new samples writes
// nothing. When publishing stops, the summary is deleted once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "etcdlink/client.h"
#include "expiry/periodic_task.h"
#include "mvcc/store.h"

namespace petacore::expiry {

/// Publishes the access summary on its own thread (a PeriodicTask).
class AccessReporter {
 public:
  /// How long a sampled key stays in the summaries after its last sampled access (ms).
  static constexpr int64_t kRecentMs = 30000;

  struct Options {
    std::string etcd_prefix;               ///< the key space's etcd prefix
    uint64_t process = 0;                  ///< this node's process id (the summary key)
    std::function<int64_t()> lease;        ///< the lease the summary is put under (0 = none)
    std::function<bool()> sample;          ///< whether to sample accesses now
    std::function<bool()> publish;         ///< whether to publish now (read when sampling)
    std::function<int64_t()> interval_ms;  ///< between two ticks (ms)
  };
  /// `client` and `store` must outlive this object.
  AccessReporter(etcdlink::Client& client, const mvcc::Store& store, Options options);
  ~AccessReporter();
  AccessReporter(const AccessReporter&) = delete;
  AccessReporter& operator=(const AccessReporter&) = delete;

  void Start();
  /// Stops the thread and the sampler (the summary goes with the lease, revoked by its owner).
  void Stop();

  /// Summaries put since start (INFO petacore access_summaries_published). Thread-safe.
  int64_t published() const { return published_.load(std::memory_order_relaxed); }

 private:
  void Tick();
  void Publish();

  etcdlink::Client& client_;
  const mvcc::Store& store_;
  const Options options_;
  const std::string key_;  // etcd key of this node's summary
  std::unordered_map<std::string, int64_t> recent_;  // meta key -> steady ms last sampled
  bool on_etcd_ = false;   // a summary of this node may be in etcd
  std::atomic<int64_t> published_{0};
  PeriodicTask task_;
};

}  // namespace petacore::expiry
