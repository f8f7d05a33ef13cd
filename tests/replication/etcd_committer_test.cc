// EtcdCommitter against a real etcd: one request alone, group commit of many, a conflict that
// fails alone inside a batch, WATCH guards, a batch refused by etcd being split, and the
// cohort linger (GroupCommitOptions::linger_us).
#include "replication/etcd_committer.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "etcdlink/client.h"
#include "tests/support/etcd_suite.h"

namespace petacore::replication {
namespace {

using Status = CommitResult::Status;

class EtcdCommitterTest : public test::EtcdSuite {
 protected:
  void SetUp() override {
    client_ = NewClient();
    prefix_ = TestPrefix("/t/");
    GroupCommitOptions opts;
    opts.max_txn_ops = 10000;
    opts.max_request_bytes = 10 * 1024 * 1024;
    committer_ = std::make_unique<EtcdCommitter>(*client_, prefix_, opts);
  }

  static CommitRequest Put(std::string key, std::string value) {
    CommitRequest r;
    r.writes.push_back({WriteOp::Kind::kPut, std::move(key), std::move(value), {}});
    return r;
  }

  std::future<CommitResult> Submit(CommitRequest r) {
    auto promise = std::make_shared<std::promise<CommitResult>>();
    auto future = promise->get_future();
    committer_->Commit(std::move(r), [promise](CommitResult res) { promise->set_value(res); });
    return future;
  }

  int64_t ModRevision(const std::string& key) {
    auto r = client_->Range(prefix_ + key, "");
    EXPECT_TRUE(r.ok());
    return r->kvs.empty() ? 0 : r->kvs[0].mod_revision;
  }

  std::unique_ptr<etcdlink::Client> client_;
  std::unique_ptr<EtcdCommitter> committer_;
  std::string prefix_;
};


TEST_F(EtcdCommitterTest, SingleRequestCommitsAtItsRevision) {
  auto res = Submit(Put("a", "1")).get();
  ASSERT_EQ(res.status, Status::kCommitted) << res.error;
  EXPECT_EQ(res.revision, ModRevision("a"));
  EXPECT_EQ(committer_->txns(), 1);
}

TEST_F(EtcdCommitterTest, ConcurrentRequestsShareTxnsAndOneRevisionPerBatch) {
  std::vector<std::future<CommitResult>> futures;
  for (int i = 0; i < 200; ++i) futures.push_back(Submit(Put("k" + std::to_string(i), "v")));
  std::vector<int64_t> revisions;
  for (auto& f : futures) {
    auto res = f.get();
    ASSERT_EQ(res.status, Status::kCommitted) << res.error;
    revisions.push_back(res.revision);
  }
  for (int i = 0; i < 200; ++i) EXPECT_EQ(revisions[i], ModRevision("k" + std::to_string(i)));
  // With one Txn in flight, the 199 requests that arrive meanwhile leave together.
  EXPECT_LT(committer_->txns(), 200);
  EXPECT_EQ(committer_->requests(), 200);
}

TEST_F(EtcdCommitterTest, ConflictFailsAloneInsideABatch) {
  ASSERT_EQ(Submit(Put("x", "0")).get().status, Status::kCommitted);
  int64_t x_rev = ModRevision("x");
  ASSERT_TRUE(client_->Put(prefix_ + "x", "changed").ok());  // someone else wins
  int64_t new_rev = ModRevision("x");
  auto first = Submit(Put("warmup", "1"));  // occupies the single in-flight slot
  CommitRequest stale = Put("x", "mine");
  stale.compares.push_back({"x", x_rev});
  auto conflicting = Submit(std::move(stale));
  auto innocent = Submit(Put("y", "1"));
  EXPECT_EQ(first.get().status, Status::kCommitted);
  auto c = conflicting.get();
  EXPECT_EQ(c.status, Status::kConflict);
  EXPECT_TRUE(c.exact);
  EXPECT_EQ(c.revision, new_rev);  // the revision to wait for before retrying
  auto i = innocent.get();
  EXPECT_EQ(i.status, Status::kCommitted) << i.error;
  EXPECT_EQ(i.revision, ModRevision("y"));
}

TEST_F(EtcdCommitterTest, GuardFailureIsToldApartFromConflict) {
  ASSERT_EQ(Submit(Put("w", "0")).get().status, Status::kCommitted);
  int64_t w_rev = ModRevision("w");
  CommitRequest ok = Put("z", "1");
  ok.guards.push_back({"w", w_rev});
  EXPECT_EQ(Submit(std::move(ok)).get().status, Status::kCommitted);
  ASSERT_TRUE(client_->Put(prefix_ + "w", "changed").ok());
  CommitRequest stale = Put("z", "2");
  stale.guards.push_back({"w", w_rev});
  EXPECT_EQ(Submit(std::move(stale)).get().status, Status::kGuardFailed);
}

TEST_F(EtcdCommitterTest, RefusedBatchIsSplitAndOnlyTheBadRequestFails) {
  auto first = Submit(Put("warmup", "1"));
  // Over etcd's 10 MiB --max-request-bytes but under gRPC's receive limit: refused with
  // INVALID_ARGUMENT "etcdserver: request is too large", before Raft.
  auto big = Submit(Put("big", std::string(10 * 1024 * 1024 + 100 * 1024, 'b')));
  auto small = Submit(Put("small", "s"));
  EXPECT_EQ(first.get().status, Status::kCommitted);
  auto b = big.get();
  EXPECT_EQ(b.status, Status::kError);
  EXPECT_NE(b.error.find("request is too large"), std::string::npos) << b.error;
  auto s = small.get();
  EXPECT_EQ(s.status, Status::kCommitted) << s.error;
  EXPECT_EQ(ModRevision("big"), 0);
  EXPECT_EQ(ModRevision("small"), s.revision);
}

TEST_F(EtcdCommitterTest, EtcdDownFailsWithAnErrorNamingEtcd) {
  etcdlink::Client dead({{"127.0.0.1:1"}, std::chrono::milliseconds(300)});
  EtcdCommitter committer(dead, prefix_);
  std::promise<CommitResult> p;
  committer.Commit(Put("k", "v"), [&](CommitResult r) { p.set_value(r); });
  auto r = p.get_future().get();
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error.rfind("ERR etcd: ", 0), 0u) << r.error;
}

}  // namespace
}  // namespace petacore::replication

