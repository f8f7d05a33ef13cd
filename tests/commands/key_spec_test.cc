// Key extraction through key specs (commands::ExtractKeys) on the real command table, the
// legacy first/last/step derivation, and subcommand resolution.
#include "commands/key_spec.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "commands/table.h"

namespace petacore::commands {
namespace {

using Keys = std::vector<std::pair<int, uint32_t>>;

Keys Extract(std::vector<std::string_view> args, bool* ok = nullptr) {
  const CommandSpec* spec = Table().Resolve(args);
  EXPECT_NE(spec, nullptr) << args[0];
  std::vector<KeyRef> refs;
  bool good = ExtractKeys(*spec, args, &refs);
  if (ok) *ok = good;
  Keys out;
  for (const auto& r : refs) out.emplace_back(r.index, r.flags);
  return out;
}

TEST(KeySpecTest, RangesAndSteps) {
  EXPECT_EQ(Extract({"get", "k"}), (Keys{{1, kKeyRO | kKeyAccess}}));
  EXPECT_EQ(Extract({"mset", "a", "1", "b", "2"}),
            (Keys{{1, kKeyOW | kKeyUpdate}, {3, kKeyOW | kKeyUpdate}}));
  EXPECT_EQ(Extract({"blpop", "a", "b", "0"}),
            (Keys{{1, kKeyRW | kKeyAccess | kKeyDelete}, {2, kKeyRW | kKeyAccess | kKeyDelete}}));
  EXPECT_EQ(Extract({"lmove", "s", "d", "left", "right"}),
            (Keys{{1, kKeyRW | kKeyAccess | kKeyDelete}, {2, kKeyRW | kKeyInsert}}));
  EXPECT_EQ(Extract({"object", "encoding", "k"}), (Keys{{2, kKeyRO}}));
  EXPECT_TRUE(Extract({"ping"}).empty());
}

TEST(KeySpecTest, KeyNumAndInvalidCounts) {
  EXPECT_EQ(Extract({"zunionstore", "d", "2", "a", "b", "weights", "1", "2"}),
            (Keys{{1, kKeyOW | kKeyUpdate}, {3, kKeyRO | kKeyAccess}, {4, kKeyRO | kKeyAccess}}));
  bool ok = true;
  EXPECT_TRUE(Extract({"zunion", "x", "a"}, &ok).empty());
  EXPECT_FALSE(ok);
  EXPECT_TRUE(Extract({"zunion", "3", "a", "b"}, &ok).empty());  // past the end
  EXPECT_FALSE(ok);
  EXPECT_TRUE(Extract({"sintercard", "0", "a"}, &ok).empty());  // zero keys: last < first
  EXPECT_FALSE(ok);
}

TEST(KeySpecTest, VariableFlagsUseTheCommandsFunction) {
  EXPECT_EQ(Extract({"set", "k", "v"}), (Keys{{1, kKeyOW | kKeyUpdate}}));
  EXPECT_EQ(Extract({"set", "k", "v", "Get"}), (Keys{{1, kKeyRW | kKeyAccess | kKeyUpdate}}));
}

TEST(KeySpecTest, KeywordSearch) {
  // No implemented command uses a keyword yet (XREAD's STREAMS will): a spec of our own.
  CommandSpec spec{
      .name = "x",
      .arity = -2,
      .key_specs = {{.flags = kKeyRO, .begin = Keyword("KEYS", -2), .find = Range(0, 1, 0)},
                    {.flags = kKeyRW, .begin = Keyword("STREAMS", 1), .find = Range(-1, 1, 2)}}};
  std::vector<std::string_view> args = {"x", "keys", "a", "streams", "s1", "s2", "0", "0"};
  std::vector<KeyRef> refs;
  ASSERT_TRUE(ExtractKeys(spec, args, &refs));
  // KEYS searched backward from argc - 2 is found at 1; STREAMS forward at 3, and only the
  // first half of what follows are keys (limit 2).
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0].index, 2);
  EXPECT_EQ(refs[0].flags, kKeyRO);
  EXPECT_EQ(refs[1].index, 4);
  EXPECT_EQ(refs[2].index, 5);
  EXPECT_EQ(refs[2].flags, kKeyRW);
  std::vector<std::string_view> none = {"x", "a", "b"};  // no keyword: no keys, not an error
  ASSERT_TRUE(ExtractKeys(spec, none, &refs));
  EXPECT_TRUE(refs.empty());
}

TEST(KeySpecTest, LegacyRange) {
  auto legacy = [](std::string_view name) { return Table().FindFull(name)->legacy; };
  auto is = [](LegacyRange r, int f, int l, int s, bool m) {
    return r.first == f && r.last == l && r.step == s && r.movable == m;
  };
  EXPECT_TRUE(is(legacy("get"), 1, 1, 1, false));
  EXPECT_TRUE(is(legacy("mset"), 1, -1, 2, false));
  EXPECT_TRUE(is(legacy("blpop"), 1, -2, 1, false));
  EXPECT_TRUE(is(legacy("lmove"), 1, 2, 1, false));  // two consecutive single-key specs
  EXPECT_TRUE(is(legacy("zunionstore"), 1, 1, 1, true));
  EXPECT_TRUE(is(legacy("zunion"), 0, 0, 0, true));
  EXPECT_TRUE(is(legacy("object|encoding"), 2, 2, 1, false));
  EXPECT_TRUE(is(legacy("ping"), 0, 0, 0, false));
  EXPECT_TRUE(Table().FindFull("zunion")->flags & kMovableKeys);
}

TEST(CommandTableTest, ResolveSubcommands) {
  std::vector<std::string_view> get = {"CONFIG", "Get", "x"};
  const CommandSpec* spec = Table().Resolve(get);
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->fullname, "config|get");
  EXPECT_EQ(spec->container, Table().Find("config"));
  std::vector<std::string_view> bad = {"config", "nosuch"};
  EXPECT_EQ(Table().Resolve(bad), nullptr);
  EXPECT_EQ(UnknownSubcommandError(bad), "ERR unknown subcommand 'nosuch'. Try CONFIG HELP.");
  std::vector<std::string_view> alone = {"config"};
  EXPECT_EQ(Table().Resolve(alone), Table().Find("config"));  // then the arity error
  std::vector<std::string_view> plain = {"get", "k"};
  EXPECT_EQ(Table().Resolve(plain)->fullname, "get");
}

TEST(CommandTableTest, EveryRunnableSpecHasAHandler) {
  for (const auto& spec : Table().all()) {
    if (spec.subcommands.empty()) {
      EXPECT_NE(spec.handler, nullptr) << spec.name;
    }
    for (const auto& sub : spec.subcommands) {
      EXPECT_NE(sub.handler, nullptr) << sub.fullname;
      EXPECT_NE(sub.arity, 0) << sub.fullname;
    }
  }
}

}  // namespace
}  // namespace petacore::commands
