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

namespace petacore::mvcc::internal {

class ApplyWaiters {
 public:
  /// Blocks until applied >= revision or the timeout passes; returns whether reached.
  bool Wait(const std::atomic<int64_t>& applied, int64_t revision,
            std::chrono::milliseconds timeout);

  /// Runs `fn` now (caller's thread) if applied >= revision, else registers it for Notify.
  void OnApplied(const std::atomic<int64_t>& applied, int64_t revision, std::function<void()> fn);

  /// Writer, after publishing `applied` with a seq_cst store: wakes waiters and runs every
  /// callback whose revision is reached, outside the lock, on the calling thread.
  void Notify(int64_t applied);

 private:
  std::atomic<int64_t> interest_{0};  // blocked waiters + registered callbacks
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<int64_t, std::function<void()>> callbacks_;  // by revision, ascending
};

}  // namespace petacore::mvcc::internal
