// executor_test.cc — the lifetime rule of server::Executor (executor.h): work posted for a
// connection that has closed is dropped, and a write whose callbacks outlive its connection
// touches nothing of it.
#include "server/executor.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
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

// Through the Driver: a write's reply is delivered, then the connection closes; nothing the
// job registered may run against the connection afterwards, and no store waiter is left.
TEST(ExecutorTest, WriteOfAClosedConnectionLeavesNoWaiter) {
  TestServer server;
  TestClient client(server);
  EXPECT_EQ(client.Run({"set", "k", "v"}), kOK);
  server.executor().Close();
  EXPECT_EQ(server.state().store.pending_on_applied(), 0u);
  server.executor().RunUntilIdle();
}

}  // namespace
}  // namespace petacore::testing
