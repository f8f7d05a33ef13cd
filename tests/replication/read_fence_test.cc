// AwaitReadFence (src/server/read_fence.h) against a real etcd: the continuation runs once the
// local store applied etcd's revision; an etcd error and a replica that never catches up both
// end in a Redis error after --etcd-timeout-ms, exactly once, never inline. The store here is
// fed by hand (no Sync), which makes "the replica does not catch up" deterministic.
#include "server/read_fence.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "etcdlink/client.h"
#include "replication/read_barrier.h"
#include "server/driver.h"
#include "tests/support/etcd_process.h"

namespace petacore::server {
namespace {

using namespace std::chrono_literals;

/// Runs each posted function on its own thread (joined at destruction): never inline.
class ThreadExecutor : public Executor {
 public:
  /// Joins every thread started so far. Called by the fixture before it lets go of the
  /// executor (a thread's function holds a reference; the last one must not join itself).
  void JoinAll() {
    std::lock_guard lock(mu_);
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 protected:
  void Schedule(std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    threads_.emplace_back(std::move(fn));
  }
  void ScheduleAfter(std::chrono::milliseconds delay, std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    threads_.emplace_back([delay, fn = std::move(fn)] {
      std::this_thread::sleep_for(delay);
      fn();
    });
  }

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

class ReadFenceTest : public ::testing::Test {
 protected:
  ~ReadFenceTest() override { executor_->JoinAll(); }  // while the state below is alive

  void SetUp() override {
    etcd_ = std::make_unique<test::EtcdProcess>();
    ASSERT_TRUE(etcd_->Start());
    client_ = std::make_unique<etcdlink::Client>(
        etcdlink::ClientOptions{{etcd_->endpoint()}, std::chrono::milliseconds(1000)});
    state_.config.etcd_timeout = 300ms;
    state_.read_barrier = std::make_unique<replication::ReadBarrier>(
        replication::EtcdRevisionFetch(*client_, "/t/read-barrier"));
  }

  /// Starts a fence; the future gets the error text ("" = go ahead) and how often `then` ran.
  std::future<std::string> Fence() {
    auto promise = std::make_shared<std::promise<std::string>>();
    auto future = promise->get_future();
    auto calls = std::make_shared<std::atomic<int>>(0);
    calls_.push_back(calls);
    auto caller = std::this_thread::get_id();
    AwaitReadFence(state_, executor_, [promise, calls, caller](std::string error) {
      EXPECT_NE(std::this_thread::get_id(), caller);  // never inline
      if (calls->fetch_add(1) == 0) promise->set_value(std::move(error));
    });
    return future;
  }

  std::unique_ptr<test::EtcdProcess> etcd_;
  std::unique_ptr<etcdlink::Client> client_;
  ServerState state_;
  std::vector<std::shared_ptr<std::atomic<int>>> calls_;
  std::shared_ptr<ThreadExecutor> executor_ = std::make_shared<ThreadExecutor>();
};

TEST_F(ReadFenceTest, ProceedsOnceTheStoreAppliedEtcdsRevision) {
  auto rev = client_->Put("/t/x", "v");
  ASSERT_TRUE(rev.ok());
  state_.store.Apply(*rev, {});  // the replica is already there
  EXPECT_EQ(Fence().get(), "");
}

TEST_F(ReadFenceTest, WaitsForTheWatchToCatchUp) {
  state_.config.etcd_timeout = 2s;  // the local timeout must not win the race below
  auto rev = client_->Put("/t/x", "v");
  ASSERT_TRUE(rev.ok());
  auto fence = Fence();
  // Not applied yet: the fence must wait (it cannot answer before the store moves, since
  // etcd's revision is at least *rev).
  EXPECT_EQ(fence.wait_for(50ms), std::future_status::timeout);
  state_.store.Apply(*rev, {});
  EXPECT_EQ(fence.get(), "");
}

TEST_F(ReadFenceTest, ReplicaThatNeverCatchesUpFailsAfterTheTimeout) {
  auto rev = client_->Put("/t/x", "v");
  ASSERT_TRUE(rev.ok());
  std::string error = Fence().get();
  EXPECT_EQ(error.rfind("ERR etcd: local replica did not reach revision ", 0), 0u) << error;
  // A late apply does not run the continuation a second time.
  state_.store.Apply(*rev, {});
}

TEST_F(ReadFenceTest, EtcdDownFailsWithEtcdsMessage) {
  etcd_->Kill();
  std::string error = Fence().get();
  EXPECT_EQ(error.rfind("ERR etcd: ", 0), 0u) << error;
  EXPECT_EQ(error.find("local replica"), std::string::npos) << error;
}

TEST_F(ReadFenceTest, EffectiveModeIsLocalInStandalone) {
  client::Session session;
  session.read_consistency = client::ReadConsistency::kLinearizable;
  EXPECT_EQ(EffectiveReadConsistency(state_, session), client::ReadConsistency::kLinearizable);
  client::Session plain;
  EXPECT_EQ(EffectiveReadConsistency(state_, plain), client::ReadConsistency::kLocal);
  state_.config.read_consistency = client::ReadConsistency::kLinearizable;
  EXPECT_EQ(EffectiveReadConsistency(state_, plain), client::ReadConsistency::kLinearizable);
  ServerState standalone;  // no read barrier
  EXPECT_EQ(EffectiveReadConsistency(standalone, session), client::ReadConsistency::kLocal);
}

}  // namespace
}  // namespace petacore::server
