// Writes fanned out into nested Txns (replication/etcd_txn_fanout.h) against a real etcd with
// its DEFAULT --max-txn-ops of 128: thousands of writes in one Txn, one revision, accepted
// where the same writes flat are refused; and EtcdCommitter using it, refusing up front what
// no nesting can fit (too many compares).
#include "replication/etcd_txn_fanout.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "etcdlink/client.h"
#include "replication/etcd_committer.h"
#include "tests/support/etcd_suite.h"

namespace petacore::replication {
namespace {

using etcdlink::Op;

TEST(FanOutCapacity, GrowsWithNestingAndShrinksWithCompares) {
  EXPECT_EQ(FanOutCapacity(128, 0), FanOutCapacity(128, 1));
  EXPECT_GE(FanOutCapacity(128, 0), 64u * 64u);   // one level: 64 Txns of 64
  EXPECT_GE(FanOutCapacity(128, 0), 1000000u);    // deeper
  EXPECT_GE(FanOutCapacity(128, 100), 100000u);   // 28 left for the nested lists
  EXPECT_EQ(FanOutCapacity(128, 127), 128u);      // room for no nesting: flat only
  EXPECT_EQ(FanOutCapacity(128, 129), 0u);
  EXPECT_EQ(FanOutCapacity(10, 0), 36u);  // e.g. 2 nested of 18 (2 of 9 (3 of 3)): exact
}

/// Checks a built list the way etcd's checkTxnRequest does: max(list lengths) ≤ budget, and
/// each nested Txn against budget − that.
bool PassesEtcdCheck(const etcdlink::TxnRequest& txn, size_t budget) {
  const size_t opc = std::max({txn.compare.size(), txn.success.size(), txn.failure.size()});
  if (opc > budget) return false;
  for (const auto& op : txn.success) {
    if (op.kind == Op::Kind::kTxn && !PassesEtcdCheck(*op.txn, budget - opc)) return false;
  }
  return true;
}

size_t CountPuts(const etcdlink::TxnRequest& txn, std::vector<std::string>* keys) {
  size_t n = 0;
  for (const auto& op : txn.success) {
    if (op.kind == Op::Kind::kTxn) {
      n += CountPuts(*op.txn, keys);
    } else if (op.kind == Op::Kind::kPut) {
      keys->push_back(op.key);
      ++n;
    }
  }
  return n;
}

TEST(AppendFannedOut, KeepsEveryWriteInOrderWithinTheBudget) {
  for (size_t n : {1u, 128u, 129u, 4096u, 4097u, 50000u}) {
    for (size_t own : {0u, 1u, 60u, 120u}) {
      if (FanOutCapacity(128, own) < n) continue;
      etcdlink::TxnRequest txn;
      for (size_t i = 0; i < own; ++i) txn.compare.push_back(etcdlink::Compare::ModEquals("c", 0));
      std::vector<Op> ops;
      for (size_t i = 0; i < n; ++i) ops.push_back(Op::Put("k" + std::to_string(i), "v"));
      AppendFannedOut(std::move(ops), 128, own, &txn.success);
      EXPECT_TRUE(PassesEtcdCheck(txn, 128)) << n << " writes, " << own << " compares";
      std::vector<std::string> keys;
      ASSERT_EQ(CountPuts(txn, &keys), n);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(keys[i], "k" + std::to_string(i));
      }
      if (n <= 128) {
        EXPECT_EQ(txn.success.size(), n);  // flat when it fits
      }
    }
  }
}

class FanOutEtcdTest : public test::DefaultLimitsEtcdSuite {
 protected:
  void SetUp() override {
    client_ = NewClient(10000);
    prefix_ = TestPrefix("/f/");
  }
  int64_t Count() {
    auto r = client_->Range(prefix_, prefix_ + "\xff");
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->count : -1;
  }
  std::unique_ptr<etcdlink::Client> client_;
  std::string prefix_;
};

TEST_F(FanOutEtcdTest, FlatIsRefusedNestedIsOneRevision) {
  constexpr int kWrites = 5000;
  std::vector<Op> ops;
  for (int i = 0; i < kWrites; ++i) ops.push_back(Op::Put(prefix_ + std::to_string(i), "v"));
  etcdlink::TxnRequest flat;
  flat.success = ops;
  auto refused = client_->Txn(flat);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(std::string(refused.status().message()).find("too many operations"),
            std::string::npos);
  EXPECT_EQ(Count(), 0);

  etcdlink::TxnRequest nested;
  nested.compare.push_back(etcdlink::Compare::ModEquals(prefix_ + "guard", 0));
  AppendFannedOut(std::move(ops), 128, nested.compare.size(), &nested.success);
  auto resp = client_->Txn(nested);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_TRUE(resp->succeeded);
  auto all = client_->Range(prefix_, prefix_ + "\xff");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->count, kWrites);
  for (const auto& kv : all->kvs) EXPECT_EQ(kv.mod_revision, resp->revision);
}

TEST_F(FanOutEtcdTest, FailedCompareAppliesNoneOfTheNestedWrites) {
  ASSERT_TRUE(client_->Put(prefix_ + "guard", "taken").ok());
  std::vector<Op> ops;
  for (int i = 0; i < 3000; ++i) ops.push_back(Op::Put(prefix_ + "w" + std::to_string(i), "v"));
  etcdlink::TxnRequest txn;
  txn.compare.push_back(etcdlink::Compare::ModEquals(prefix_ + "guard", 0));
  AppendFannedOut(std::move(ops), 128, 1, &txn.success);
  auto resp = client_->Txn(txn);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_FALSE(resp->succeeded);
  EXPECT_EQ(Count(), 1);  // the guard only
}

