// kv_test.cc — Range/Put/Delete, binary keys, PrefixEnd, paged RangeAll, Compact, errors
// with etcd unreachable, Status.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include "etcdlink/client.h"
#include "tests/etcdlink/etcd_env.h"

namespace petacore::etcdlink {
namespace {

using testing::MakeClient;
using testing::TestPrefix;

TEST(PrefixEndTest, EtcdCases) {
  EXPECT_EQ(PrefixEnd("aa"), "ab");
  EXPECT_EQ(PrefixEnd("a"), "b");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("a\xff\xff", 3)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
  EXPECT_EQ(PrefixEnd(""), std::string(1, '\0'));
  EXPECT_EQ(PrefixEnd(std::string("a\0", 2)), std::string("a\x01", 2));
  EXPECT_EQ(PrefixEnd(std::string("\xfe\xff", 2)), std::string("\xff", 1));
}

TEST(KvTest, PutRangeDelete) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  auto r1 = client->Put(p + "a", "1");
  ASSERT_TRUE(r1.ok()) << r1.status();
  auto r2 = client->Put(p + "a", "2");
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(*r2, *r1 + 1);  // one revision per write
  ASSERT_TRUE(client->Put(p + "b", "3").ok());

  auto one = client->Range(p + "a", "");
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->kvs.size(), 1u);
  EXPECT_EQ(one->kvs[0].value, "2");
  EXPECT_EQ(one->kvs[0].create_revision, *r1);
  EXPECT_EQ(one->kvs[0].mod_revision, *r2);
  EXPECT_EQ(one->kvs[0].version, 2);

  auto all = client->Range(p, PrefixEnd(p));
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->kvs.size(), 2u);
  EXPECT_EQ(all->count, 2);
  EXPECT_EQ(all->kvs[1].key, p + "b");

  auto limited = client->Range(p, PrefixEnd(p), 1);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->kvs.size(), 1u);
  EXPECT_TRUE(limited->more);
  EXPECT_EQ(limited->count, 2);

  auto old = client->Range(p + "a", "", 0, *r1);
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(old->kvs.size(), 1u);
  EXPECT_EQ(old->kvs[0].value, "1");

  auto deleted = client->Delete(p, PrefixEnd(p));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 2);
  auto none = client->Range(p, PrefixEnd(p));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->kvs.empty());
  auto again = client->Delete(p + "a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST(KvTest, EmptyKeyIsInvalidArgument) {
  auto client = MakeClient();
  auto r = client->Range("", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "etcdserver: key is not provided");
}

TEST(KvTest, BinaryKeysAndValues) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  const std::string k0 = p + std::string("\0x\0", 3);
  const std::string kff = p + std::string("\xff\xff", 2);
  const std::string value("\0\1\xff\0", 4);
  ASSERT_TRUE(client->Put(k0, value).ok());
  ASSERT_TRUE(client->Put(kff, value).ok());

  auto got = client->Range(k0, "");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->kvs.size(), 1u);
  EXPECT_EQ(got->kvs[0].key, k0);
  EXPECT_EQ(got->kvs[0].value, value);

  auto all = client->Range(p, PrefixEnd(p));
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->kvs.size(), 2u);
  EXPECT_EQ(all->kvs[0].key, k0);  // byte order: 0x00 < 0xFF
  EXPECT_EQ(all->kvs[1].key, kff);

  // A prefix ending in 0xFF: PrefixEnd carries past it.
  auto ff = client->Range(kff, PrefixEnd(kff));
  ASSERT_TRUE(ff.ok());
  EXPECT_EQ(ff->kvs.size(), 1u);

  // "\0" as range_end = everything from key on.
  auto open = client->Range(p, std::string(1, '\0'));
  ASSERT_TRUE(open.ok());
  EXPECT_GE(open->kvs.size(), 2u);
}

