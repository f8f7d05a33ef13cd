// txn_test.cc — Txn compares, failure branches, nested Txn, etcd's Txn errors, TxnAsync.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>

#include "etcdlink/client.h"
#include "tests/etcdlink/etcd_env.h"

namespace petacore::etcdlink {
namespace {

using testing::MakeClient;
using testing::TestPrefix;

// Create-if-absent: ModEquals(key, 0) holds only while the key does not exist.
TxnRequest CreateIfAbsent(const std::string& key, const std::string& value) {
  TxnRequest txn;
  txn.compare.push_back(Compare::ModEquals(key, 0));
  txn.success.push_back(Op::Put(key, value));
  txn.failure.push_back(Op::Get(key));
  return txn;
}

TEST(TxnTest, CompareSucceedsThenFails) {
  auto client = MakeClient();
  const std::string key = TestPrefix() + "x";
  auto first = client->Txn(CreateIfAbsent(key, "1"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->succeeded);
  ASSERT_EQ(first->responses.size(), 1u);
  EXPECT_EQ(first->responses[0].kind, Op::Kind::kPut);

  auto second = client->Txn(CreateIfAbsent(key, "2"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->succeeded);
  EXPECT_EQ(second->revision, first->revision);  // nothing written
  ASSERT_EQ(second->responses.size(), 1u);
  const auto& range = second->responses[0];
  EXPECT_EQ(range.kind, Op::Kind::kRange);
  ASSERT_EQ(range.kvs.size(), 1u);
  EXPECT_EQ(range.kvs[0].value, "1");
  EXPECT_EQ(range.kvs[0].mod_revision, first->revision);
  EXPECT_EQ(range.count, 1);

  // A guarded update on the right mod_revision succeeds.
  TxnRequest update;
  update.compare.push_back(Compare::ModEquals(key, first->revision));
  update.success.push_back(Op::Put(key, "3"));
  update.success.push_back(Op::Get(key));
  auto third = client->Txn(update);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->succeeded);
  ASSERT_EQ(third->responses.size(), 2u);
  ASSERT_EQ(third->responses[1].kvs.size(), 1u);
  EXPECT_EQ(third->responses[1].kvs[0].value, "3");  // reads see the Txn's own writes
}

TEST(TxnTest, ValueAndVersionCompares) {
  auto client = MakeClient();
  const std::string key = TestPrefix() + "v";
  ASSERT_TRUE(client->Put(key, std::string("a\0b", 3)).ok());
  Compare value;
  value.target = Compare::Target::kValue;
  value.key = key;
  value.value = std::string("a\0b", 3);
  Compare version;
  version.target = Compare::Target::kVersion;
  version.result = Compare::Result::kGreater;
  version.key = key;
  version.number = 0;
  TxnRequest txn;
  txn.compare = {value, version};
  txn.success.push_back(Op::Delete(key));
  auto r = client->Txn(txn);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->succeeded);
  ASSERT_EQ(r->responses.size(), 1u);
  EXPECT_EQ(r->responses[0].kind, Op::Kind::kDeleteRange);
  EXPECT_EQ(r->responses[0].deleted, 1);
}

TEST(TxnTest, NestedTxnInnerCompareFails) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  ASSERT_TRUE(client->Put(p + "exists", "e").ok());

  auto inner = std::make_shared<TxnRequest>();
  inner->compare.push_back(Compare::ModEquals(p + "exists", 0));  // false: the key exists
  inner->success.push_back(Op::Put(p + "inner-success", "s"));
  inner->failure.push_back(Op::Put(p + "inner-failure", "f"));
  inner->failure.push_back(Op::Get(p + "exists"));
  TxnRequest outer;
  outer.compare.push_back(Compare::ModEquals(p + "absent", 0));  // true
  outer.success.push_back(Op::Put(p + "outer", "o"));
  outer.success.push_back(Op::Nested(inner));

