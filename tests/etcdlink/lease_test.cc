// lease_test.cc — LeaseGrant / KeepAliveOnce / TimeToLive / Revoke and attached keys.
#include <gtest/gtest.h>

#include "etcdlink/client.h"
#include "tests/etcdlink/etcd_env.h"

namespace petacore::etcdlink {
namespace {

using testing::MakeClient;
using testing::TestPrefix;

TEST(LeaseTest, GrantKeepAliveTtlRevoke) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  auto lease = client->LeaseGrant(30);
  ASSERT_TRUE(lease.ok()) << lease.status();
  const auto [id, granted] = *lease;
  EXPECT_GT(id, 0);
  EXPECT_EQ(granted, 30);

  ASSERT_TRUE(client->Put(p + "a", "1", id).ok());
  ASSERT_TRUE(client->Put(p + "b", "2", id).ok());
  auto attached = client->Range(p + "a", "");
  ASSERT_TRUE(attached.ok());
  ASSERT_EQ(attached->kvs.size(), 1u);
  EXPECT_EQ(attached->kvs[0].lease, id);

  auto renewed = client->LeaseKeepAliveOnce(id);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(*renewed, 30);
  auto ttl = client->LeaseTimeToLive(id);
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_GT(*ttl, 0);
  EXPECT_LE(*ttl, 30);

  auto before = client->Range(p, PrefixEnd(p));
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(client->LeaseRevoke(id).ok());
  auto after = client->Range(p, PrefixEnd(p));
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->kvs.empty());
  EXPECT_EQ(after->revision, before->revision + 1);  // both keys vanish in one revision

  auto gone_ttl = client->LeaseTimeToLive(id);
  ASSERT_TRUE(gone_ttl.ok());
  EXPECT_EQ(*gone_ttl, -1);
  auto gone_keepalive = client->LeaseKeepAliveOnce(id);
  ASSERT_TRUE(gone_keepalive.ok()) << gone_keepalive.status();
  EXPECT_EQ(*gone_keepalive, 0);
  auto revoke_again = client->LeaseRevoke(id);
  EXPECT_EQ(revoke_again.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(revoke_again.message(), "etcdserver: requested lease not found");
}

TEST(LeaseTest, PutWithUnknownLease) {
  auto client = MakeClient();
  auto r = client->Put(TestPrefix() + "k", "v", 0x7eadbeef);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "etcdserver: requested lease not found");
}

TEST(LeaseTest, ExplicitIdAndMinimumTtl) {
  auto client = MakeClient();
  const int64_t id = 0x5eed0001;
  auto lease = client->LeaseGrant(1, id);
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(lease->first, id);
  EXPECT_GE(lease->second, 1);  // etcd may raise it to its minimum TTL
  auto dup = client->LeaseGrant(10, id);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(client->LeaseRevoke(id).ok());
}

}  // namespace
}  // namespace petacore::etcdlink
