// src/server/node_registry.h — this node's entry in the node registry (replicated mode): a
// record under this node's lease saying where clients reach it, which etcd revision it has
// applied and which it still needs (keyspace/node_record.h has the format). WAIT counts the
// other nodes' records, ROLE and INFO replication list them, and issue 21's compaction will
// stay below the minimum of their `oldest` fields. docs/operations.md "Node registry".
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "etcdlink/client.h"
#include "mvcc/store.h"

namespace petacore::server {

/// Publishes this node's record and puts WAIT's asks. Write rules (no write loop, bounded
/// rate):
///   - a record is published at start, at once when another node's ask is applied here, and
///     otherwise only when a data change (any key outside the registry) was applied since the
///     last publish — at most once per `interval_ms()`. Registry writes alone (records, asks)
///     never make a node publish on a timer, so an idle cluster writes nothing;
///   - an ask is put only when a WAIT needs a revision no ask already covers (an ask at
///     revision A makes every node publish an applied revision >= A), one at a time.
/// A dead node's record vanishes with its lease (the pub/sub lease: `lease()`).
/// Threads: one of its own for etcd round trips; OnApplied on the store's writer thread;
/// Ask and MarkDirty from any thread.
class NodeRegistry {
 public:
  /// Deadline of a record or ask Put. Both are idempotent, so a Put stuck behind a frozen
  /// etcd leader (etcd answers "request timed out" only after ~7 s) is given up early and
  /// tried again: a failed record is published again after `interval_ms()`, a failed ask
  /// 100 ms later, through whichever member answers then.
  static constexpr std::chrono::milliseconds kPutTimeout{2000};

  struct Options {
    std::string etcd_prefix;  ///< the key space's etcd prefix (store keys are under it)
    uint64_t process = 0;     ///< this node's process id (the record key)
    std::string addr;         ///< "host:port" clients use
    int64_t started_ms = 0;   ///< process start, ms since the epoch
    std::function<int64_t()> interval_ms;  ///< node-report-interval-ms, read at each tick
    std::function<int64_t()> lease;        ///< the lease records are put under (0 = none yet)
  };
  NodeRegistry(etcdlink::Client& client, const mvcc::Store& store, Options options);
  ~NodeRegistry();

  /// Starts the thread, which publishes the first record at once.
  void Start();
  /// Stops the thread (the record goes with the lease, revoked by its owner).
  void Stop();

  /// Store observer (the writer thread, quick): notes data changes and other nodes' asks.
  void OnApplied(std::span<const mvcc::Mutation> batch);
  /// WAIT: the caller needs every node to report an applied revision >= `revision`; puts an
  /// ask unless one already covers it. Thread-safe, never blocks.
  void Ask(int64_t revision);
  /// Publish again at the next tick (the lease was lost and granted anew: the record is gone).
  void MarkDirty();

  /// The oldest etcd revision this node still needs, as published in `oldest`: its watch's
  /// resume revision, applied + 1 (etcd's Compact(r) keeps revision r whole, so a watch from
  /// r still starts; the Watcher resumes from its last delivered revision + 1 >= applied + 1).
  /// Nothing else on a running node reads etcd's history: reads, transactions and scripts run
  /// on live snapshots of the in-memory replica (mvcc::Store; they pin the local store's
  /// versions, not etcd's, see Store::oldest_snapshot_revision), WATCH/EXEC and every commit
  /// compare current mod revisions, which compaction keeps, and the paged initial load or
  /// reload reads at one revision but retries when compacted (the node has no fresh record
  /// then). Always <= etcd's current revision once published: the record's own Put makes a
  /// revision > applied. Thread-safe (an atomic load).
  int64_t OldestNeeded() const { return store_.applied_revision() + 1; }

  /// Records published and asks put by this node since start (INFO, tests).
  int64_t publishes() const { return publishes_.load(std::memory_order_relaxed); }
  int64_t asks() const { return asks_.load(std::memory_order_relaxed); }

 private:
  void Run();
  bool Publish();
  bool PutAsk(int64_t* revision);

  etcdlink::Client& client_;
  const mvcc::Store& store_;
  const Options options_;
  const std::string record_key_;  // etcd key
  const std::string own_ask_;     // the ask key's value when this node asks (its record key)
  std::atomic<int64_t> publishes_{0}, asks_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool dirty_ = true;        // a data change applied since the last publish (or never published)
  bool asked_ = false;       // another node's ask applied: publish at once
  int64_t ask_wanted_ = 0;   // the highest revision a WAIT asked for
  int64_t ask_covered_ = 0;  // the revision of this node's last ask put
  std::thread thread_;
};

}  // namespace petacore::server
