// Active expiry's delete path: the Expirer on a LocalCommitter (standalone) deletes due keys
// without any read, and the delete of a key whose mod_revision changed fails and leaves the key,
// both on the LocalCommitter and on a real etcd through the EtcdCommitter.
#include "expiry/expirer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "etcdlink/client.h"
#include "keyspace/encoding.h"
#include "replication/etcd_committer.h"
#include "replication/local_committer.h"
#include "tests/support/etcd_suite.h"
#include "tests/support/eventually.h"

namespace petacore::expiry {
namespace {

using keyspace::EncodeKey;
using keyspace::EncodeValue;
using keyspace::ValueType;
using replication::CommitRequest;
using replication::CommitResult;
using replication::WriteOp;
using Status = CommitResult::Status;

CommitResult CommitNow(replication::Committer& c, CommitRequest req) {
  std::promise<CommitResult> p;
  auto f = p.get_future();
  c.Commit(std::move(req), [&p](CommitResult r) { p.set_value(std::move(r)); });
  return f.get();
}

CommitRequest PutReq(const std::string& key, const std::string& value) {
  CommitRequest r;
  r.writes.push_back({WriteOp::Kind::kPut, key, value, {}});
  return r;
}

using test::Eventually;

class StandaloneExpiryTest : public ::testing::Test {
 protected:
  StandaloneExpiryTest() {
    store_.SetApplyObserver(
        [this](int64_t rev, std::span<const mvcc::Mutation> batch) { index_.Observe(rev, batch); });
  }
  size_t LiveKeys() { return store_.stats().live_keys; }

  mvcc::Store store_;
  Index index_;
  replication::LocalCommitter committer_{store_};
};

TEST_F(StandaloneExpiryTest, DeletesDueKeysAndTheirSubkeysWithoutReads) {
  int64_t soon = keyspace::NowMs() + 100;
  for (int i = 0; i < 500; ++i) {
    std::string k = EncodeKey(0, "k" + std::to_string(i));
    ASSERT_EQ(CommitNow(committer_, PutReq(k, EncodeValue(ValueType::kString, "v", soon))).status,
              Status::kCommitted);
  }
  std::string h = EncodeKey(1, "h");
  CommitRequest hash;
  hash.writes.push_back({WriteOp::Kind::kPut, h, EncodeValue(ValueType::kHash, "", soon), {}});
  hash.writes.push_back({WriteOp::Kind::kPut, keyspace::SubKey(h, 'f', "f1"), "x", {}});
  ASSERT_EQ(CommitNow(committer_, hash).status, Status::kCommitted);
  std::string keep = EncodeKey(0, "keep");
  ASSERT_EQ(CommitNow(committer_, PutReq(keep, EncodeValue(ValueType::kString, "v"))).status,
            Status::kCommitted);
  ASSERT_EQ(LiveKeys(), 503u);

  Expirer expirer(index_, committer_, [] { return true; },
                  {std::chrono::milliseconds(10), /*max_in_flight=*/64});
  expirer.Start();
  EXPECT_TRUE(Eventually([&] { return LiveKeys() == 1; })) << LiveKeys();
  expirer.Stop();
  EXPECT_EQ(expirer.expired_keys(), 501);
  EXPECT_EQ(expirer.errors(), 0);
  EXPECT_TRUE(store_.Read().Get(keep).has_value());
  EXPECT_EQ(index_.size(), 0u);
}

TEST_F(StandaloneExpiryTest, InactiveExpirerDeletesNothing) {
  std::string k = EncodeKey(0, "k");
  ASSERT_EQ(CommitNow(committer_, PutReq(k, EncodeValue(ValueType::kString, "v", 1))).status,
            Status::kCommitted);
  Expirer expirer(index_, committer_, [] { return false; }, {std::chrono::milliseconds(5)});
  expirer.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  expirer.Stop();
  EXPECT_EQ(LiveKeys(), 1u);
  EXPECT_EQ(expirer.expired_keys(), 0);
  EXPECT_EQ(index_.CountDue(keyspace::NowMs()), 1u);
}

TEST_F(StandaloneExpiryTest, StaleModRevisionDeleteFailsAndLeavesTheKey) {
  std::string k = EncodeKey(0, "k");
  ASSERT_EQ(CommitNow(committer_, PutReq(k, EncodeValue(ValueType::kString, "old", 1))).status,
            Status::kCommitted);
  auto due = index_.TakeDue(keyspace::NowMs(), 10);  // the expirer's view: version 1, expired
  ASSERT_EQ(due.size(), 1u);
  // Rewritten before the delete reaches the committer.
  ASSERT_EQ(CommitNow(committer_, PutReq(k, EncodeValue(ValueType::kString, "new"))).status,
            Status::kCommitted);
  EXPECT_EQ(CommitNow(committer_, DeleteRequest(due[0])).status, Status::kConflict);
  auto kv = store_.Read().Get(k);
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(keyspace::DecodeValue(kv->value)->payload, "new");
}

class EtcdExpiryTest : public test::EtcdSuite {};

TEST_F(EtcdExpiryTest, StaleModRevisionDeleteFailsAndLeavesTheKey) {
  auto client = NewClient();
  const std::string prefix = "/stale/";
  replication::EtcdCommitter committer(*client, prefix);
  std::string k = EncodeKey(0, "k");
  std::string sub = keyspace::SubKey(k, 'f', "f");
  CommitRequest first;
  first.writes.push_back({WriteOp::Kind::kPut, k, EncodeValue(ValueType::kHash, "", 1), {}});
  first.writes.push_back({WriteOp::Kind::kPut, sub, "x", {}});
  auto r1 = CommitNow(committer, first);
  ASSERT_EQ(r1.status, Status::kCommitted) << r1.error;
  DueKey stale{k, r1.revision, 1};
  auto r2 = CommitNow(committer, PutReq(k, EncodeValue(ValueType::kHash, "")));
  ASSERT_EQ(r2.status, Status::kCommitted) << r2.error;

  // The stale delete fails alone even when it shares a Txn with a current one.
  std::string other = EncodeKey(0, "other");
  auto r3 = CommitNow(committer, PutReq(other, EncodeValue(ValueType::kString, "v", 1)));
  ASSERT_EQ(r3.status, Status::kCommitted) << r3.error;
  std::promise<CommitResult> p1, p2;
  committer.Commit(DeleteRequest(stale), [&](CommitResult r) { p1.set_value(r); });
  committer.Commit(DeleteRequest({other, r3.revision, 1}),
                   [&](CommitResult r) { p2.set_value(r); });
  EXPECT_EQ(p1.get_future().get().status, Status::kConflict);
  EXPECT_EQ(p2.get_future().get().status, Status::kCommitted);

  auto meta = client->Range(prefix + k, "");
  ASSERT_TRUE(meta.ok());
  ASSERT_EQ(meta->kvs.size(), 1u);
  EXPECT_EQ(meta->kvs[0].mod_revision, r2.revision);
  auto subkey = client->Range(prefix + sub, "");
  ASSERT_TRUE(subkey.ok());
  EXPECT_EQ(subkey->kvs.size(), 1u);  // the range delete did not run either
  auto gone = client->Range(prefix + other, "");
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->kvs.empty());
}

}  // namespace
}  // namespace petacore::expiry