namespace petacore::replication {
namespace {

TEST_F(EtcdCommitterTest, RangeCompareCatchesAnInsertionIntoTheRange) {
  ASSERT_EQ(Submit(Put("r/a", "1")).get().status, Status::kCommitted);
  int64_t seen = ModRevision("r/a");
  CommitRequest ok = Put("copy", "1");
  ok.range_compares.push_back({"r/", "r0", seen});
  EXPECT_EQ(Submit(std::move(ok)).get().status, Status::kCommitted);
  ASSERT_TRUE(client_->Put(prefix_ + "r/b", "inserted").ok());
  CommitRequest stale = Put("copy", "2");
  stale.range_compares.push_back({"r/", "r0", seen});
  auto res = Submit(std::move(stale)).get();
  EXPECT_EQ(res.status, Status::kConflict);
  EXPECT_FALSE(res.exact);
}


// More compares of present keys than one Txn list holds (here a committer told etcd allows 16
// operations per list): they travel as a CheckTree (etcd_txn_fanout.h). The request commits
// whole when every key is as read; a change to any one of them — also a delete, which a range
// compare cannot see — refuses the whole Txn and comes back as a conflict, nothing applied.
class CheckedComparesTest : public EtcdCommitterTest {
 protected:
  void SetUp() override {
    EtcdCommitterTest::SetUp();
    GroupCommitOptions opts;
    opts.max_txn_ops = 16;
    committer_ = std::make_unique<EtcdCommitter>(*client_, prefix_, opts);
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(client_->Put(prefix_ + Key(i), "v").ok());
      revisions_.push_back(ModRevision(Key(i)));
    }
  }
  static std::string Key(int i) { return "c/" + std::to_string(i); }
  /// DEL of every key, compared at the revisions read in SetUp.
  CommitRequest DeleteAll() {
    CommitRequest r;
    for (int i = 0; i < kKeys; ++i) {
      r.compares.push_back({Key(i), revisions_[i]});
      r.writes.push_back({WriteOp::Kind::kDelete, Key(i), {}, {}});
    }
    return r;
  }
  int Present() {
    auto all = client_->Range(prefix_ + "c/", prefix_ + "c0");
    EXPECT_TRUE(all.ok());
    return static_cast<int>(all->kvs.size());
  }
  static constexpr int kKeys = 60;
  std::vector<int64_t> revisions_;
};

TEST_F(CheckedComparesTest, AllKeysAsReadCommitsInOneTxn) {
  auto res = Submit(DeleteAll()).get();
  ASSERT_EQ(res.status, Status::kCommitted) << res.error;
  EXPECT_GT(res.revision, 0);
  EXPECT_EQ(Present(), 0);
  EXPECT_EQ(committer_->compares_checked(), 1);
  EXPECT_EQ(committer_->txns(), 1);
}

TEST_F(CheckedComparesTest, OneChangedKeyRefusesTheWholeTxn) {
  ASSERT_TRUE(client_->Put(prefix_ + Key(37), "changed").ok());
  auto res = Submit(DeleteAll()).get();
  EXPECT_EQ(res.status, Status::kConflict) << res.error;
  EXPECT_FALSE(res.exact);
  EXPECT_EQ(Present(), kKeys);
}

TEST_F(CheckedComparesTest, OneDeletedKeyRefusesTheWholeTxn) {
  ASSERT_TRUE(client_->Delete(prefix_ + Key(0), "").ok());
  auto res = Submit(DeleteAll()).get();
  EXPECT_EQ(res.status, Status::kConflict) << res.error;
  EXPECT_EQ(Present(), kKeys - 1);
}

TEST_F(CheckedComparesTest, GuardsStayOutsideAndFailAsGuards) {
  ASSERT_TRUE(client_->Put(prefix_ + "w", "0").ok());
  const int64_t w = ModRevision("w");
  CommitRequest ok = DeleteAll();
  ok.guards.push_back({"w", w});
  ASSERT_TRUE(client_->Put(prefix_ + "w", "changed").ok());
  EXPECT_EQ(Submit(std::move(ok)).get().status, Status::kGuardFailed);
  EXPECT_EQ(Present(), kKeys);
  CommitRequest fresh = DeleteAll();
  fresh.guards.push_back({"w", ModRevision("w")});
  auto res = Submit(std::move(fresh)).get();
  EXPECT_EQ(res.status, Status::kCommitted) << res.error;
  EXPECT_EQ(Present(), 0);
}

// A CommitRequest may range-delete keys it also writes (committer.h); etcd alone refuses that
// ("duplicate key given in txn request"), so the committer cuts the range around them.
TEST_F(EtcdCommitterTest, RangeDeleteAroundItsOwnWritesCommitsInOneTxn) {
  for (const char* k : {"d/a", "d/b", "d/c", "d/e"}) {
    ASSERT_EQ(Submit(Put(k, "old")).get().status, Status::kCommitted);
  }
  CommitRequest req;
  req.writes.push_back({WriteOp::Kind::kDeleteRange, "d/", {}, "d0"});
  req.writes.push_back({WriteOp::Kind::kPut, "d/b", "new", {}});
  req.writes.push_back({WriteOp::Kind::kPut, "d/x", "new", {}});
  req.writes.push_back({WriteOp::Kind::kDelete, "d/e", {}, {}});
  int64_t txns = committer_->txns();
  auto res = Submit(std::move(req)).get();
  ASSERT_EQ(res.status, Status::kCommitted) << res.error;
  EXPECT_EQ(committer_->txns(), txns + 1);
  auto all = client_->Range(prefix_ + "d/", prefix_ + "d0");
  ASSERT_TRUE(all.ok());
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& kv : all->kvs) got.emplace_back(kv.key.substr(prefix_.size()), kv.value);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{{"d/b", "new"},
                                                                    {"d/x", "new"}}));
  EXPECT_EQ(ModRevision("d/b"), res.revision);
}

