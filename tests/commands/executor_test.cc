// executor_test.cc — the lifetime rule of server::Executor (executor.h): work posted for a
// connection that has closed is dropped. (Waiters outliving a reply need a stalled watch:
// tests/integration/test_faults_lifetimes.py.)
#include "server/executor.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

TEST(ExecutorTest, ClosedExecutorDropsPostedWork) {
  auto ex = std::make_shared<QueueExecutor>();
  std::vector<int> ran;
  ex->Post([&] { ran.push_back(1); });
  ex->PostAfter(std::chrono::milliseconds(5), [&] { ran.push_back(2); });
  EXPECT_EQ(ex->RunUntilIdle(), 2u);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));

  ex->Post([&] { ran.push_back(3); });  // queued before the close: dropped too
  ex->Close();
  EXPECT_TRUE(ex->closed());
  ex->Post([&] { ran.push_back(4); });
  ex->PostAfter(std::chrono::milliseconds(5), [&] { ran.push_back(5); });
  ex->RunUntilIdle();
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace petacore::testing
