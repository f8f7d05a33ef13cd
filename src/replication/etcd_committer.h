// src/replication/etcd_committer.h — replicated mode: CommitRequests become etcd Txns, many
// at a time (group commit).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "etcdlink/client.h"
#include "replication/committer.h"

namespace petacore::replication {

/// Limits of one etcd Txn as the etcd cluster enforces them (etcd's --max-txn-ops and
/// --max-request-bytes); a batch is cut to fit. Defaults are etcd's own defaults.
struct GroupCommitOptions {
  size_t max_txn_ops = 128;
  size_t max_request_bytes = 1536 * 1024;
  /// Txns in flight at once; requests arriving meanwhile wait and leave together in the next.
  int max_in_flight = 1;
  /// Cohort linger (issue 18), in µs; 0 = off. With one Txn in flight, N busy writers split
  /// into two cohorts of ~N/2 that alternate: one in flight while the other queues, because
  /// the clients of a completed batch come back only after their replies. When a batch of at
  /// least kLingerMinCohort client requests completes and nothing else is in flight, the next
  /// Txn waits until 15/16 of the writers seen in that cycle (the completed batch + those
  /// queued; at most max_txn_ops / 2) are queued again, or `linger_us` after the completion,
  /// whichever comes first: the cohorts merge into one batch, and etcd's CPU per write falls
  /// with the batch size (bench/etcd_txn_shapes.py). A lone writer (a completed batch of
  /// fewer) never waits; housekeeping (CommitRequest::background) neither counts nor starts
  /// one. Where the writers do not come back as writers (a mixed GET/SET load), lingers
  /// expire: after an expired linger the next 1, 2, 4 ... 256 eligible cycles start none,
  /// and a merged linger resets that backoff. Measured in docs/performance.md "the cohort
  /// linger".
  int64_t linger_us = 0;
  /// Store key prefix of this node's message records (keyspace/messages.h): a request's
  /// CommitRequest::messages are written as the value of prefix + slot, in its Txn.
  std::string message_record_prefix;
  /// Puts of store keys under `leased_prefix` carry the lease `lease()` returns (0 = none):
  /// the node's pub/sub subscriptions, which vanish with the node.
  std::string leased_prefix;
  std::function<int64_t()> lease;
};

/// Sends CommitRequests to etcd as Txns (with --etcd-prefix added to every key).
///
/// A request's writes are first shaped by etcd's rule that a Txn writes no key twice: its
/// range deletes are cut around its own single-key writes (etcd_txn_shape.h).
///
/// One request alone is one Txn:
///   no guards:  Txn{compare: compares, success: writes, failure: Range(each compared key)}
///   guards:     Txn{compare: guards, success: [that Txn nested]}
/// so a failed WATCH (outer compare) and a conflict (inner compare) are told apart, and a
/// conflict reply carries the conflicting keys' mod_revisions (waiting for the largest to be
/// applied locally makes the retry read fresh data). Writes beyond what etcd's
/// --max-txn-ops leaves the write Txn's list are nested in it (etcd_txn_fanout.h): still one
/// Txn. A request whose guards and compares leave too little room for its writes is refused
/// at Commit, before anything is sent, with an error naming --max-txn-ops.
///
/// Messages (pub/sub): a request's messages ride its own Txn as a put of a record key
/// (message_record_prefix + slot). In a batch, the requests without guards or compares (which
/// commit whenever the batch does: PUBLISH) share one record, slot 0, put last in the outer
/// Txn; a conditional request writes its own slot (1, 2, ...) inside its nested Txn, so its
/// messages exist only if it commits. Watchers see the records in the Txn's order.
///
/// Group commit: while max_in_flight Txns are out, new requests queue; the next Txn carries
/// every queued request that fits, each conditional one (guards or compares) as its own
/// nested Txn in the success branch of an outer Txn without compares, each unconditional one
/// (a blind SET / MSET, PUBLISH: it commits whenever the batch does) as plain ops of that
/// success branch — no nested Txn to build, send and evaluate (issue 18). etcd evaluates each nested Txn's compares on its own, so one
/// conflicting request fails alone, and the whole batch is one Raft entry, one fsync and one
/// revision. Requests that write a common key never share a batch (etcd rejects a key
/// written twice in one Txn). A batch refused as a whole for a reason that guarantees nothing
/// was applied (INVALID_ARGUMENT: too many ops, too large, duplicate key; gRPC's
/// "received message larger than max", etcd_errors.h RefusedForShape) is split and its
/// requests re-sent alone; any other error fails every request of the batch with
/// "ERR etcd: <message>" and nothing is retried (the write may have been applied).
class EtcdCommitter : public Committer {
 public:
  EtcdCommitter(etcdlink::Client& client, std::string prefix, GroupCommitOptions options = {})
;
  /// Waits until no Txn is in flight: their completions run on the etcd client's thread and
  /// touch this object after calling `done` (found by ASan in replication_test, which
  /// destroys the committer as soon as its last `done` ran).
  ~EtcdCommitter() override;
  EtcdCommitter(const EtcdCommitter&) = delete;
  EtcdCommitter& operator=(const EtcdCommitter&) = delete;
  void Commit(CommitRequest request, std::function<void(CommitResult)> done) override;

