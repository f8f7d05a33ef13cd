// Rule words applied to a User and the descriptions ACL LIST / GETUSER show, with the
// expectations taken from Redis 7.0.15 (same rules, same output) where the two agree.
#include "auth/user.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "auth/access.h"
#include "auth/categories.h"
#include "auth/registry.h"
#include "commands/table.h"

namespace petacore::auth {
namespace {

// Applies `rules` (space separated) to a new user; returns "" or "<rule>: <reason>".
std::string Apply(User& u, std::string_view rules) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < rules.size()) {
    size_t j = rules.find(' ', i);
    if (j == rules.npos) j = rules.size();
    words.push_back(rules.substr(i, j - i));
    i = j + 1;
  }
  std::string failed;
  std::string err = u.ApplyRules(words, &failed);
  return err.empty() ? "" : failed + ": " + err;
}

std::string Describe(std::string_view rules) {
  User u("u");
  EXPECT_EQ(Apply(u, rules), "");
  return u.Describe();
}

TEST(UserTest, NewUserIsOffWithNothing) {
  EXPECT_EQ(User("alice").Describe(), "off resetchannels -@all");
}

TEST(UserTest, DescriptionsMatchRedis) {
  EXPECT_EQ(Describe("on >pw ~k* +get +set"),
            "on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* "
            "resetchannels -@all +get +set");
  EXPECT_EQ(Describe("on nopass ~* &* +@all -flushall"), "on nopass ~* &* +@all -flushall");
  EXPECT_EQ(Describe("on -@all +@read"), "on resetchannels -@all +@read");
  EXPECT_EQ(Describe("-@all +@string -get %R~r* %W~w* %RW~b*"),
            "off %R~r* %W~w* ~b* resetchannels -@all +@string -get");
  EXPECT_EQ(Describe("reset"), "off sanitize-payload resetchannels -@all");
  EXPECT_EQ(Describe("&ch allchannels ~k resetkeys ~j allcommands"), "off ~j &* +@all");
  EXPECT_EQ(Describe("+@all -@all +get nocommands +set"), "off resetchannels -@all +set");
  EXPECT_EQ(Describe(">x nopass"), "off nopass resetchannels -@all");
  EXPECT_EQ(Describe("nopass >x"),
            "off #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 "
            "resetchannels -@all");
}

TEST(UserTest, PasswordsKeepOrderWithoutDuplicates) {
  User u("u");
  ASSERT_EQ(Apply(u, ">a >b <a >c >b"), "");
  EXPECT_EQ(u.password_hashes(), (std::vector<std::string>{PasswordHash("b"), PasswordHash("c")}));
  EXPECT_EQ(Apply(u, "<zzz"),
            "<zzz: The password you are trying to remove from the user does not exist");
  ASSERT_EQ(Apply(u, "on"), "");
  EXPECT_TRUE(u.CheckPassword("b"));
  EXPECT_FALSE(u.CheckPassword("a"));
  ASSERT_EQ(Apply(u, "off"), "");
  EXPECT_FALSE(u.CheckPassword("b"));  // a disabled user never authenticates
  ASSERT_EQ(Apply(u, "on resetpass"), "");
  EXPECT_FALSE(u.CheckPassword(""));
  ASSERT_EQ(Apply(u, "nopass"), "");
  EXPECT_TRUE(u.CheckPassword("anything"));
}

TEST(UserTest, HashRules) {
  User u("u");
  std::string hash = PasswordHash("pw");
  ASSERT_EQ(Apply(u, "on #" + hash), "");
  EXPECT_TRUE(u.CheckPassword("pw"));
  ASSERT_EQ(Apply(u, "!" + hash), "");
  EXPECT_FALSE(u.CheckPassword("pw"));
  const std::string bad =
      ": The password hash must be exactly 64 characters and contain only lowercase "
      "hexadecimal characters";
  EXPECT_EQ(Apply(u, "#abc"), "#abc" + bad);
  std::string upper = hash;
  upper[0] = 'A';
  EXPECT_EQ(Apply(u, "#" + upper), "#" + upper + bad);
}

