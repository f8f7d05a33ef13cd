#include "server/client_pause.h"

#include <algorithm>

namespace petacore::server {

void ClientPause::Pause(int64_t end_ms, Mode mode) {
  std::lock_guard lock(mu_);
  if (mode_ == Mode::kNone) end_ms_ = 0;
  mode_ = std::max(mode_, mode);
  end_ms_ = std::max(end_ms_, end_ms);
  active_.store(true);
}

void ClientPause::Unpause() {
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(mu_);
    mode_ = Mode::kNone;
    end_ms_ = 0;
    active_.store(false);
    waiters.swap(waiters_);
  }
  for (auto& fn : waiters) fn();
}

bool ClientPause::Hold(bool may_write, int64_t now_ms, int64_t* until_ms,
                       std::function<void()> on_unpause) {
  if (!active_.load()) return false;
  std::lock_guard lock(mu_);
  if (mode_ == Mode::kNone) return false;
  if (now_ms >= end_ms_) {  // the deadline passed: the pause is over
    mode_ = Mode::kNone;
    active_.store(false);
    waiters_.clear();
    return false;
  }
  if (mode_ == Mode::kWrite && !may_write) return false;
  *until_ms = end_ms_;
  waiters_.push_back(std::move(on_unpause));
  return true;
}

}  // namespace petacore::server
