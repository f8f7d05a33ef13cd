// src/expiry/expirer.h — active expiry: deletes keys whose expire-at has passed even when no
// client reads them, so their memory (every node's replica) and etcd space are reclaimed.
//
// Like Redis's active expire cycle it runs about 10 times a second, but it never samples:
// the Index hands out exactly the keys that are due. Each due key becomes one CommitRequest
//   compares: mod_revision(meta key) == the revision the index saw, writes: DeleteRange
//   [meta key, KeyEnd(meta key))
// so a key rewritten (new TTL, PERSIST, SET) after the index saw it is never deleted: its
// compare fails and the index already holds, or is about to receive, the new version. The
// requests go through the server's Committer, so in replicated mode EtcdCommitter folds many
// of them into one etcd Txn (each its own nested Txn with its own compare), and in standalone
// mode LocalCommitter applies them to the store directly.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "expiry/index.h"
#include "replication/committer.h"

namespace petacore::expiry {

/// The delete of one due key: compare mod_revision(meta key) == key.mod_revision, then
/// DeleteRange [meta key, KeyEnd(meta key)) (the meta key and every subkey). With
/// `notify_flags` (keyspace::notify bits of notify-keyspace-events) enabling class x, the
/// request carries the key's "expired" keyspace notification (keyspace/messages.h), which is
/// delivered on every node only if this delete commits: one "expired" per key cluster-wide
/// (Redis's activeExpireCycle -> deleteExpiredKeyAndPropagate). With `snapshot`, a key of
/// more than replication::kTombstoneMinKeys store keys (a big collection) is deleted by a
/// range tombstone instead (replication/range_tombstone.h RangeDelete).
replication::CommitRequest DeleteRequest(const DueKey& key, int notify_flags = 0,
                                         const mvcc::Snapshot* snapshot = nullptr);

struct ExpirerOptions {
  std::chrono::milliseconds interval{100};  ///< pause between cycles with nothing (more) due
  /// Delete requests awaiting their commit at once. They share the committer's queue with
  /// client writes, so this bounds how far a burst of expiring keys delays those.
  size_t max_in_flight = 256;
  /// The replica, to size the keys it deletes (DeleteRequest); null = always a DeleteRange.
  const mvcc::Store* store = nullptr;
};

/// The active expiry loop, on its own thread. `active` says whether this node should expire
/// keys now (the expiry leader in replicated mode; always in standalone mode). Counters are
/// thread-safe. Start once; Stop (or destroy) waits for requests in flight.
class Expirer {
 public:
  Expirer(Index& index, replication::Committer& committer, std::function<bool()> active,
          ExpirerOptions options = {});
  ~Expirer();
  Expirer(const Expirer&) = delete;
  Expirer& operator=(const Expirer&) = delete;

  /// Where each cycle reads the notify-keyspace-events flags in force (keyspace::notify
  /// bits) for the "expired" notifications of its deletes (DeleteRequest); unset = none.
  /// Called on the expiry thread: it must be thread-safe. Call before Start.
  void SetNotifyFlags(std::function<int()> notify_flags) {
    notify_flags_ = std::move(notify_flags);
  }

  void Start();
  void Stop();

  /// Keys this node deleted (as Redis's expired_keys, active expiry only).
  int64_t expired_keys() const { return expired_.load(std::memory_order_relaxed); }
  /// Deletes whose compare failed: the key was rewritten or deleted before us.
  int64_t stale_skips() const { return stale_.load(std::memory_order_relaxed); }
  /// Deletes that failed (etcd unreachable, ...); those keys are retried.
  int64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  void Run();
  /// Submits up to `limit` due keys; returns how many.
  size_t SubmitDue(size_t limit);

  Index& index_;
  replication::Committer& committer_;
  std::function<bool()> active_;
  ExpirerOptions options_;
  std::function<int()> notify_flags_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  size_t in_flight_ = 0;  // guarded by mu_
  std::atomic<int64_t> expired_{0}, stale_{0}, errors_{0};
};

}  // namespace petacore::expiry