  auto r = client->Txn(outer);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->succeeded);
  ASSERT_EQ(r->responses.size(), 2u);
  ASSERT_EQ(r->responses[1].kind, Op::Kind::kTxn);
  ASSERT_NE(r->responses[1].txn, nullptr);
  const TxnResponse& nested = *r->responses[1].txn;
  EXPECT_FALSE(nested.succeeded);
  ASSERT_EQ(nested.responses.size(), 2u);
  EXPECT_EQ(nested.responses[0].kind, Op::Kind::kPut);
  ASSERT_EQ(nested.responses[1].kvs.size(), 1u);
  EXPECT_EQ(nested.responses[1].kvs[0].value, "e");

  auto keys = client->Range(p, PrefixEnd(p));
  ASSERT_TRUE(keys.ok());
  std::vector<std::string> names;
  for (const auto& kv : keys->kvs) names.push_back(kv.key.substr(p.size()));
  EXPECT_EQ(names, (std::vector<std::string>{"exists", "inner-failure", "outer"}));
  // The whole nested Txn is one revision.
  for (const auto& kv : keys->kvs) {
    if (kv.key != p + "exists") {
      EXPECT_EQ(kv.mod_revision, r->revision);
    }
  }
}

TEST(TxnTest, TooManyOps) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  TxnRequest txn;
  for (int i = 0; i <= 10000; ++i) txn.success.push_back(Op::Put(p + std::to_string(i), ""));
  auto r = client->Txn(txn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "etcdserver: too many operations in txn request");
}

TEST(TxnTest, DuplicateKey) {
  auto client = MakeClient();
  const std::string key = TestPrefix() + "dup";
  TxnRequest txn;
  txn.success.push_back(Op::Put(key, "1"));
  txn.success.push_back(Op::Put(key, "2"));
  auto r = client->Txn(txn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "etcdserver: duplicate key given in txn request");
}

TEST(TxnTest, TxnAsync) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  constexpr int kCalls = 20;
  std::vector<std::promise<absl::StatusOr<TxnResponse>>> promises(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    client->TxnAsync(
        CreateIfAbsent(p + std::to_string(i % 10), std::to_string(i)),
        [&promises, i](absl::StatusOr<TxnResponse> r) { promises[i].set_value(std::move(r)); });
  }
  int succeeded = 0;
  std::set<int64_t> revisions;
  for (auto& promise : promises) {
    auto r = promise.get_future().get();
    ASSERT_TRUE(r.ok()) << r.status();
    if (r->succeeded) {
      ++succeeded;
      revisions.insert(r->revision);
    }
  }
  EXPECT_EQ(succeeded, 10);  // each of the 10 keys is created exactly once
  EXPECT_EQ(revisions.size(), 10u);

  // An async error carries etcd's code and text.
  TxnRequest dup;
  dup.success = {Op::Put(p + "d", "1"), Op::Put(p + "d", "2")};
  std::promise<absl::Status> failed;
  client->TxnAsync(dup, [&](absl::StatusOr<TxnResponse> r) { failed.set_value(r.status()); });
  const absl::Status status = failed.get_future().get();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "etcdserver: duplicate key given in txn request");
}

// Destroying the client with calls in flight runs every callback exactly once, promptly.
TEST(TxnTest, TxnAsyncCallbacksRunBeforeDestructionEnds) {
  std::atomic<int> done{0};
  {
    auto client = MakeClient();
    const std::string p = TestPrefix();
    for (int i = 0; i < 50; ++i) {
      client->TxnAsync(CreateIfAbsent(p + std::to_string(i), "v"),
                       [&done](absl::StatusOr<TxnResponse>) { done.fetch_add(1); });
    }
  }
  EXPECT_EQ(done.load(), 50);
}

TEST(TxnTest, TxnAsyncFailsWhenEtcdIsDown) {
  test::EtcdProcess nobody;
  ClientOptions options;
  options.endpoints = {nobody.endpoint()};
  options.call_timeout = std::chrono::milliseconds(300);
  Client client(options);
  std::promise<absl::Status> result;
  client.TxnAsync(CreateIfAbsent("k", "v"),
                  [&](absl::StatusOr<TxnResponse> r) { result.set_value(r.status()); });
  const absl::Status status = result.get_future().get();
  EXPECT_TRUE(status.code() == absl::StatusCode::kUnavailable ||
              status.code() == absl::StatusCode::kDeadlineExceeded)
      << status;
}

}  // namespace
}  // namespace petacore::etcdlink
