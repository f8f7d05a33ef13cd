// src/expiry/elector.h — which node runs active expiry: an election held in etcd with a lease
// and one key, as etcd's concurrency recipes (clientv3/concurrency Election) do.
//
// A candidate grants itself a lease and writes the election key only if it does not exist:
//   Txn{ compare: create_revision(key) == 0, success: Put(key, node id, lease) }
// The winner keeps its lease alive; when it stops cleanly it revokes the lease (etcd deletes
// the key at once), and when it dies etcd deletes the key when the lease's TTL runs out. Other
// nodes see the key through their own replica of the key space (Sync loads and watches
// internal keys like data) and campaign as soon as it is gone: no extra etcd reads while a
// holder exists. Leadership is an optimisation, not a safety property: every expiry delete
// carries its own compare, so two nodes that briefly both believe they lead cannot delete
// anything wrongly (one of two deletes of the same key fails its compare).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "etcdlink/client.h"
#include "mvcc/store.h"

namespace petacore::expiry {

/// The election key's store key (etcd key = --etcd-prefix + this); value = the holder's node id.
inline constexpr std::string_view kLeaderKey =
    "\xff"
    "expiry/leader";

struct ElectorOptions {
  std::string prefix;       ///< --etcd-prefix
  std::string node_id;      ///< this node's name, the election key's value while it leads
  int64_t lease_ttl_s = 3;  ///< how long a dead holder blocks others
  std::chrono::milliseconds keepalive{1000};  ///< lease refresh period while leading
  std::chrono::milliseconds poll{200};        ///< how often the local replica is checked
};

/// Campaigns for, holds and gives up the expiry leadership. Start once; Stop (or destroy)
/// revokes a held lease. Accessors are thread-safe. etcd errors are retried every poll period;
/// a leader whose keep-alives fail steps down before its lease can have run out.
class Elector {
 public:
  Elector(etcdlink::Client& client, const mvcc::Store& store, ElectorOptions options);
  ~Elector();
  Elector(const Elector&) = delete;
  Elector& operator=(const Elector&) = delete;

  void Start();
  /// Stops campaigning; when leading, revokes the lease (bounded by the client's call timeout)
  /// so another node takes over without waiting for the TTL.
  void Stop();

  /// Whether this node holds the leadership now (its campaign won and its lease is alive as
  /// far as the last keep-alive tells).
  bool is_leader() const { return leader_.load(std::memory_order_acquire); }
  /// The election key's value in the local replica ("" = nobody holds it).
  std::string holder() const;
  const std::string& node_id() const { return options_.node_id; }
  /// Times this node won the election.
  int64_t elections_won() const { return won_.load(std::memory_order_relaxed); }

 private:
  void Run();
  void Campaign();
  void Lead();
  void StepDown(const char* why);

  etcdlink::Client& client_;
  const mvcc::Store& store_;
  ElectorOptions options_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;

  std::atomic<bool> leader_{false};
  std::atomic<int64_t> won_{0};
  // Owned by the elector's thread (and Stop after joining it).
  int64_t lease_ = 0;
  int64_t won_revision_ = 0;  // revision of the winning Put
  std::chrono::steady_clock::time_point valid_until_;
  std::chrono::steady_clock::time_point next_keepalive_;
};

}  // namespace petacore::expiry
