#include "server/deadline_queue.h"

#include <algorithm>
#include <pthread.h>
#include <utility>
#include <vector>

namespace petacore::server {

DeadlineQueue::DeadlineQueue() : thread_([this] { Loop(); }) {}

DeadlineQueue::~DeadlineQueue() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void DeadlineQueue::Add(Clock::time_point deadline, std::function<void()> fn) {
  bool earliest = false;
  {
    std::lock_guard lock(mu_);
    if (entries_.empty() || entries_.back().deadline <= deadline) {
      earliest = entries_.empty();
      entries_.push_back(Entry{deadline, std::move(fn)});
    } else {
      auto at = std::upper_bound(entries_.begin(), entries_.end(), deadline,
                                 [](Clock::time_point d, const Entry& e) { return d < e.deadline; });
      earliest = at == entries_.begin();
      entries_.insert(at, Entry{deadline, std::move(fn)});
    }
  }
  // The thread sleeps until the front's deadline (or indefinitely when empty): only a new
  // front changes when it must wake.
  if (earliest) cv_.notify_one();
}

size_t DeadlineQueue::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

int64_t DeadlineQueue::ran() const {
  std::lock_guard lock(mu_);
  return ran_;
}

void DeadlineQueue::Loop() {
  pthread_setname_np(pthread_self(), "petacore-bounds");
  std::vector<std::function<void()>> due;
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (entries_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const Clock::time_point now = Clock::now();
    if (entries_.front().deadline > now) {
      cv_.wait_until(lock, entries_.front().deadline);
      continue;
    }
    while (!entries_.empty() && entries_.front().deadline <= now) {
      due.push_back(std::move(entries_.front().fn));
      entries_.pop_front();
    }
    lock.unlock();
    for (auto& fn : due) fn();
    const auto n = static_cast<int64_t>(due.size());
    due.clear();  // destroys the functions outside the lock too
    lock.lock();
    ran_ += n;
  }
}

}  // namespace petacore::server
