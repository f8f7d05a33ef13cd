// Compares of absent keys merged into range compares (replication/compare_merge.h): the
// merge itself, and EtcdCommitter against a real etcd with its DEFAULT --max-txn-ops of 128
// committing a request that compares 300 absent keys, which it used to refuse, while a key
// of the range created after the snapshot still makes it conflict.
#include "replication/compare_merge.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <future>
#include <memory>
#include <string>

#include "etcdlink/client.h"
#include "replication/etcd_committer.h"
#include "tests/support/etcd_suite.h"

namespace petacore::replication {
namespace {

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%04d", i);
  return buf;
}

TEST(MergeAbsentCompares, RangesCoverEveryAbsentKeyAndKeepPresentOnes) {
  CommitRequest r;
  r.snapshot_revision = 42;
  for (int i = 199; i >= 0; --i) r.compares.push_back({Key(i), i % 20 == 0 ? 7 : 0});
  ASSERT_TRUE(MergeAbsentCompares(&r, 50));
  EXPECT_EQ(r.compares.size(), 10u);  // the present keys keep their own compares
  for (const auto& c : r.compares) EXPECT_EQ(c.mod_revision, 7);
  ASSERT_EQ(r.range_compares.size(), 40u);
  std::string previous_end;
  for (const auto& rc : r.range_compares) {
    EXPECT_EQ(rc.revision, 42);
    EXPECT_LT(rc.key, rc.range_end);
    EXPECT_LE(previous_end, rc.key);  // in order, not overlapping
    previous_end = rc.range_end;
  }
  for (int i = 0; i < 200; ++i) {
    if (i % 20 == 0) continue;
    int covering = 0;
    for (const auto& rc : r.range_compares) covering += rc.key <= Key(i) && Key(i) < rc.range_end;
    EXPECT_EQ(covering, 1) << Key(i);
  }
}

TEST(MergeAbsentCompares, LeavesTheRequestAloneWhenItCannotOrNeedNot) {
  CommitRequest r;
  for (int i = 0; i < 100; ++i) r.compares.push_back({Key(i), 0});
  EXPECT_FALSE(MergeAbsentCompares(&r, 50));  // no snapshot revision
  EXPECT_EQ(r.compares.size(), 100u);
  r.snapshot_revision = 9;
  EXPECT_FALSE(MergeAbsentCompares(&r, 100));  // fits already
  CommitRequest present;
  present.snapshot_revision = 9;
  for (int i = 0; i < 100; ++i) present.compares.push_back({Key(i), i % 2 ? 0 : 3});
  EXPECT_FALSE(MergeAbsentCompares(&present, 50));  // 50 present: no room for a range
  ASSERT_EQ(present.compares.size(), 100u);
  for (int i = 0; i < 100; ++i) {  // restored as it was
    EXPECT_EQ(present.compares[i].key, Key(i));
    EXPECT_EQ(present.compares[i].mod_revision, i % 2 ? 0 : 3);
  }
}

class CompareMergeEtcdTest : public test::DefaultLimitsEtcdSuite {
 protected:
  void SetUp() override {
    client_ = NewClient(10000);
    prefix_ = TestPrefix("/m/");
    committer_ = std::make_unique<EtcdCommitter>(*client_, prefix_, GroupCommitOptions{});
  }
  int64_t Revision() { return client_->Range(prefix_, "")->revision; }
  /// An MSETNX of keys k0000..k0299 as a view at `snapshot` builds it: every key compared
  /// absent, every key put.
  CommitRequest Msetnx(int64_t snapshot) {
    CommitRequest r;
    r.snapshot_revision = snapshot;
    for (int i = 0; i < 300; ++i) {
      r.compares.push_back({Key(i), 0});
      r.writes.push_back({WriteOp::Kind::kPut, Key(i), "v", {}});
    }
    return r;
  }
  CommitResult Commit(CommitRequest r) {
    auto promise = std::make_shared<std::promise<CommitResult>>();
    auto future = promise->get_future();
    committer_->Commit(std::move(r), [promise](CommitResult res) { promise->set_value(res); });
    return future.get();
  }
  std::unique_ptr<etcdlink::Client> client_;
  std::unique_ptr<EtcdCommitter> committer_;
  std::string prefix_;
};

TEST_F(CompareMergeEtcdTest, ThreeHundredAbsentKeysCommitInOneRevision) {
  auto res = Commit(Msetnx(Revision()));
  ASSERT_EQ(res.status, CommitResult::Status::kCommitted) << res.error;
  auto all = client_->Range(prefix_, prefix_ + "\xff");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->count, 300);
  for (const auto& kv : all->kvs) EXPECT_EQ(kv.mod_revision, res.revision);
  EXPECT_EQ(committer_->compares_merged(), 1);
}

TEST_F(CompareMergeEtcdTest, AKeyCreatedAfterTheSnapshotStillConflicts) {
  const int64_t snapshot = Revision();
  ASSERT_TRUE(client_->Put(prefix_ + Key(157), "raced").ok());  // another node's write
  auto res = Commit(Msetnx(snapshot));
  EXPECT_EQ(res.status, CommitResult::Status::kConflict);
  auto all = client_->Range(prefix_, prefix_ + "\xff");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->count, 1);  // nothing of the request was applied
  // A key between two compared ones, not read by the request, changed after the snapshot:
  // a conflict too (the range compare is stronger than the keys' own compares; the command
  // runs again on fresh data).
  ASSERT_TRUE(client_->Delete(prefix_ + Key(157)).ok());
  const int64_t later = Revision();
  // (k0000x sorts between k0000 and k0001, which share a range: ~110 ranges for 300 keys)
  ASSERT_TRUE(client_->Put(prefix_ + Key(0) + "x", "between").ok());
  EXPECT_EQ(Commit(Msetnx(later)).status, CommitResult::Status::kConflict);
  EXPECT_EQ(Commit(Msetnx(Revision())).status, CommitResult::Status::kCommitted);
}

}  // namespace
}  // namespace petacore::replication
