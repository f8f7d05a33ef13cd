// ReadBarrier against a real etcd: the revision it returns covers every write acknowledged
// before Await; readers arriving while a fetch is in flight wait for the next fetch (and share
// it); one fetch at a time; etcd errors reach every waiting reader.
#include "replication/read_barrier.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "etcdlink/client.h"
#include "tests/support/etcd_process.h"

namespace petacore::replication {
namespace {

using namespace std::chrono_literals;

class ReadBarrierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<test::EtcdProcess>();
    ASSERT_TRUE(etcd_->Start());
    client_ = std::make_unique<etcdlink::Client>(
        etcdlink::ClientOptions{{etcd_->endpoint()}, std::chrono::milliseconds(2000)});
  }

  static std::future<ReadBarrier::Result> Await(ReadBarrier& barrier) {
    auto promise = std::make_shared<std::promise<ReadBarrier::Result>>();
    auto future = promise->get_future();
    barrier.Await([promise](ReadBarrier::Result r) { promise->set_value(std::move(r)); });
    return future;
  }

  std::unique_ptr<test::EtcdProcess> etcd_;
  std::unique_ptr<etcdlink::Client> client_;
};

/// Wraps the real etcd fetch: each fetch is sent to etcd at once, but its reply is held until
/// the test releases it, so the test decides what "in flight" spans.
class HeldFetch {
 public:
  explicit HeldFetch(ReadBarrier::Fetch real) : real_(std::move(real)) {}

  ReadBarrier::Fetch fetch() {
    return [this](ReadBarrier::Done done) {
      {
        std::lock_guard lock(mu_);
        ++sent_;
      }
      real_([this, done = std::move(done)](ReadBarrier::Result r) {
        std::lock_guard lock(mu_);
        held_.push_back([done, r] { done(r); });
        cv_.notify_all();
      });
    };
  }
  /// Waits until `n` replies are held (the requests reached etcd and came back).
  void WaitHeld(size_t n) {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 10s, [&] { return held_.size() >= n; }));
  }
  /// Delivers the oldest held reply (on this thread).
  void ReleaseOne() {
    std::function<void()> f;
    {
      std::lock_guard lock(mu_);
      ASSERT_FALSE(held_.empty());
      f = std::move(held_.front());
      held_.erase(held_.begin());
    }
    f();
  }
  int sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  ReadBarrier::Fetch real_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> held_;
  int sent_ = 0;
};

TEST_F(ReadBarrierTest, RevisionCoversWritesAcknowledgedBefore) {
  ReadBarrier barrier(EtcdRevisionFetch(*client_, "/t/barrier-key"));
  for (int i = 0; i < 20; ++i) {
    auto put = client_->Put("/t/x", std::to_string(i));
    ASSERT_TRUE(put.ok()) << put.status();
    auto r = Await(barrier).get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_GE(*r, *put);
  }
  EXPECT_EQ(barrier.fetches(), 20);
  EXPECT_EQ(barrier.readers(), 20);
}

TEST_F(ReadBarrierTest, ReaderArrivingDuringAFetchWaitsForTheNextOne) {
  HeldFetch held(EtcdRevisionFetch(*client_, "/t/barrier-key"));
  ReadBarrier barrier(held.fetch());
  auto first = Await(barrier);  // fetch 1 goes out
  held.WaitHeld(1);             // ... and etcd answered it: its revision predates the Put
  auto put = client_->Put("/t/x", "v");
  ASSERT_TRUE(put.ok());
  auto second = Await(barrier);  // arrives while fetch 1 is in flight
  auto third = Await(barrier);
  EXPECT_EQ(held.sent(), 1);  // one fetch at a time
  held.ReleaseOne();          // fetch 1 answers `first` only, and fetch 2 starts
  auto r1 = first.get();
  ASSERT_TRUE(r1.ok());
  EXPECT_LT(*r1, *put);  // the held reply is older than the write
  EXPECT_EQ(second.wait_for(0s), std::future_status::timeout);
  EXPECT_EQ(held.sent(), 2);
  held.WaitHeld(1);
  held.ReleaseOne();  // fetch 2 answers both later readers
  auto r2 = second.get(), r3 = third.get();
  ASSERT_TRUE(r2.ok() && r3.ok());
  EXPECT_GE(*r2, *put);
  EXPECT_EQ(*r2, *r3);
  EXPECT_EQ(barrier.fetches(), 2);
  EXPECT_EQ(barrier.readers(), 3);
}

TEST_F(ReadBarrierTest, ReadersQueuedBehindAFetchShareOne) {
  HeldFetch held(EtcdRevisionFetch(*client_, "/t/barrier-key"));
  ReadBarrier barrier(held.fetch());
  auto first = Await(barrier);
  held.WaitHeld(1);
  constexpr int kReaders = 1000;
  std::vector<std::future<ReadBarrier::Result>> queued;
  std::vector<int64_t> acked;  // the last write acknowledged before each reader arrived
  for (int i = 0; i < kReaders; ++i) {
    if (i % 250 == 0)
      acked.push_back(*client_->Put("/t/x", std::to_string(i)));
    else
      acked.push_back(acked.back());
    queued.push_back(Await(barrier));
  }
  held.ReleaseOne();
  ASSERT_TRUE(first.get().ok());
  held.WaitHeld(1);
  held.ReleaseOne();
  for (int i = 0; i < kReaders; ++i) {
    auto r = queued[i].get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_GE(*r, acked[i]);
  }
  EXPECT_EQ(barrier.fetches(), 2);  // 1001 readers, two etcd requests
  EXPECT_EQ(held.sent(), 2);
}

TEST_F(ReadBarrierTest, EtcdDownFailsEveryWaitingReader) {
  ReadBarrier barrier(EtcdRevisionFetch(*client_, "/t/barrier-key"));
  ASSERT_TRUE(Await(barrier).get().ok());
  etcd_->Kill();
  auto a = Await(barrier), b = Await(barrier);
  auto ra = a.get(), rb = b.get();  // bounded by the 2 s call timeout
  EXPECT_FALSE(ra.ok());
  EXPECT_FALSE(rb.ok());
  ASSERT_TRUE(etcd_->Restart());
  // The barrier recovers: nothing is stuck in flight.
  auto r = Await(barrier).get();
  EXPECT_TRUE(r.ok()) << r.status();
}

}  // namespace
}  // namespace petacore::replication