// Issue 18's priority lane: housekeeping (background) requests queued ahead of client
// requests leave after them when a batch has no room for both.
TEST_F(EtcdCommitterTest, BackgroundRequestsYieldToClientRequests) {
  GroupCommitOptions opts;
  opts.max_txn_ops = 7;  // outer list: the message record + 5 flat puts + 1
  opts.max_request_bytes = 10 * 1024 * 1024;
  EtcdCommitter committer(*client_, prefix_, opts);
  auto submit = [&](CommitRequest r) {
    auto promise = std::make_shared<std::promise<CommitResult>>();
    auto future = promise->get_future();
    committer.Commit(std::move(r), [promise](CommitResult res) { promise->set_value(res); });
    return future;
  };
  std::vector<std::future<CommitResult>> background, clients;
  auto first = submit(Put("first", "1"));  // in flight: the rest queue behind it
  for (int i = 0; i < 5; ++i) {
    CommitRequest r;
    r.background = true;
    r.compares.push_back({"bg" + std::to_string(i), 0});
    r.writes.push_back({WriteOp::Kind::kPut, "bg" + std::to_string(i), "v", {}});
    background.push_back(submit(std::move(r)));
  }
  for (int i = 0; i < 5; ++i) clients.push_back(submit(Put("c" + std::to_string(i), "v")));
  ASSERT_EQ(first.get().status, Status::kCommitted);
  int64_t last_client = 0;
  for (auto& f : clients) {
    auto res = f.get();
    ASSERT_EQ(res.status, Status::kCommitted) << res.error;
    last_client = std::max(last_client, res.revision);
  }
  // The client puts leave first: at most one background request (one that found the
  // committer idle, if the first Txn was answered that fast) commits before the last of them.
  // In arrival order, four would (they fill the first batch).
  int before_clients = 0;
  for (auto& f : background) {
    auto res = f.get();
    ASSERT_EQ(res.status, Status::kCommitted) << res.error;
    if (res.revision < last_client) ++before_clients;
  }
  EXPECT_LE(before_clients, 1);
}

