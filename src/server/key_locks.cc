#include "server/key_locks.h"

namespace petacore::server {

bool KeyLocks::TryLock(const std::vector<std::string>& keys, std::function<void()> wake) {
  std::lock_guard lock(mu_);
  for (const auto& k : keys) {
    auto it = held_.find(k);
    if (it != held_.end()) {
      it->second.push_back(std::move(wake));
      return false;
    }
  }
  for (const auto& k : keys) held_.try_emplace(k);
  return true;
}

void KeyLocks::Unlock(const std::vector<std::string>& keys) {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mu_);
    for (const auto& k : keys) {
      auto it = held_.find(k);
      if (it == held_.end()) continue;
      for (auto& w : it->second) wakes.push_back(std::move(w));
      held_.erase(it);
    }
  }
  for (auto& w : wakes) w();
}

}  // namespace petacore::server
