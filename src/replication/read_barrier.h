// src/replication/read_barrier.h — "what is etcd's revision now?", asked once for many
// readers: the first half of a linearizable read (the second half is waiting until the local
// store applied that revision, then reading locally — kube-apiserver's consistent reads from
// its watch cache work the same way).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etcdlink/client.h"

namespace petacore::replication {

/// Batches revision fetches. A reader calls Await(done); `done` receives a revision R that
/// etcd reached *after* Await was called (so every write acknowledged by etcd before the call
/// has a revision <= R), or the error of the fetch.
///
/// Batching: at most one fetch is in flight. Readers that arrive while one is in flight wait
/// for the NEXT fetch — a reply to a request sent before they arrived proves nothing about
/// writes acknowledged in between. When a fetch returns, its readers are answered and, if
/// anyone arrived meanwhile, the next fetch starts at once for all of them. Under load every
/// reader waits for at most two etcd round trips, and etcd sees one request per round trip
/// regardless of the number of readers.
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

  explicit ReadBarrier(Fetch fetch) : fetch_(std::move(fetch)) {}

  /// Registers a reader; see the class comment for when and with what `done` is called.
  void Await(Done done);

  /// Fetches started so far (etcd requests).
  int64_t fetches() const;
  /// Readers answered so far.
  int64_t readers() const;
  /// Readers registered and not answered yet (waiting for the in-flight or the next fetch).
  int64_t waiting() const;

 private:
  void StartFetch(std::unique_lock<std::mutex>& lock);
  void OnFetched(Result result);

  Fetch fetch_;
  mutable std::mutex mu_;
  bool in_flight_ = false;
  std::vector<Done> current_;  // readers the in-flight fetch answers
  std::vector<Done> next_;     // readers that arrived while it was in flight
  int64_t fetches_ = 0;
  int64_t readers_ = 0;
};

/// The etcd fetch for a ReadBarrier: a read-only Txn holding one linearizable Range (limit 1)
/// of `key` — a key PetaCore never writes, so the Range reads nothing — whose header.revision
/// is etcd's current revision after a Raft ReadIndex round trip (etcd v3: a read-only Txn is
/// linearizable unless every Range in it is serializable; an empty Txn would count as
/// serializable). Bounded by the client's call timeout. `client` must outlive the Fetch.
ReadBarrier::Fetch EtcdRevisionFetch(etcdlink::Client& client, std::string key);

}  // namespace petacore::replication
