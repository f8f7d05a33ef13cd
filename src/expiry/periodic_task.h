// src/expiry/periodic_task.h — one background thread that runs a function at an interval
// until stopped: the loop under the housekeeping services (chunk cleaner, etcd compaction and
// defragmentation, replica lag).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace petacore::expiry {

/// Milliseconds of the steady clock (monotonic; for intervals and durations, not wall time).
int64_t SteadyMs();

/// Calls `tick` on its own thread: first after one interval (or at once with
/// `tick_first`), then again each `interval_ms()` after the previous call returned. The
/// interval is read before every wait, so a live config option takes effect at the next
/// round; values below 1 ms count as 1 ms. `tick` runs with no lock held and must tolerate
/// Stop being called meanwhile (Stop waits for it to return).
/// Start once; Stop is idempotent, wakes a waiting thread at once and joins it; the
/// destructor stops. Start/Stop are not thread-safe with each other (one owner thread).
class PeriodicTask {
 public:
  PeriodicTask(std::function<int64_t()> interval_ms, std::function<void()> tick,
               bool tick_first = false);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void Start();
  void Stop();

 private:
  void Run();

  std::function<int64_t()> interval_ms_;
  std::function<void()> tick_;
  bool tick_first_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace petacore::expiry
