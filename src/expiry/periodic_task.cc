#include "expiry/periodic_task.h"

#include <algorithm>
#include <chrono>

namespace petacore::expiry {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

PeriodicTask::PeriodicTask(std::function<int64_t()> interval_ms, std::function<void()> tick,
                           bool tick_first)
    : interval_ms_(std::move(interval_ms)), tick_(std::move(tick)), tick_first_(tick_first) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Start() {
  thread_ = std::thread([this] { Run(); });
}

void PeriodicTask::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::Run() {
  std::unique_lock lock(mu_);
  bool first = true;
  while (!stop_) {
    if (!(first && tick_first_)) {
      const int64_t interval = std::max<int64_t>(1, interval_ms_());
      cv_.wait_for(lock, std::chrono::milliseconds(interval), [this] { return stop_; });
      if (stop_) break;
    }
    first = false;
    lock.unlock();
    tick_();
    lock.lock();
  }
}

}  // namespace petacore::expiry
