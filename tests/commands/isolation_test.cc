// Deterministic anomalies under each isolation level: TxnViews over one snapshot, committed in
// a fixed order through a LocalCommitter.
#include <gtest/gtest.h>

#include <string>

#include "keyspace/encoding.h"
#include "keyspace/txn_view.h"
#include "replication/local_committer.h"

namespace petacore::keyspace {
namespace {

using replication::CommitResult;
using Status = replication::CommitResult::Status;

class IsolationTest : public ::testing::TestWithParam<Isolation> {
 protected:
  IsolationTest() : committer_(store_) {}

  CommitResult Commit(TxnView& view) {
    CommitResult result;
    bool called = false;
    committer_.Commit(view.BuildCommit(GetParam()), [&](CommitResult r) {
      result = std::move(r);
      called = true;
    });
    EXPECT_TRUE(called);
    return result;
  }

  void Seed(const std::string& key, const std::string& value) {
    auto snap = store_.Read();
    TxnView view(snap);
    view.Put(key, EncodeString(value));
    ASSERT_EQ(Commit(view).status, Status::kCommitted);
  }

  std::string Value(const std::string& key) {
    auto snap = store_.Read();
    auto kv = snap.Get(key);
    if (!kv) return "<absent>";
    auto v = DecodeValue(kv->value);
    return v ? std::string(v->payload) : "<bad>";
  }

  // One command of the on-call doctors example: if both x and y are on call, take `mine` off.
  static void GoOffCallIfOtherIsOn(TxnView& view, const std::string& mine,
                                   const std::string& other) {
    auto m = view.Get(mine);
    auto o = view.Get(other);
    ASSERT_TRUE(m && o);
    if (DecodeValue(*m)->payload == "on" && DecodeValue(*o)->payload == "on") {
      view.Put(mine, EncodeString("off"));
    }
    view.EndCommand();
  }

  mvcc::Store store_;
  replication::LocalCommitter committer_;
  const std::string x_ = EncodeKey(0, "x");
  const std::string y_ = EncodeKey(0, "y");
};

TEST_P(IsolationTest, WriteSkew) {
  Seed(x_, "on");
  Seed(y_, "on");
  auto snap = store_.Read();  // both transactions start from the same snapshot
  TxnView t1(snap), t2(snap);
  GoOffCallIfOtherIsOn(t1, x_, y_);
  GoOffCallIfOtherIsOn(t2, y_, x_);

  EXPECT_EQ(Commit(t1).status, Status::kCommitted);
  CommitResult second = Commit(t2);
  if (GetParam() == Isolation::kSerializable) {
    // t2 read x, which t1 changed: refused, so at least one stays on call.
    EXPECT_EQ(second.status, Status::kConflict);
    EXPECT_EQ(second.revision, store_.applied_revision());
    EXPECT_EQ(Value(x_), "off");
    EXPECT_EQ(Value(y_), "on");
  } else {
    // Snapshot isolation (and read committed) compare only what each wrote: disjoint keys,
    // so both commit and the invariant "someone is on call" breaks — write skew.
    EXPECT_EQ(second.status, Status::kCommitted);
    EXPECT_EQ(Value(x_), "off");
    EXPECT_EQ(Value(y_), "off");
  }
}

TEST_P(IsolationTest, LostUpdateIsRefused) {
  Seed(x_, "10");
  auto snap = store_.Read();
  TxnView t1(snap), t2(snap);
  for (auto* t : {&t1, &t2}) {
    auto v = t->Get(x_);
    ASSERT_TRUE(v.has_value());
    int n = std::stoi(std::string(DecodeValue(*v)->payload));
    t->Put(x_, EncodeString(std::to_string(n + 1)));
    t->EndCommand();
  }
  EXPECT_EQ(Commit(t1).status, Status::kCommitted);
  EXPECT_EQ(Commit(t2).status, Status::kConflict);
  EXPECT_EQ(Value(x_), "11");
}

TEST_P(IsolationTest, LostUpdateOnAbsentKeyIsRefused) {
  // Both create the key from "absent": the second must not overwrite the first.
  auto snap = store_.Read();
  TxnView t1(snap), t2(snap);
  for (auto* t : {&t1, &t2}) {
    EXPECT_FALSE(t->Get(x_).has_value());
    t->Put(x_, EncodeString(t == &t1 ? "first" : "second"));
    t->EndCommand();
  }
  EXPECT_EQ(Commit(t1).status, Status::kCommitted);
  EXPECT_EQ(Commit(t2).status, Status::kConflict);
  EXPECT_EQ(Value(x_), "first");
}

TEST_P(IsolationTest, DisjointTransactionsBothCommit) {
  Seed(x_, "1");
  Seed(y_, "1");
  auto snap = store_.Read();
  TxnView t1(snap), t2(snap);
  t1.Get(x_);
  t1.Put(x_, EncodeString("2"));
  t2.Get(y_);
  t2.Put(y_, EncodeString("2"));
  EXPECT_EQ(Commit(t1).status, Status::kCommitted);
  EXPECT_EQ(Commit(t2).status, Status::kCommitted);
  EXPECT_EQ(Value(x_), "2");
  EXPECT_EQ(Value(y_), "2");
}

INSTANTIATE_TEST_SUITE_P(AllLevels, IsolationTest,
                         ::testing::Values(Isolation::kSerializable, Isolation::kSnapshot,
                                           Isolation::kReadCommitted),
                         [](const ::testing::TestParamInfo<Isolation>& info) {
                           switch (info.param) {
                             case Isolation::kSerializable: return std::string("Serializable");
                             case Isolation::kSnapshot: return std::string("Snapshot");
                             case Isolation::kReadCommitted:
                               return std::string("ReadCommitted");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace petacore::keyspace

namespace petacore {
namespace {

TEST(RangeGuardTest, InsertionIntoAGuardedRangeRefusesTheCommit) {
  mvcc::Store store;
  replication::LocalCommitter committer(store);
  auto commit = [&](replication::CommitRequest req) {
    replication::CommitResult out;
    committer.Commit(std::move(req), [&](replication::CommitResult r) { out = r; });
    return out;
  };
  replication::CommitRequest seed;
  seed.writes.push_back({replication::WriteOp::Kind::kPut, "r/a", "1", {}});
  ASSERT_EQ(commit(seed).status, replication::CommitResult::Status::kCommitted);

  mvcc::Snapshot snap = store.Read();
  keyspace::TxnView view(snap);
  view.GuardRange("r/", "r0");
  view.Put("copy", "x");

  replication::CommitRequest insert;
  insert.writes.push_back({replication::WriteOp::Kind::kPut, "r/b", "2", {}});
  ASSERT_EQ(commit(insert).status, replication::CommitResult::Status::kCommitted);

  EXPECT_EQ(commit(view.BuildCommit(keyspace::Isolation::kSerializable)).status,
            replication::CommitResult::Status::kConflict);
}

}  // namespace
}  // namespace petacore