TEST(UserTest, ErrorsUseRedisTexts) {
  User u("u");
  EXPECT_EQ(Apply(u, "foo"), "foo: Syntax error");
  EXPECT_EQ(Apply(u, "+nosuch"), "+nosuch: Unknown command or category name in ACL");
  EXPECT_EQ(Apply(u, "+@nosuch"), "+@nosuch: Unknown command or category name in ACL");
  EXPECT_EQ(Apply(u, "-get|x"), "-get|x: Unknown command or category name in ACL");
  EXPECT_EQ(Apply(u, "+client|nosuch"), "+client|nosuch: Unknown command or category name in ACL");
  EXPECT_EQ(Apply(u, "+config|get|x"),
            "+config|get|x: Allowing first-arg of a subcommand is not supported");
  EXPECT_EQ(Apply(u, "%X~k"), "%X~k: Syntax error");
  EXPECT_EQ(Apply(u, "(~k +get)"), "(~k: Syntax error");  // selectors: not supported
  EXPECT_EQ(Apply(u, "~* ~a"),
            "~a: Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
            "does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
  EXPECT_EQ(Apply(u, "&* &a"),
            "&a: Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
            "and does not have any effect. Try 'resetchannels' to start with an empty list of "
            "channels");
}

TEST(UserTest, CommandPermissions) {
  User u("u");
  ASSERT_EQ(Apply(u, "+@read -get +set +client|id +del|x"), "");
  EXPECT_TRUE(u.CanRun(FindUnit("mget"), ""));
  EXPECT_FALSE(u.CanRun(FindUnit("get"), ""));
  EXPECT_TRUE(u.CanRun(FindUnit("set"), ""));
  EXPECT_FALSE(u.CanRun(FindUnit("incr"), ""));
  EXPECT_TRUE(u.CanRun(FindUnit("client|id"), ""));
  EXPECT_FALSE(u.CanRun(FindUnit("client|list"), ""));
  EXPECT_TRUE(u.CanRun(FindUnit("del"), "X"));  // first args compare case-insensitively
  EXPECT_FALSE(u.CanRun(FindUnit("del"), "y"));
  EXPECT_EQ(u.DescribeCommands(), "-@all +@read -get +set +client|id +del|x");
  ASSERT_EQ(Apply(u, "+del -client"), "");  // whole commands replace their |sub rules
  EXPECT_EQ(u.DescribeCommands(), "-@all +@read -get +set +del -client");
  EXPECT_FALSE(u.CanRun(FindUnit("client|id"), ""));
  ASSERT_EQ(Apply(u, "+client"), "");
  EXPECT_TRUE(u.CanRun(FindUnit("client|list"), ""));
}

TEST(UserTest, KeyPermissions) {
  User u("u");
  ASSERT_EQ(Apply(u, "%R~r* %W~w* ~b*"), "");
  EXPECT_TRUE(u.CanAccessKey("r1", true, false));
  EXPECT_FALSE(u.CanAccessKey("r1", false, true));
  EXPECT_TRUE(u.CanAccessKey("w1", false, true));
  EXPECT_FALSE(u.CanAccessKey("w1", true, false));
  EXPECT_TRUE(u.CanAccessKey("b1", true, true));
  EXPECT_FALSE(u.CanAccessKey("x", true, false));
  ASSERT_EQ(Apply(u, "%R~w*"), "");  // the same pattern again adds permissions
  EXPECT_EQ(u.DescribeKeys(), "%R~r* ~w* ~b*");
  ASSERT_EQ(Apply(u, "allkeys"), "");
  EXPECT_TRUE(u.CanAccessKey("x", true, true));
  EXPECT_EQ(u.DescribeKeys(), "~*");
}

TEST(UserTest, CategoriesAreRedis) {
  EXPECT_EQ(CategoryNames().size(), 21u);
  EXPECT_EQ(CategoryNames()[0], "keyspace");
  EXPECT_EQ(CategoryByName("SortedSet"), kSortedSet);
  EXPECT_EQ(CategoryByName("nosuch"), 0u);
  auto cats = [](std::string_view name) { return Units()[FindUnit(name)].categories; };
  EXPECT_EQ(cats("get"), kRead | kString | kFast);
  EXPECT_EQ(cats("flushall"), kKeyspace | kWrite | kSlow | kDangerous);
  EXPECT_EQ(cats("client|list"), kAdmin | kSlow | kDangerous | kConnection);
  EXPECT_EQ(cats("acl|whoami"), kSlow);
  // Every command in the table is a unit, and a known one (in Redis's category table).
  for (const auto& unit : Units()) {
    EXPECT_NE(unit.categories & (kFast | kSlow), 0u) << unit.name;
  }
}

TEST(UserTest, DescriptionRoundTrips) {
  for (std::string_view rules :
       {"on >a >b ~k* %R~r* &ch +@read -get +set +client|id +del|x", "reset",
        "on nopass ~* &* +@all", "on +@all -@dangerous +keys", "off skip-sanitize-payload"}) {
    User u("u");
    ASSERT_EQ(Apply(u, rules), "");
    auto copy = ParseStoredUser("u", u.Describe());
    ASSERT_TRUE(copy) << rules;
    EXPECT_EQ(copy->Describe(), u.Describe());
  }
  EXPECT_EQ(ParseStoredUser("u", "on +nosuch"), nullptr);
}

// The stored form must rebuild the same user on every node: for random rule sequences, the
// user parsed back from Describe() has the same description, passwords and permissions.
TEST(UserTest, RandomRulesRoundTripThroughTheStoredForm) {
  const std::vector<std::string> vocabulary = {
      "on", "off", "nopass", "resetpass", ">a", ">b", "<a", "allkeys", "resetkeys", "~k*",
      "~a?", "%R~r*", "%W~w*", "%RW~b*", "&c*", "allchannels", "resetchannels", "+@all",
      "-@all", "+@read", "-@write", "+@string", "-@dangerous", "+get", "-get", "+set",
      "+client|id", "-client|list", "+client", "-client", "+del|x", "+acl|whoami", "reset",
      "sanitize-payload", "skip-sanitize-payload", "nocommands", "allcommands"};
  const std::vector<std::string> keys = {"k1", "a1", "r1", "w1", "b1", "zz"};
  std::mt19937 rng(7);
  for (int iter = 0; iter < 2000; ++iter) {
    User u("u");
    int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) {
      u.ApplyRule(vocabulary[rng() % vocabulary.size()]);  // some fail (e.g. ~ after allkeys)
    }
    auto copy = ParseStoredUser("u", u.Describe());
    ASSERT_TRUE(copy) << u.Describe();
    ASSERT_EQ(copy->Describe(), u.Describe());
    ASSERT_EQ(copy->password_hashes(), u.password_hashes());
    ASSERT_EQ(copy->enabled(), u.enabled());
    ASSERT_EQ(copy->nopass(), u.nopass());
    for (int unit = 0; unit < static_cast<int>(Units().size()); ++unit) {
      for (std::string_view arg : {"", "x", "id"}) {
        ASSERT_EQ(copy->CanRun(unit, arg), u.CanRun(unit, arg))
            << u.Describe() << " unit " << Units()[unit].name << " arg " << arg;
      }
    }
    for (const auto& k : keys) {
      for (int rw = 1; rw < 4; ++rw) {
        ASSERT_EQ(copy->CanAccessKey(k, rw & 1, rw & 2), u.CanAccessKey(k, rw & 1, rw & 2));
      }
    }
  }
}

