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

// OnApplied reports the users whose channel rules lost a pattern (their subscribers are then
// re-checked), not those that only gained some or changed other rules.
TEST(RegistryTest, ReportsNarrowedChannels) {
  Registry r;
  std::vector<mvcc::Mutation> create = {Put("u", "on nopass resetchannels &a &b +@all"),
                                        Put("v", "on nopass &* +@all")};
  std::vector<std::string> narrowed;
  r.OnApplied(create, &narrowed);
  EXPECT_TRUE(narrowed.empty());  // new users narrow nothing
  std::vector<mvcc::Mutation> widen = {Put("u", "on nopass resetchannels &a &b &c -@all")};
  r.OnApplied(widen, &narrowed);
  EXPECT_TRUE(narrowed.empty());
  std::vector<mvcc::Mutation> narrow = {Put("u", "on nopass resetchannels &c +@all"),
                                        Put("v", "on nopass resetchannels &x +@all")};
  r.OnApplied(narrow, &narrowed);
  EXPECT_EQ(narrowed, (std::vector<std::string>{"u", "v"}));
  // The configured default user (allchannels) narrowed by its first stored definition.
  narrowed.clear();
  std::vector<mvcc::Mutation> def = {Put("default", "on nopass ~* resetchannels +@all")};
  r.OnApplied(def, &narrowed);
  EXPECT_EQ(narrowed, std::vector<std::string>{"default"});
}

AclLogEntry Entry(std::string reason, std::string object, std::string user, int64_t ms) {
  AclLogEntry e;
  e.reason = std::move(reason);
  e.context = "toplevel";
  e.object = std::move(object);
  e.username = std::move(user);
  e.ctime_ms = ms;
  e.client_info = "id=" + std::to_string(ms);
  return e;
}

// ACL LOG as Redis's addACLLogEntry: equal denials within 60 s are counted in one entry that
// moves to the front; others are new entries; at most 128 are kept.
TEST(RegistryTest, AclLogGroupsAndBounds) {
  AclLog log;
  log.Add(Entry("channel", "baz", "u", 1000));
  log.Add(Entry("command", "get", "u", 1001));
  log.Add(Entry("channel", "baz", "u", 2000));  // same as the first: counted there
  auto e = log.Newest(10);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].object, "baz");
  EXPECT_EQ(e[0].count, 2);
  EXPECT_EQ(e[0].ctime_ms, 2000);
  EXPECT_EQ(e[0].client_info, "id=2000");
  EXPECT_EQ(e[1].object, "get");
  log.Add(Entry("channel", "baz", "other", 2001));  // another user: a new entry
  log.Add(Entry("channel", "baz", "u", 2000 + AclLog::kGroupingMs + 1));  // too late
  e = log.Newest(10);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].count, 1);
  EXPECT_EQ(log.Newest(1).size(), 1u);
  for (int i = 0; i < 300; ++i) log.Add(Entry("key", "k" + std::to_string(i), "u", 5000 + i));
  EXPECT_EQ(log.Newest(1000).size(), AclLog::kMaxLen);
  EXPECT_EQ(log.Newest(1)[0].object, "k299");
  log.Reset();
  EXPECT_TRUE(log.Newest(10).empty());
}

}  // namespace
}  // namespace petacore::auth
