// ReadBarrier against a real etcd: the revision it returns covers every write acknowledged
// before Await; with one fetch in flight at most, readers arriving while a fetch is in flight
// wait for the next fetch (and share it); with overlapping fetches, a fetch answers the
// readers of every fetch started before it and never a reader that arrived after it started,
// and the number in flight stays bounded; etcd errors reach every waiting reader.
#include "replication/read_barrier.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <map>
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
      int index;
      {
        std::lock_guard lock(mu_);
        index = ++sent_;
      }
      real_([this, index, done = std::move(done)](ReadBarrier::Result r) {
        std::lock_guard lock(mu_);
        held_[index] = [done, r] { done(r); };
        cv_.notify_all();
      });
    };
  }
  /// Delivers the reply of the index-th fetch sent (1-based), once etcd answered it.
  void Release(int index) {
    std::function<void()> f;
    {
      std::unique_lock lock(mu_);
      ASSERT_TRUE(cv_.wait_for(lock, 10s, [&] { return held_.count(index) > 0; }));
      f = std::move(held_[index]);
      held_.erase(index);
    }
    f();
  }
  /// Waits until `n` replies are held (the requests reached etcd and came back).
  void WaitHeld(size_t n) {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 10s, [&] { return held_.size() >= n; }));
  }
  /// Delivers the held reply of the earliest fetch sent (on this thread).
  void ReleaseOne() {
    std::function<void()> f;
    {
      std::lock_guard lock(mu_);
      ASSERT_FALSE(held_.empty());
      f = std::move(held_.begin()->second);
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
  std::map<int, std::function<void()>> held_;  // by send index
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
  ReadBarrier barrier(held.fetch(), /*max_in_flight=*/1);
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
  ReadBarrier barrier(held.fetch(), /*max_in_flight=*/1);
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

TEST_F(ReadBarrierTest, OverlappingFetchesAnswerEarlierReadersNeverLaterOnes) {
  HeldFetch held(EtcdRevisionFetch(*client_, "/t/barrier-key"));
  ReadBarrier barrier(held.fetch(), /*max_in_flight=*/2);
  auto r1 = Await(barrier);  // fetch 1
  held.WaitHeld(1);          // etcd answered fetch 1 before the write
  auto put = client_->Put("/t/x", "o");
  ASSERT_TRUE(put.ok());
  auto r2 = Await(barrier);  // a free slot: fetch 2 starts at once
  auto r3 = Await(barrier);  // both slots taken: waits
  EXPECT_EQ(held.sent(), 2);
  EXPECT_EQ(barrier.in_flight(), 2);
  EXPECT_EQ(barrier.waiting(), 3);
  held.Release(2);  // fetch 2 answers r2 and r1 (fetch 1 started earlier), not r3
  auto v1 = r1.get(), v2 = r2.get();
  ASSERT_TRUE(v1.ok() && v2.ok());
  EXPECT_GE(*v1, *put);  // the newer reply served the older reader
  EXPECT_EQ(*v1, *v2);
  EXPECT_EQ(r3.wait_for(0s), std::future_status::timeout);
  EXPECT_EQ(held.sent(), 3);  // the freed slot went to r3: fetch 3
  held.Release(1);            // fetch 1's old revision answers no one
  EXPECT_EQ(r3.wait_for(0s), std::future_status::timeout);
  EXPECT_EQ(barrier.readers(), 2);
  held.Release(3);
  auto v3 = r3.get();
  ASSERT_TRUE(v3.ok());
  EXPECT_GE(*v3, *put);
  EXPECT_EQ(barrier.fetches(), 3);
  EXPECT_EQ(barrier.readers(), 3);
  EXPECT_EQ(barrier.in_flight(), 0);
}

TEST_F(ReadBarrierTest, OverlappingFetchesStayBoundedAndShared) {
  HeldFetch held(EtcdRevisionFetch(*client_, "/t/barrier-key"));
  ReadBarrier barrier(held.fetch(), /*max_in_flight=*/4);
  constexpr int kReaders = 400;
  std::vector<std::future<ReadBarrier::Result>> readers;
  std::vector<int64_t> acked;  // the last write acknowledged before each reader arrived
  for (int i = 0; i < kReaders; ++i) {
    if (i % 50 == 0)
      acked.push_back(*client_->Put("/t/x", std::to_string(i)));
    else
      acked.push_back(acked.back());
    readers.push_back(Await(barrier));
  }
  EXPECT_EQ(held.sent(), 4);  // the bound
  EXPECT_EQ(barrier.waiting(), kReaders);
  for (int i = 1; i <= 5; ++i) held.Release(i);  // release 1 starts fetch 5 for the 396 queued
  for (int i = 0; i < kReaders; ++i) {
    auto r = readers[i].get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_GE(*r, acked[i]) << i;
  }
  EXPECT_EQ(barrier.fetches(), 5);
  EXPECT_EQ(barrier.readers(), kReaders);
}

TEST(ReadBarrierFake, AFailedFetchFailsOnlyItsOwnReaders) {
  std::vector<ReadBarrier::Done> sent;
  ReadBarrier barrier([&sent](ReadBarrier::Done d) { sent.push_back(std::move(d)); }, 2);
  std::vector<ReadBarrier::Result> got(3, absl::UnknownError("unanswered"));
  for (int i = 0; i < 3; ++i) barrier.Await([&got, i](ReadBarrier::Result r) { got[i] = r; });
  ASSERT_EQ(sent.size(), 2u);                      // readers 0 and 1; reader 2 waits
  sent[1](absl::UnavailableError("etcd down"));    // fetch 2 fails: reader 1 only
  EXPECT_EQ(got[1].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(got[0].status().code(), absl::StatusCode::kUnknown);  // still waiting for fetch 1
  ASSERT_EQ(sent.size(), 3u);  // the freed slot: fetch 3 for reader 2
  sent[2](int64_t{7});         // fetch 3 answers reader 2 and reader 0 (fetch 1 is older)
  ASSERT_TRUE(got[0].ok() && got[2].ok());
  EXPECT_EQ(*got[0], 7);
  EXPECT_EQ(*got[2], 7);
  sent[0](int64_t{5});  // late: answers no one
  EXPECT_EQ(*got[0], 7);
  EXPECT_EQ(barrier.readers(), 3);
  EXPECT_EQ(barrier.waiting(), 0);
  EXPECT_EQ(barrier.in_flight(), 0);
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