TEST(KvTest, RangeAllPinsOneRevisionWhileWritersRun) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  constexpr int kKeys = 2500;
  TxnRequest fill;
  for (int i = 0; i < kKeys; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "k%05d", i);
    fill.success.push_back(Op::Put(p + name, "v"));
  }
  ASSERT_TRUE(client->Txn(fill).ok());

  // A background writer adds keys in between the existing ones the whole time.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    auto wclient = MakeClient();
    for (int i = 0; !stop.load(); ++i) {
      char name[24];
      std::snprintf(name, sizeof(name), "k%05d-new", (i * 7) % kKeys);
      if (wclient->Put(p + name, "w").ok()) written.fetch_add(1);
    }
  });
  while (written.load() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  std::vector<KeyValue> seen;
  int pages = 0;
  auto revision = client->RangeAll(p, PrefixEnd(p), 1000, [&](std::vector<KeyValue>&& page) {
    ++pages;
    EXPECT_LE(page.size(), 1000u);
    // Also write synchronously between pages, so a later page would see it if unpinned.
    EXPECT_TRUE(client->Put(p + "k00000-between" + std::to_string(pages), "x").ok());
    for (auto& kv : page) seen.push_back(std::move(kv));
  });
  stop.store(true);
  writer.join();
  ASSERT_TRUE(revision.ok()) << revision.status();
  EXPECT_EQ(pages, 3);

  // The snapshot is the state at `revision`: compare with a single unpaged read there.
  auto expected = client->Range(p, PrefixEnd(p), 0, *revision);
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(seen.size(), expected->kvs.size());
  std::set<std::string> keys;
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].key, expected->kvs[i].key);
    EXPECT_LE(seen[i].mod_revision, *revision);
    if (i > 0) {
      EXPECT_LT(seen[i - 1].key, seen[i].key);
    }
    keys.insert(seen[i].key);
  }
  EXPECT_EQ(keys.size(), seen.size());
  EXPECT_GE(seen.size(), static_cast<size_t>(kKeys));
  for (const auto& key : keys) EXPECT_EQ(key.find("-between"), std::string::npos) << key;
  ASSERT_TRUE(client->Delete(p, PrefixEnd(p)).ok());
}

TEST(KvTest, CompactThenOldRevisionIsOutOfRange) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  auto r1 = client->Put(p + "a", "1");
  ASSERT_TRUE(r1.ok());
  auto r2 = client->Put(p + "a", "2");
  ASSERT_TRUE(r2.ok());
  auto compacted = client->Compact(*r2, /*physical=*/true);
  ASSERT_TRUE(compacted.ok()) << compacted.status();

  auto old = client->Range(p + "a", "", 0, *r1);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(old.status().message(), "etcdserver: mvcc: required revision has been compacted");
  // The compaction revision itself stays readable.
  auto at = client->Range(p + "a", "", 0, *r2);
  ASSERT_TRUE(at.ok()) << at.status();
  ASSERT_EQ(at->kvs.size(), 1u);
  EXPECT_EQ(at->kvs[0].value, "2");

  auto future = client->Range(p + "a", "", 0, *r2 + 1000000);
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(KvTest, StatusReportsVersion) {
  auto client = MakeClient();
  auto status = client->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->version.empty());
  EXPECT_EQ(status->version.rfind("3.", 0), 0u) << status->version;
  EXPECT_NE(status->member_id, 0u);
  EXPECT_EQ(status->leader, status->member_id);  // a single member leads itself
  EXPECT_GT(status->revision, 0);
  EXPECT_GT(status->db_size, 0);
}

// Nothing listens on the port: every call must fail within its deadline, never hang.
TEST(KvTest, CallsFailWhenEtcdIsDown) {
  test::EtcdProcess nobody;  // never started: just a pair of free ports
  ClientOptions options;
  options.endpoints = {nobody.endpoint()};
  options.call_timeout = std::chrono::milliseconds(500);
  Client client(options);
  const auto is_down = [](const absl::Status& s) {
    return s.code() == absl::StatusCode::kUnavailable ||
           s.code() == absl::StatusCode::kDeadlineExceeded;
  };
  auto put = client.Put("k", "v");
  ASSERT_FALSE(put.ok());
  EXPECT_TRUE(is_down(put.status())) << put.status();
  auto range = client.Range("k", "");
  ASSERT_FALSE(range.ok());
  EXPECT_TRUE(is_down(range.status())) << range.status();
  auto status = client.Status();
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(is_down(status.status())) << status.status();
  auto keepalive = client.LeaseKeepAliveOnce(1);
  ASSERT_FALSE(keepalive.ok());
  EXPECT_TRUE(is_down(keepalive.status())) << keepalive.status();
  auto all = client.RangeAll("a", "b", 10, [](std::vector<KeyValue>&&) {});
  ASSERT_FALSE(all.ok());
  EXPECT_TRUE(is_down(all.status())) << all.status();
}

}  // namespace
}  // namespace petacore::etcdlink
