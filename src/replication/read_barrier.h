// src/replication/read_barrier.h — "what is etcd's revision now?", asked once for many
// readers: the first half of a linearizable read (the second half is waiting until the local
// store applied that revision, then reading locally — kube-apiserver's consistent reads from
// its watch cache work the same way).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etcdlink/client.h"

namespace petacore::replication {

/// Batches revision fetches. A reader calls Await(done); `done` receives a revision R that
/// etcd reached *after* Await was called (so every write acknowledged by etcd before the call
/// has a revision <= R), or the error of a fetch.
///
/// Overlapping fetches, at most `max_in_flight` at a time. Fetches are numbered in the order
/// they start (under the lock). A reader that arrives when fewer than max_in_flight fetches
/// are in flight starts fetch k at once and belongs to it; otherwise it waits in `next_` and
/// belongs to the fetch that starts when one in flight returns, taking every reader waiting
/// then. When fetch k returns a revision, every reader of a fetch j <= k is answered with it
/// (fetches may return out of order); its error answers only the readers of k itself.
///
/// Why this is correct: reader r registers at time a (under the lock) before its fetch j is
/// numbered (same lock, later) and j's request is sent after that (outside the lock). A fetch
/// k >= j was numbered no earlier than j, so its request too left after a. etcd answers a
/// linearizable read with a revision at least its revision when the request arrived (Raft
/// ReadIndex), hence at least the revision of every write etcd acknowledged before a. A fetch
/// k < j may have been sent before a and is never used for r. A reply is never used for
/// readers that registered after its fetch was numbered: those are in next_ or in later
/// fetches.
///
/// Cost: with one reader at a time, one etcd request per reader; under load etcd sees at most
/// max_in_flight requests at once whatever the number of readers, and a reader waits for at
/// most the rest of one round trip (to a free slot) plus one. max_in_flight = 1 is the strict
/// "one fetch at a time, late readers wait for the next" batching.
///
/// Thread-safe. `done` runs on the thread that completes the fetch (for the etcd fetch: the
/// etcd client's completion thread — keep it short, hop elsewhere), or inline in Await when
/// the fetch completes synchronously. The fetch function must outlive the barrier's use.
class ReadBarrier {
 public:
  using Result = absl::StatusOr<int64_t>;
  using Done = std::function<void(Result)>;
  /// Starts one fetch of the current revision; calls its argument exactly once with the result.
  using Fetch = std::function<void(Done)>;

  /// Fetches in flight at most by default (the server passes --read-barrier-max-inflight).
  /// More than one hides part of a round trip from a reader when etcd has CPU to spare; on a
  /// machine where etcd and PetaCore share the cores, every extra fetch costs both of them
  /// CPU and 1 serves most reads per second (bench/results/read_consistency-*).
  static constexpr int kDefaultMaxInFlight = 1;

  /// `max_in_flight` >= 1 (smaller values count as 1).
  explicit ReadBarrier(Fetch fetch, int max_in_flight = kDefaultMaxInFlight)
      : fetch_(std::move(fetch)), max_in_flight_(max_in_flight < 1 ? 1 : max_in_flight) {}

  /// Registers a reader; see the class comment for when and with what `done` is called.
  void Await(Done done);

  /// Fetches started so far (etcd requests).
  int64_t fetches() const;
  /// Readers answered so far.
  int64_t readers() const;
  /// Readers registered and not answered yet (waiting for an in-flight or the next fetch).
  int64_t waiting() const;
  /// Fetches in flight now.
  int in_flight() const;
  /// The bound given to the constructor.
  int max_in_flight() const { return max_in_flight_; }
  /// Counts a read served under a fence another read of the same batch took (no Await).
  void CountSharedRead() { shared_reads_.fetch_add(1, std::memory_order_relaxed); }
  /// Reads counted by CountSharedRead so far.
  int64_t shared_reads() const { return shared_reads_.load(std::memory_order_relaxed); }
  /// INFO lines ("name:value\r\n"): read_barrier_fetches, _readers, _waiting, _in_flight,
  /// _max_in_flight, _shared_reads.
  std::string InfoLines() const;

 private:
  struct Group {  // the unanswered readers of one in-flight fetch
    uint64_t seq;
    std::vector<Done> readers;
  };
  void StartFetch(std::unique_lock<std::mutex>& lock);
  void OnFetched(uint64_t seq, Result result);

  Fetch fetch_;
  const int max_in_flight_;
  mutable std::mutex mu_;
  int in_flight_ = 0;
  uint64_t started_ = 0;      // fetches numbered so far (the last one's seq)
  std::deque<Group> groups_;  // fetches with unanswered readers, ascending seq
  std::vector<Done> next_;    // readers waiting for a free slot
  int64_t readers_ = 0;
  std::atomic<int64_t> shared_reads_{0};
};

/// The etcd fetch for a ReadBarrier: a read-only Txn holding one linearizable Range (limit 1)
/// of `key` — a key PetaCore never writes, so the Range reads nothing — whose header.revision
/// is etcd's current revision after a Raft ReadIndex round trip (etcd v3: a read-only Txn is
/// linearizable unless every Range in it is serializable; an empty Txn would count as
/// serializable). Bounded by the client's call timeout. `client` must outlive the Fetch.
ReadBarrier::Fetch EtcdRevisionFetch(etcdlink::Client& client, std::string key);

}  // namespace petacore::replication
