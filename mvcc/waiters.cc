// mvcc/waiters.cc — see waiters.h.
#include "mvcc/waiters.h"

#include <utility>
#include <vector>

namespace petacore::mvcc::internal {

bool ApplyWaiters::Wait(const std::atomic<int64_t>& applied, int64_t revision,
                        std::chrono::milliseconds timeout) {
  if (applied.load(std::memory_order_acquire) >= revision) return true;
  interest_.fetch_add(1, std::memory_order_seq_cst);
  bool reached;
  {
    std::unique_lock lock(mu_);
    reached = cv_.wait_for(lock, timeout,
                           [&] { return applied.load(std::memory_order_seq_cst) >= revision; });
  }
  interest_.fetch_sub(1, std::memory_order_relaxed);
  return reached;
}

uint64_t ApplyWaiters::OnApplied(const std::atomic<int64_t>& applied, int64_t revision,
                                 std::function<void()> fn) {
  if (applied.load(std::memory_order_acquire) < revision) {
    interest_.fetch_add(1, std::memory_order_seq_cst);
    std::unique_lock lock(mu_);
    // Re-check under the lock: an Apply may have published `revision` since the first check.
    if (applied.load(std::memory_order_seq_cst) < revision) {
      uint64_t id = next_id_++;
      callbacks_.emplace(std::make_pair(revision, id), std::move(fn));
      revision_of_.emplace(id, revision);
      return id;  // interest_ stays raised until Notify runs it or Cancel removes it
    }
    lock.unlock();
    interest_.fetch_sub(1, std::memory_order_relaxed);
  }
  fn();
  return 0;
}

bool ApplyWaiters::Cancel(uint64_t id) {
  std::function<void()> dropped;  // destroyed after the lock is released
  {
    std::lock_guard lock(mu_);
    auto rev = revision_of_.find(id);
    if (rev == revision_of_.end()) return false;
    auto it = callbacks_.find({rev->second, id});
    dropped = std::move(it->second);
    callbacks_.erase(it);
    revision_of_.erase(rev);
  }
  interest_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

size_t ApplyWaiters::pending() const {
  std::lock_guard lock(mu_);
  return callbacks_.size();
}

void ApplyWaiters::Notify(int64_t applied) {
  if (interest_.load(std::memory_order_seq_cst) == 0) return;
  std::vector<std::function<void()>> due;
  {
    std::lock_guard lock(mu_);
    auto end = callbacks_.lower_bound({applied + 1, 0});
    for (auto it = callbacks_.begin(); it != end; ++it) {
      revision_of_.erase(it->first.second);
      due.push_back(std::move(it->second));
    }
    callbacks_.erase(callbacks_.begin(), end);
  }
  cv_.notify_all();
  if (!due.empty())
    interest_.fetch_sub(static_cast<int64_t>(due.size()), std::memory_order_relaxed);
  for (auto& fn : due) fn();
}

}  // namespace petacore::mvcc::internal
