// src/server/deadline_queue.h — the bounds of the replicated path (ack-after-visible, read
// fences) as entries of one queue served by one thread, instead of one Asio timer per write.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace petacore::server {

/// Runs functions once their deadline has passed, on a thread of its own.
///
/// Why (issue 18): every replicated write is bounded by --etcd-timeout-ms (Job::BoundAckWait)
/// and almost never reaches that bound. An Asio timer per write cost a timer-queue insert under
/// the reactor's lock, a wake-up of an io thread when it fired 5 s later, and kept the write's
/// Job alive until then. Here an entry is one push under a mutex; when it comes due, the
/// function typically finds its job long finished and returns without touching an io thread.
///
/// Order: entries run in deadline order (ties in insertion order). Deadlines pushed in
/// non-decreasing order — the common case, a constant timeout — cost O(1); an earlier one is
/// inserted in place (O(n), rare: only after the timeout is lowered).
///
/// Precision: a function runs at its deadline or a little after (the thread's wake-up); never
/// before.
///
/// Thread-safety: Add and size() from any thread. Functions run on the queue's thread, one at a
/// time, without the lock held: keep them short (post the real work to where it belongs) and
/// never let them block on anything that waits for this queue. The destructor stops the thread
/// and destroys the entries not yet due without running them, so functions must not own
/// anything whose destruction needs a particular thread.
class DeadlineQueue {
 public:
  using Clock = std::chrono::steady_clock;

  DeadlineQueue();
  ~DeadlineQueue();
  DeadlineQueue(const DeadlineQueue&) = delete;
  DeadlineQueue& operator=(const DeadlineQueue&) = delete;

  /// Queues `fn` to run once `deadline` has passed.
  void Add(Clock::time_point deadline, std::function<void()> fn);
  /// Queues `fn` to run `delay` (ms) from now.
  void AddAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
    Add(Clock::now() + delay, std::move(fn));
  }

  /// Entries queued and not yet run (tests; not shown in INFO).
  size_t size() const;
  /// Entries run so far (tests).
  int64_t ran() const;

 private:
  struct Entry {
    Clock::time_point deadline;
    std::function<void()> fn;
  };
  void Loop();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> entries_;  // ascending deadline
  bool stop_ = false;
  int64_t ran_ = 0;
  std::thread thread_;  // last: started after the members above exist
};

}  // namespace petacore::server
