// tests/fuzz/queue_executor.h — the executor the fuzz targets run the Driver on: one thread,
// no io_context. Post queues; PostAfter queues behind everything ready (its delay is ignored,
// so a timeout fires at once — the targets run no blocking commands, or only inside scripts,
// where they answer at once). Not thread-safe: the fuzzing thread owns it.
#pragma once

#include <chrono>
#include <deque>
#include <functional>

#include "server/executor.h"

namespace petacore::fuzz {

class QueueExecutor : public server::Executor {
 public:
  /// Runs what is queued, delayed work included, until nothing is left (bounded: 100,000
  /// steps, so a task that re-queues itself forever cannot hang the fuzzer).
  void RunUntilIdle() {
    for (int guard = 0; guard < 100000 && (!ready_.empty() || !delayed_.empty()); ++guard) {
      if (ready_.empty()) ready_.swap(delayed_);
      auto fn = std::move(ready_.front());
      ready_.pop_front();
      fn();
    }
  }

 private:
  void Schedule(std::function<void()> fn) override { ready_.push_back(std::move(fn)); }
  void ScheduleAfter(std::chrono::milliseconds, std::function<void()> fn) override {
    delayed_.push_back(std::move(fn));
  }

  std::deque<std::function<void()>> ready_;
  std::deque<std::function<void()>> delayed_;
};

}  // namespace petacore::fuzz