// The cohort linger (GroupCommitOptions::linger_us). Each test first makes a cohort
// (Burst): with etcd paused, one put goes alone and 20 queue behind it; on resume they leave
// as one batch of 20, whose completion arms the linger.
class CommitterLingerTest : public EtcdCommitterTest {
 protected:
  void SetUp() override {
    EtcdCommitterTest::SetUp();
    // Burst pauses etcd with a Txn in flight; under ASan the pause can outlast the member
    // health probes' 1 s, which would end that Txn as in doubt. No probes here: the pause
    // only delays it.
    etcdlink::ClientOptions options{{etcd_->endpoint()}, std::chrono::milliseconds(5000)};
    options.member_timeout = std::chrono::milliseconds(0);
    committer_.reset();
    client_ = std::make_unique<etcdlink::Client>(options);
  }
  std::unique_ptr<EtcdCommitter> Make(int64_t linger_us) {
    GroupCommitOptions opts;
    opts.max_txn_ops = 10000;
    opts.max_request_bytes = 10 * 1024 * 1024;
    opts.linger_us = linger_us;
    return std::make_unique<EtcdCommitter>(*client_, prefix_, opts);
  }
  static std::future<CommitResult> SubmitTo(EtcdCommitter& c, CommitRequest r) {
    auto promise = std::make_shared<std::promise<CommitResult>>();
    auto future = promise->get_future();
    c.Commit(std::move(r), [promise](CommitResult res) { promise->set_value(res); });
    return future;
  }
  static void Burst(EtcdCommitter& c) {
    std::vector<std::future<CommitResult>> futures;
    etcd_->Pause();
    futures.push_back(SubmitTo(c, Put("b", "v")));  // in flight, unanswered while paused
    for (int i = 0; i < 20; ++i) futures.push_back(SubmitTo(c, Put("b" + std::to_string(i), "v")));
    const int64_t txns = c.txns();
    etcd_->Resume();
    for (auto& f : futures) ASSERT_EQ(f.get().status, Status::kCommitted);
    ASSERT_EQ(c.txns(), txns + 1);
  }
};

constexpr int64_t kHourUs = 3600LL * 1000 * 1000;

