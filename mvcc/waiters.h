// mvcc/waiters.h — WaitApplied / OnApplied bookkeeping (internal to mvcc/).
//
// Ack-after-visible means many connections wait for "applied revision >= R". Waiters and
// callbacks live under one mutex that only the writer and registrants take — never readers.
// So that an Apply with nobody waiting does not even touch the mutex, registrants announce
// themselves in `interest_` before checking the applied revision, and the writer reads
// `interest_` after publishing it (both seq_cst): either the writer sees the registrant, or
// the registrant sees the new revision.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace petacore::mvcc::internal {

class ApplyWaiters {
 public:
  /// Blocks until applied >= revision or the timeout passes; returns whether reached.
  bool Wait(const std::atomic<int64_t>& applied, int64_t revision,
            std::chrono::milliseconds timeout);

  /// Runs `fn` now (caller's thread) if applied >= revision and returns 0, else registers it
  /// for Notify and returns its id (> 0) for Cancel.
  uint64_t OnApplied(const std::atomic<int64_t>& applied, int64_t revision,
                     std::function<void()> fn);

  /// Removes a callback registered by OnApplied before it runs, destroying it on the calling
  /// thread. False when it already ran (or is running), or for id 0 / an unknown id.
  bool Cancel(uint64_t id);

  /// Callbacks registered and neither run nor cancelled yet.
  size_t pending() const;

  /// Writer, after publishing `applied` with a seq_cst store: wakes waiters and runs every
  /// callback whose revision is reached, outside the lock, on the calling thread.
  void Notify(int64_t applied);

 private:
  std::atomic<int64_t> interest_{0};  // blocked waiters + registered callbacks
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_ = 1;  // under mu_
  /// Callbacks by (revision, id): ascending revision for Notify, the pair for Cancel.
  std::map<std::pair<int64_t, uint64_t>, std::function<void()>> callbacks_;
  std::unordered_map<uint64_t, int64_t> revision_of_;  // id -> revision, for Cancel
};

}  // namespace petacore::mvcc::internal
