// tests/support/eventually.h — waiting for a condition in tests, bounded in time.
#pragma once

#include <chrono>
#include <thread>

namespace petacore::test {

/// Polls `pred` every 10 ms for at most `limit`; returns its last value. Never a timing
/// assertion: the limit only bounds how long a broken test hangs.
template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace petacore::test