TEST_F(CommitterLingerTest, NextTxnWaitsForTheCohortAndCarriesItWhole) {
  auto committer = Make(kHourUs);
  Burst(*committer);
  ASSERT_FALSE(HasFatalFailure());
  const int64_t txns = committer->txns();
  // Writers come back one by one: nothing leaves until 15/16 of the cohort (>= 7) is queued.
  std::vector<std::future<CommitResult>> futures;
  while (futures.size() < 64) {
    futures.push_back(SubmitTo(*committer, Put("w" + std::to_string(futures.size()), "v")));
    if (futures.front().wait_for(std::chrono::milliseconds(100)) == std::future_status::ready) {
      break;
    }
  }
  ASSERT_EQ(futures.front().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_GE(futures.size(), 7u);
  std::set<int64_t> revisions;
  for (auto& f : futures) {
    auto res = f.get();
    ASSERT_EQ(res.status, Status::kCommitted) << res.error;
    revisions.insert(res.revision);
  }
  EXPECT_EQ(revisions.size(), 1u) << "the cohort left in one Txn";
  EXPECT_EQ(committer->txns(), txns + 1);
  EXPECT_EQ(committer->linger_merged(), 1);
  EXPECT_EQ(committer->linger_expired(), 0);
}

TEST_F(CommitterLingerTest, LingerEndsWhenItsTimeRunsOut) {
  auto committer = Make(200 * 1000);  // 200 ms
  Burst(*committer);
  ASSERT_FALSE(HasFatalFailure());
  // A lone writer after the burst: its cohort never comes back; it leaves at the deadline.
  auto res = SubmitTo(*committer, Put("late", "v")).get();
  ASSERT_EQ(res.status, Status::kCommitted) << res.error;
  EXPECT_EQ(res.revision, ModRevision("late"));
  EXPECT_EQ(committer->linger_expired(), 1);
}

TEST_F(CommitterLingerTest, AnExpiredLingerBacksOff) {
  auto committer = Make(200 * 1000);  // 200 ms
  auto late = [&](const std::string& key) {
    auto res = SubmitTo(*committer, Put(key, "v")).get();
    ASSERT_EQ(res.status, Status::kCommitted) << res.error;
  };
  Burst(*committer);
  ASSERT_FALSE(HasFatalFailure());
  late("late1");  // the cohort did not come back: expired, back off one eligible cycle
  ASSERT_EQ(committer->linger_expired(), 1);
  Burst(*committer);  // its batch of 20 is that cycle: no linger
  ASSERT_FALSE(HasFatalFailure());
  late("late2");
  ASSERT_EQ(committer->linger_expired(), 1);
  Burst(*committer);  // lingers again, expires again: backs off two cycles now
  ASSERT_FALSE(HasFatalFailure());
  late("late3");
  ASSERT_EQ(committer->linger_expired(), 2);
  Burst(*committer);
  ASSERT_FALSE(HasFatalFailure());
  late("late4");
  Burst(*committer);
  ASSERT_FALSE(HasFatalFailure());
  late("late5");
  EXPECT_EQ(committer->linger_expired(), 2);
  EXPECT_EQ(committer->linger_merged(), 0);
}

TEST_F(CommitterLingerTest, LoneWriterNeverWaits) {
  auto committer = Make(kHourUs);
  // One writer at a time (redis-benchmark -c 1): batches of one arm no linger.
  for (int i = 0; i < 20; ++i) {
    auto f = SubmitTo(*committer, Put("solo" + std::to_string(i), "v"));
    ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready) << i;
    ASSERT_EQ(f.get().status, Status::kCommitted);
  }
  EXPECT_EQ(committer->txns(), 20);
  EXPECT_EQ(committer->linger_merged() + committer->linger_expired(), 0);
}

TEST_F(CommitterLingerTest, DestructorSendsWhatALingerHolds) {
  auto committer = Make(kHourUs);
  Burst(*committer);
  ASSERT_FALSE(HasFatalFailure());
  auto f = SubmitTo(*committer, Put("held", "v"));
  ASSERT_EQ(f.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "the linger holds it (an hour)";
  committer.reset();  // shutting down: the held request leaves, and is answered
  ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  auto res = f.get();
  ASSERT_EQ(res.status, Status::kCommitted) << res.error;
  EXPECT_EQ(res.revision, ModRevision("held"));
}

}  // namespace
}  // namespace petacore::replication
