// DeadlineQueue (src/server/deadline_queue.h): functions run once their deadline has passed,
// in deadline order, never before it; an earlier deadline added while the thread sleeps on a
// later one is served first; entries not yet due are dropped unrun by the destructor.
#include "server/deadline_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace petacore::server {
namespace {

using namespace std::chrono_literals;
using Clock = DeadlineQueue::Clock;

TEST(DeadlineQueueTest, RunsInDeadlineOrderAndNeverEarly) {
  DeadlineQueue queue;
  std::mutex mu;
  std::vector<int> order;
  std::vector<bool> early;
  std::promise<void> all;
  const Clock::time_point base = Clock::now() + 50ms;
  // Pushed out of order: 3, 1, 2 (the in-place insert), and two ties in insertion order.
  const std::vector<std::pair<int, std::chrono::milliseconds>> plan = {
      {3, 30ms}, {1, 10ms}, {2, 20ms}, {4, 40ms}, {5, 40ms}};
  for (const auto& [id, offset] : plan) {
    const Clock::time_point deadline = base + offset;
    queue.Add(deadline, [&, id = id, deadline] {
      std::lock_guard lock(mu);
      order.push_back(id);
      early.push_back(Clock::now() < deadline);
      if (order.size() == plan.size()) all.set_value();
    });
  }
  ASSERT_EQ(all.get_future().wait_for(30s), std::future_status::ready);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(early, std::vector<bool>(5, false));
  EXPECT_EQ(queue.size(), 0u);
  // ran() counts a batch once its functions returned: the last one set the promise before.
  const auto bound = Clock::now() + 30s;  // liveness bound, not a speed one
  while (queue.ran() < 5 && Clock::now() < bound) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(queue.ran(), 5);
}

TEST(DeadlineQueueTest, AnEarlierEntryWakesTheThreadSleepingOnALaterOne) {
  DeadlineQueue queue;
  std::atomic<bool> late_ran{false};
  queue.AddAfter(std::chrono::hours(1), [&] { late_ran = true; });
  std::this_thread::sleep_for(20ms);  // let the thread go to sleep until the hour is up
  std::promise<void> ran;
  queue.AddAfter(10ms, [&] { ran.set_value(); });
  // Without the wake-up it would run in an hour; 30 s is a liveness bound, not a speed one.
  ASSERT_EQ(ran.get_future().wait_for(30s), std::future_status::ready);
  EXPECT_FALSE(late_ran.load());
  EXPECT_EQ(queue.size(), 1u);
}

TEST(DeadlineQueueTest, DestructorDropsEntriesNotYetDueWithoutRunningThem) {
  auto owned = std::make_shared<int>(7);
  std::atomic<bool> ran{false};
  {
    DeadlineQueue queue;
    queue.AddAfter(std::chrono::hours(1), [&ran, owned] { ran = true; });
    EXPECT_EQ(owned.use_count(), 2);
  }
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(owned.use_count(), 1);  // the function was destroyed with the queue
}

TEST(DeadlineQueueTest, AFunctionMayAddAnother) {
  DeadlineQueue queue;
  std::promise<void> second;
  queue.AddAfter(1ms, [&] { queue.AddAfter(1ms, [&] { second.set_value(); }); });
  ASSERT_EQ(second.get_future().wait_for(30s), std::future_status::ready);
}

}  // namespace
}  // namespace petacore::server