  int64_t txns() const { return txns_.load(std::memory_order_relaxed); }
  int64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  int64_t conflicts() const { return conflicts_.load(std::memory_order_relaxed); }
  int64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  /// Requests whose absent-key compares were merged into range compares to fit
  /// --max-txn-ops (compare_merge.h).
  int64_t compares_merged() const { return compares_merged_.load(std::memory_order_relaxed); }
  /// Requests whose compares, even merged, or whose WATCHed keys did not fit one Txn list and
  /// went as a CheckTree (etcd_txn_fanout.h), each in a Txn of its own.
  int64_t compares_checked() const { return compares_checked_.load(std::memory_order_relaxed); }
  /// Txns that waited for their cohort (linger_us) and left when it was complete, and Txns
  /// that left when the linger's time ran out.
  int64_t linger_merged() const { return linger_merged_.load(std::memory_order_relaxed); }
  int64_t linger_expired() const { return linger_expired_.load(std::memory_order_relaxed); }

  /// A completed batch smaller than this (client requests) starts no linger.
  static constexpr size_t kLingerMinCohort = 8;
  /// The longest backoff, in eligible cycles, after lingers that kept expiring.
  static constexpr int kLingerMaxBackoff = 256;

 private:
  struct Pending {
    CommitRequest request;
    std::function<void(CommitResult)> done;
    size_t max_list = 0;  // longest of compares / writes / failure reads
    size_t bytes = 0;     // approximate serialized size
    bool solo = false;    // must travel alone (after its batch was refused, or checked)
    bool checked = false;  // its compares travel as a CheckTree (TxnShape::checked)
    bool guards_checked = false;  // and its guards (TxnShape::guards_checked)
    // In a batch: an unconditional request's writes go flat into the outer success list,
    // answered by responses [first_response, first_response + responses) there.
    size_t first_response = 0, responses = 0;
  };
  using Batch = std::vector<Pending>;

  void SendReady(std::unique_lock<std::mutex>& lock);
  /// Whether the next Txn waits for its cohort (mu_ held).
  bool Lingering() const;
  /// Ends the current linger: counts it merged or expired, and sets the backoff (mu_ held).
  void EndLinger();
  /// The linger thread: sends what is queued when a linger's time runs out.
  void LingerLoop();
  Batch TakeBatch();
  void Send(Batch batch);
  void OnBatchDone(Batch batch, absl::StatusOr<etcdlink::TxnResponse> response);

  etcdlink::Client& client_;
  std::string prefix_;
  GroupCommitOptions options_;
  std::mutex mu_;
  std::deque<Pending> queue_;
  int in_flight_ = 0;
  std::condition_variable idle_;  // notified when in_flight_ drops to 0
  // Cohort linger (mu_): client requests queued, and the count that ends the current linger
  // (0 = not lingering) or its deadline.
  size_t queued_clients_ = 0;
  size_t linger_target_ = 0;
  int linger_backoff_ = 0;  // cycles skipped after the last expiry (0 after a merge)
  int linger_skip_ = 0;     // eligible cycles still to skip
  std::chrono::steady_clock::time_point linger_deadline_;
  bool stopping_ = false;
  std::condition_variable linger_cv_;
  std::thread linger_thread_;  // runs only when linger_us > 0
  std::atomic<int64_t> txns_{0}, requests_{0}, conflicts_{0}, errors_{0}, compares_merged_{0};
  std::atomic<int64_t> compares_checked_{0};
  std::atomic<int64_t> linger_merged_{0}, linger_expired_{0};
};

}  // namespace petacore::replication