// Channel rules as Redis 7.0's ACLCheckChannelAgainstList: channels match the "&" globs, a
// PSUBSCRIBE pattern must equal one of them literally.
TEST(UserTest, ChannelPermissions) {
  User u("u");
  ASSERT_EQ(Apply(u, "&news.* &chat"), "");
  EXPECT_TRUE(u.CanAccessChannel("news.sport", false));
  EXPECT_TRUE(u.CanAccessChannel("chat", false));
  EXPECT_FALSE(u.CanAccessChannel("chats", false));
  EXPECT_TRUE(u.CanAccessChannel("news.*", true));
  EXPECT_FALSE(u.CanAccessChannel("news.s*", true));  // a narrower pattern is not literal
  EXPECT_FALSE(u.CanAccessChannel("chat*", true));
  ASSERT_EQ(Apply(u, "allchannels"), "");
  EXPECT_TRUE(u.CanAccessChannel("anything", false));
  EXPECT_TRUE(u.CanAccessChannel("any*", true));
  ASSERT_EQ(Apply(u, "resetchannels"), "");
  EXPECT_FALSE(u.CanAccessChannel("news.sport", false));
}

// acl-pubsub-default: what a new user and "reset" get (Redis 7.0.15: "user u2 on &* -@all").
TEST(UserTest, PubsubDefault) {
  EXPECT_EQ(User("n", true).Describe(), "off &* -@all");
  EXPECT_EQ(User("n", false).Describe(), "off resetchannels -@all");
  User u("u");
  ASSERT_EQ(Apply(u, "on &a"), "");
  u.SetPubsubDefault(true);
  ASSERT_EQ(Apply(u, "reset"), "");
  EXPECT_EQ(u.Describe(), "off sanitize-payload &* -@all");
  u.SetPubsubDefault(false);
  ASSERT_EQ(Apply(u, "reset"), "");
  EXPECT_EQ(u.Describe(), "off sanitize-payload resetchannels -@all");
}