std::future<CommitResult> Submit(EtcdCommitter& committer, CommitRequest r) {
  auto promise = std::make_shared<std::promise<CommitResult>>();
  auto future = promise->get_future();
  committer.Commit(std::move(r), [promise](CommitResult res) { promise->set_value(res); });
  return future;
}

TEST_F(FanOutEtcdTest, CommitterFansOutWritesAndChecksTooManyCompares) {
  GroupCommitOptions opts;  // etcd's defaults: 128 ops, 1.5 MiB
  EtcdCommitter committer(*client_, prefix_, opts);
  CommitRequest big;
  big.compares.push_back({"meta", 0});
  big.guards.push_back({"watched", 0});
  for (int i = 0; i < 10000; ++i) {
    big.writes.push_back({WriteOp::Kind::kPut, "e" + std::to_string(i), "v", {}});
  }
  big.messages = "m";  // its own message record rides along
  auto res = Submit(committer, std::move(big)).get();
  ASSERT_EQ(res.status, CommitResult::Status::kCommitted) << res.error;
  EXPECT_GT(res.revision, 0);
  EXPECT_EQ(Count(), 10001);  // the writes and the message record

  // 200 compares of present keys (theirs cannot merge, compare_merge.h) travel as a
  // CheckTree; these keys are not at the compared revision, so etcd refuses the Txn whole:
  // a conflict, nothing applied, no revision made.
  CommitRequest wide;
  for (int i = 0; i < 200; ++i) wide.compares.push_back({"c" + std::to_string(i), 1});
  wide.writes.push_back({WriteOp::Kind::kPut, "after", "v", {}});
  const int64_t before = client_->Range(prefix_, "")->revision;
  auto conflict = Submit(committer, std::move(wide)).get();
  EXPECT_EQ(conflict.status, CommitResult::Status::kConflict) << conflict.error;
  EXPECT_EQ(committer.compares_checked(), 1);
  EXPECT_EQ(client_->Range(prefix_, "")->revision, before);
  EXPECT_EQ(Count(), 10001);

  // The same keys present and as read: it commits whole, in one revision.
  CommitRequest fill;
  for (int i = 0; i < 200; ++i) {
    fill.writes.push_back({WriteOp::Kind::kPut, "c" + std::to_string(i), "v", {}});
  }
  auto filled = Submit(committer, std::move(fill)).get();
  ASSERT_EQ(filled.status, CommitResult::Status::kCommitted) << filled.error;
  CommitRequest as_read;
  for (int i = 0; i < 200; ++i) {
    as_read.compares.push_back({"c" + std::to_string(i), filled.revision});
    as_read.writes.push_back({WriteOp::Kind::kDelete, "c" + std::to_string(i), {}, {}});
  }
  as_read.writes.push_back({WriteOp::Kind::kPut, "after", "v", {}});
  auto committed = Submit(committer, std::move(as_read)).get();
  ASSERT_EQ(committed.status, CommitResult::Status::kCommitted) << committed.error;
  EXPECT_EQ(committed.revision, filled.revision + 1);
  EXPECT_EQ(committer.compares_checked(), 2);
  EXPECT_EQ(Count(), 10002);  // the c keys gone, "after" there
  const int64_t settled = committed.revision;

  // 200 WATCHed keys (more than one list holds) go as a CheckTree of their own, whose leaves
  // fail with a Put (ignore_value) of an absent key: a changed one is told apart from a
  // conflict — also when a compare fails too (etcd checks Puts first).
  auto guarded = [&](int64_t guard_revision, int64_t compare_revision) {
    CommitRequest r;
    for (int i = 0; i < 200; ++i) r.guards.push_back({"g" + std::to_string(i), guard_revision});
    r.compares.push_back({"after", compare_revision});
    r.writes.push_back({WriteOp::Kind::kPut, "after", "w", {}});
    return Submit(committer, std::move(r)).get();
  };
  CommitRequest watched;
  for (int i = 0; i < 200; ++i) {
    watched.writes.push_back({WriteOp::Kind::kPut, "g" + std::to_string(i), "v", {}});
  }
  const auto put_guards = Submit(committer, std::move(watched)).get();
  ASSERT_EQ(put_guards.status, CommitResult::Status::kCommitted) << put_guards.error;
  const int64_t g = put_guards.revision;
  EXPECT_EQ(guarded(g - 1, settled).status, CommitResult::Status::kGuardFailed);
  EXPECT_EQ(guarded(g - 1, settled - 1).status, CommitResult::Status::kGuardFailed);
  EXPECT_EQ(guarded(g, settled - 1).status, CommitResult::Status::kConflict);
  EXPECT_EQ(client_->Range(prefix_, "")->revision, g);  // none of the three applied
  const auto ok = guarded(g, settled);
  ASSERT_EQ(ok.status, CommitResult::Status::kCommitted) << ok.error;
  EXPECT_EQ(ok.revision, g + 1);
}

}  // namespace
}  // namespace petacore::replication
