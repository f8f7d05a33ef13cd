// tests/commands/test_util.h — an in-process harness for command tests, in the style of
// Dragonfly's BaseFamilyTest: Run({"set", "k", "v"}) executes one command through the real
// server::Driver (lookup, arity, MULTI queuing, TxnView, commit, ack-after-visible) against a
// standalone ServerState with a LocalCommitter, and returns the raw RESP reply bytes.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/session.h"
#include "replication/local_committer.h"
#include "server/driver.h"
#include "server/server_state.h"

namespace petacore::testing {

/// A single-threaded executor: Post queues; PostAfter queues behind everything posted so far
/// (the delay is ignored). RunUntilIdle runs queued functions, including those they post,
/// until nothing is left.
class QueueExecutor : public server::Executor {
 public:
  /// Returns how many functions ran.
  size_t RunUntilIdle();
  size_t delayed_runs() const { return delayed_runs_; }

 protected:
  void Schedule(std::function<void()> fn) override { ready_.push_back(std::move(fn)); }
  void ScheduleAfter(std::chrono::milliseconds, std::function<void()> fn) override {
    delayed_.push_back(std::move(fn));
  }

 private:
  std::deque<std::function<void()>> ready_;
  std::deque<std::function<void()>> delayed_;
  size_t delayed_runs_ = 0;
};

/// The shared part: one standalone server's state, committer and driver.
class TestServer {
 public:
  TestServer();
  server::ServerState& state() { return state_; }
  server::Driver& driver() { return driver_; }
  QueueExecutor& executor() { return *executor_; }
  /// The executor as the Driver takes it (shared: callbacks may outlive a command).
  const std::shared_ptr<server::Executor>& shared_executor() const { return shared_; }

 private:
  server::ServerState state_;
  server::Driver driver_{state_};
  std::shared_ptr<QueueExecutor> executor_ = std::make_shared<QueueExecutor>();
  std::shared_ptr<server::Executor> shared_ = executor_;
};

/// One client connection's Session on a TestServer.
class TestClient {
 public:
  explicit TestClient(TestServer& server);
  ~TestClient();
  /// Executes `args` (args[0] = command name) and returns the whole raw RESP reply.
  /// A reply that never completes fails the test and returns "<no reply>".
  std::string Run(std::vector<std::string> args);
  client::Session& session() { return session_; }

 private:
  TestServer& server_;
  client::Session session_;
};

/// Base fixture: a fresh server per test with a default client; Run() goes through it.
class CommandTest : public ::testing::Test {
 protected:
  CommandTest() : client_(server_) {}
  std::string Run(std::vector<std::string> args) { return client_.Run(std::move(args)); }
  /// Another connection to the same server (for WATCH races and the like).
  std::unique_ptr<TestClient> NewClient() { return std::make_unique<TestClient>(server_); }

  TestServer server_;
  TestClient client_;
};

// Expected-reply builders (RESP2).
inline const std::string kOK = "+OK\r\n";
inline const std::string kNil = "$-1\r\n";
inline const std::string kNilArray = "*-1\r\n";
std::string Bulk(std::string_view s);
std::string Int(int64_t n);
std::string Err(std::string_view text);  ///< "-" + text + "\r\n"
std::string Simple(std::string_view s);
std::string Array(const std::vector<std::string>& encoded_elements);

/// Decodes a lone bulk reply ("$n\r\n...\r\n") into its bytes; ADD_FAILURE otherwise.
std::string DecodeBulk(const std::string& reply);

}  // namespace petacore::testing
