// maintenance_test.cc — per-member Status (StatusOf) and Defragment against a real etcd.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "etcdlink/client.h"
#include "tests/etcdlink/etcd_env.h"

namespace petacore::etcdlink {
namespace {

using testing::MakeClient;
using testing::TestPrefix;

TEST(MaintenanceTest, StatusOfOneMemberHasSizes) {
  auto client = MakeClient();
  ASSERT_EQ(client->member_count(), 1u);
  EXPECT_FALSE(client->member_endpoint(0).empty());
  auto status = client->StatusOf(0);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_GT(status->db_size, 0);
  EXPECT_GT(status->db_size_in_use, 0);
  EXPECT_LE(status->db_size_in_use, status->db_size);
  EXPECT_EQ(status->endpoint, client->member_endpoint(0));
  auto any = client->Status();
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(any->endpoint, client->member_endpoint(0));
  EXPECT_GT(any->db_size_in_use, 0);
  EXPECT_FALSE(client->StatusOf(1).ok());
}

TEST(MaintenanceTest, CompactThenDefragmentShrinksTheFile) {
  auto client = MakeClient();
  const std::string p = TestPrefix();
  const std::string big(64 * 1024, 'x');
  int64_t revision = 0;
  for (int i = 0; i < 150; ++i) {  // ~10 MB of history over one key
    auto put = client->Put(p + "k", big + std::to_string(i));
    ASSERT_TRUE(put.ok()) << put.status();
    revision = *put;
  }
  auto before = client->StatusOf(0);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(client->Compact(revision, /*physical=*/true).ok());
  ASSERT_TRUE(client->Defragment(0, std::chrono::seconds(60)).ok());
  auto after = client->StatusOf(0);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_LT(after->db_size, before->db_size);
  // Served again at once: the member is not busy any more.
  EXPECT_TRUE(client->Range(p + "k", "").ok());
  EXPECT_NE(client->DescribeMembers().find("=up"), std::string::npos);
  EXPECT_FALSE(client->Defragment(3, std::chrono::seconds(1)).ok());
}

}  // namespace
}  // namespace petacore::etcdlink
