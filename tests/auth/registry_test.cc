// The registry follows store batches: puts and deletes of "\xff" "acl/user/<name>" keys.
#include "auth/registry.h"

#include <gtest/gtest.h>

#include <vector>

namespace petacore::auth {
namespace {

mvcc::Mutation Put(std::string_view name, std::string_view line) {
  return {mvcc::Mutation::Kind::kPut, UserKey(name), std::string(line)};
}
mvcc::Mutation Del(std::string_view name) {
  return {mvcc::Mutation::Kind::kDelete, UserKey(name), ""};
}

TEST(RegistryTest, DefaultFromRequirepass) {
  Registry r;
  EXPECT_TRUE(r.Default()->nopass());
  EXPECT_EQ(r.Default()->Describe(), "on nopass ~* &* +@all");
  r.Configure("secret");
  EXPECT_FALSE(r.Default()->nopass());
  EXPECT_TRUE(r.Default()->CheckPassword("secret"));
  EXPECT_TRUE(r.Default()->unrestricted());
}

TEST(RegistryTest, FollowsPutsAndDeletes) {
  Registry r;
  uint64_t e0 = r.epoch();
  std::vector<mvcc::Mutation> batch = {Put("bob", "on nopass ~k* +get"),
                                       {mvcc::Mutation::Kind::kPut, "\x00k\x00\x00", "data"}};
  r.OnApplied(batch);
  EXPECT_GT(r.epoch(), e0);
  ASSERT_TRUE(r.Find("bob"));
  EXPECT_EQ(r.Find("bob")->Describe(), "on nopass ~k* resetchannels -@all +get");
  auto all = r.All();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->name(), "bob");
  EXPECT_EQ(all[1]->name(), "default");

  uint64_t e1 = r.epoch();
  std::vector<mvcc::Mutation> data_only = {{mvcc::Mutation::Kind::kPut, "\x00k\x00\x00", "x"}};
  r.OnApplied(data_only);
  EXPECT_EQ(r.epoch(), e1);  // data batches leave connections' cached users alone

  std::vector<mvcc::Mutation> del = {Del("bob"), Del("nosuch")};
  EXPECT_EQ(r.OnApplied(del), std::vector<std::string>{"bob"});
  EXPECT_EQ(r.Find("bob"), nullptr);
}

TEST(RegistryTest, StoredDefaultWinsUntilDeleted) {
  Registry r;
  r.Configure("fromflag");
  std::vector<mvcc::Mutation> put = {Put("default", "on >stored ~* &* +@all")};
  r.OnApplied(put);
  EXPECT_TRUE(r.Default()->CheckPassword("stored"));
  EXPECT_FALSE(r.Default()->CheckPassword("fromflag"));
  r.Configure("again");  // a restart with --requirepass: the stored user still wins
  EXPECT_TRUE(r.Default()->CheckPassword("stored"));
  std::vector<mvcc::Mutation> del = {Del("default")};
  EXPECT_TRUE(r.OnApplied(del).empty());  // nobody is disconnected: default still exists
  EXPECT_TRUE(r.Default()->CheckPassword("again"));
}

TEST(RegistryTest, InvalidStoredLineIsIgnored) {
  Registry r;
  std::vector<mvcc::Mutation> put = {Put("eve", "on +nosuchcommand")};
  r.OnApplied(put);
  EXPECT_EQ(r.Find("eve"), nullptr);
}

}  // namespace
}  // namespace petacore::auth
