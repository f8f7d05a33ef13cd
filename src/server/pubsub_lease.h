// src/server/pubsub_lease.h — the etcd lease this node's pub/sub subscription keys are put
// under (replicated mode), so that a node that dies takes its subscriptions with it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "etcdlink/client.h"

namespace petacore::server {

/// Grants a lease of `ttl_s` seconds and keeps it alive (a LeaseKeepAlive round trip every
/// ttl/3). When etcd says the lease is gone (it expired while this node could not reach etcd:
/// etcd then deleted every subscription key of this node), a new lease is granted and
/// `on_lost` runs, which disconnects this node's subscribed clients: their subscriptions no
/// longer exist anywhere, and a client that reconnects subscribes again (as clients do after a
/// connection loss). `tick` runs after each round (retries of failed subscription deletes).
/// Threads: one of its own; id() from any thread.
class PubSubLease {
 public:
  PubSubLease(etcdlink::Client& client, int64_t ttl_s, std::function<void()> on_lost,
              std::function<void()> tick);
  ~PubSubLease();
  /// Grants the first lease (retried every second until etcd answers) and starts the thread.
  void Start();
  /// Stops the thread and revokes the lease: etcd deletes this node's subscriptions at once.
  void Stop();
  /// The lease puts of subscription keys carry; 0 before Start.
  int64_t id() const { return id_.load(std::memory_order_acquire); }

 private:
  void Run();
  bool Grant();

  etcdlink::Client& client_;
  const int64_t ttl_s_;
  std::function<void()> on_lost_, tick_;
  std::atomic<int64_t> id_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace petacore::server