// Whether an ACL SETUSER removed a channel pattern (Redis's ACLKillPubsubClientsIfNeeded).
TEST(UserTest, ChannelsNarrowed) {
  auto user = [](std::string_view rules) {
    User u("u");
    EXPECT_EQ(Apply(u, rules), "");
    return u;
  };
  EXPECT_FALSE(User::ChannelsNarrowed(user("&a &b"), user("&a &b &c")));
  EXPECT_FALSE(User::ChannelsNarrowed(user("&a &b"), user("&b &a +get")));
  EXPECT_TRUE(User::ChannelsNarrowed(user("&a &b"), user("&a")));
  EXPECT_TRUE(User::ChannelsNarrowed(user("allchannels"), user("&a")));
  EXPECT_FALSE(User::ChannelsNarrowed(user("&a"), user("allchannels")));
  EXPECT_FALSE(User::ChannelsNarrowed(user("resetchannels"), user("&x")));
  // A wider glob replacing a pattern still counts as a removal, as in Redis.
  EXPECT_TRUE(User::ChannelsNarrowed(user("&a1"), user("&a*")));
}

// auth::Check on a spec naming channels: the command, then the keys, then the channels.
TEST(UserTest, CheckChannels) {
  commands::CommandSpec publish{.name = "publishlike", .arity = 3};
  publish.channels = commands::CommandSpec::ChannelArgs::kFirst;
  commands::CommandSpec subscribe{.name = "subscribelike", .arity = -2};
  subscribe.channels = commands::CommandSpec::ChannelArgs::kAll;
  commands::CommandSpec psubscribe{.name = "psubscribelike", .arity = -2};
  psubscribe.channels = commands::CommandSpec::ChannelArgs::kAllPatterns;
  User u("u");
  ASSERT_EQ(Apply(u, "on nopass +@all ~* &foo &bar*"), "");
  u.Seal();
  EXPECT_FALSE(u.unrestricted());  // every command and key, but not every channel
  using Args = std::vector<std::string_view>;
  std::string_view denied;
  EXPECT_EQ(Check(u, publish, Args{"publishlike", "bar1", "baz"}), Denial::kNone);
  EXPECT_EQ(Check(u, publish, Args{"publishlike", "baz", "bar1"}, &denied), Denial::kChannel);
  EXPECT_EQ(denied, "baz");
  EXPECT_EQ(Check(u, subscribe, Args{"subscribelike", "foo", "bar2"}), Denial::kNone);
  EXPECT_EQ(Check(u, subscribe, Args{"subscribelike", "foo", "baz", "qux"}, &denied),
            Denial::kChannel);
  EXPECT_EQ(denied, "baz");
  EXPECT_EQ(Check(u, psubscribe, Args{"psubscribelike", "bar*"}), Denial::kNone);
  EXPECT_EQ(Check(u, psubscribe, Args{"psubscribelike", "bar*", "b*"}, &denied),
            Denial::kChannel);
  EXPECT_EQ(denied, "b*");
  EXPECT_EQ(DenialText(Denial::kChannel, publish, Args{"publishlike", "baz", "m"}),
            "NOPERM this user has no permissions to access one of the channels used as "
            "arguments");
  ASSERT_EQ(Apply(u, "allchannels"), "");
  u.Seal();
  EXPECT_TRUE(u.unrestricted());
  EXPECT_EQ(Check(u, psubscribe, Args{"psubscribelike", "b*"}), Denial::kNone);
}

// A subscriber's channels, patterns and shard channels against its user's current rules.
TEST(UserTest, SubscriptionsAllowed) {
  Registry r;
  std::vector<mvcc::Mutation> put = {
      {mvcc::Mutation::Kind::kPut, UserKey("u"), "on nopass resetchannels &news.* &p* +@all"}};
  r.OnApplied(put);
  client::Session s;
  s.user_name = "u";
  EXPECT_TRUE(SubscriptionsAllowed(r, s));  // no subscriptions
  s.channels = {"news.a", "news.b"};
  s.patterns = {"p*"};
  EXPECT_TRUE(SubscriptionsAllowed(r, s));
  s.patterns.insert("p1*");  // not literally one of the user's patterns
  EXPECT_FALSE(SubscriptionsAllowed(r, s));
  s.patterns = {"p*"};
  s.shard_channels = {"other"};
  EXPECT_FALSE(SubscriptionsAllowed(r, s));
  s.shard_channels.clear();
  s.user_name = "deleted";
  EXPECT_FALSE(SubscriptionsAllowed(r, s));
}

}  // namespace
}  // namespace petacore::auth
