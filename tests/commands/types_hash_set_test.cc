// keyspace::types hashes and sets on a TxnView: counts in the meta key, the meta key rewritten
// by every change, set algebra, pops, and the shared random sampling (collection.h).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "keyspace/types/hash.h"
#include "keyspace/types/set.h"
#include "types_fixture.h"

namespace petacore::keyspace::types {
namespace {

using petacore::testing::TypesTest;
using Strings = std::vector<std::string>;
using Views = std::vector<std::string_view>;

class HashTypeTest : public TypesTest {
 protected:
  const std::string meta_ = EncodeKey(3, "h");
  int64_t Set(Views fv) {
    return Step([&](TxnView& v) { return HashSet(v, ReadHash(v, meta_), fv); });
  }
  std::optional<std::string> Get(std::string_view field) {
    return Step([&](TxnView& v) -> std::optional<std::string> {
      auto got = HashGet(v, ReadHash(v, meta_), field);
      if (!got) return std::nullopt;
      return std::string(*got);
    });
  }
};

TEST_F(HashTypeTest, SetGetAndCount) {
  EXPECT_EQ(Set({"f1", "v1", "f2", "v2", "f1", "last"}), 2);
  EXPECT_EQ(Get("f1"), "last");
  EXPECT_EQ(Get("f2"), "v2");
  EXPECT_FALSE(Get("nope").has_value());
  EXPECT_EQ(Payload(meta_), "2");
  EXPECT_EQ(Set({"f2", "x", "f3", "y"}), 1);
  EXPECT_EQ(Payload(meta_), "3");
  auto all = Step([&](TxnView& v) { return HashGetAll(v, ReadHash(v, meta_)); });
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], (std::pair<std::string, std::string>{"f1", "last"}));
  EXPECT_EQ(all[2], (std::pair<std::string, std::string>{"f3", "y"}));
}

TEST_F(HashTypeTest, OverwriteRewritesTheMetaKey) {
  Set({"f", "1"});
  int64_t before = Step([&](TxnView& v) { return v.ModRevision(meta_); });
  EXPECT_EQ(Set({"f", "2"}), 0);
  EXPECT_GT(Step([&](TxnView& v) { return v.ModRevision(meta_); }), before);
}

TEST_F(HashTypeTest, SetNxAndDelete) {
  EXPECT_TRUE(Step([&](TxnView& v) { return HashSetNx(v, ReadHash(v, meta_), "a", "1"); }));
  EXPECT_FALSE(Step([&](TxnView& v) { return HashSetNx(v, ReadHash(v, meta_), "a", "2"); }));
  EXPECT_EQ(Get("a"), "1");
  Set({"b", "2"});
  Views gone = {"a", "zz", "a"};
  EXPECT_EQ(Step([&](TxnView& v) { return HashDelete(v, ReadHash(v, meta_), gone); }), 1);
  EXPECT_EQ(Payload(meta_), "1");
  Views last = {"b"};
  EXPECT_EQ(Step([&](TxnView& v) { return HashDelete(v, ReadHash(v, meta_), last); }), 1);
  EXPECT_TRUE(Contents().empty());
}

TEST_F(HashTypeTest, ExpireAtSurvivesACountRewrite) {
  Set({"a", "1"});
  auto raw = Contents().at(meta_);
  PutRaw(meta_, WithExpire(raw, NowMs() + 3'600'000));
  Set({"b", "2"});
  auto contents = Contents();  // DecodeValue returns views into it
  auto v = DecodeValue(contents.at(meta_));
  ASSERT_TRUE(v.has_value());
  EXPECT_GT(v->expire_at_ms, 0);
  EXPECT_EQ(v->payload, "2");
}

class SetTypeTest : public TypesTest {
 protected:
  std::string Meta(std::string_view k) { return EncodeKey(0, k); }
  int64_t Add(std::string_view key, Views members) {
    return Step([&](TxnView& v) { return SetAdd(v, ReadSet(v, Meta(key)), members); });
  }
  Strings Members(std::string_view key) {
    return Step([&](TxnView& v) { return SetMembers(v, ReadSet(v, Meta(key))); });
  }
  std::vector<KeyRead> Reads(TxnView& v, std::vector<std::string_view> keys) {
    std::vector<KeyRead> out;
    for (auto k : keys) out.push_back(ReadSet(v, Meta(k)));
    return out;
  }
};

TEST_F(SetTypeTest, AddRemoveCount) {
  EXPECT_EQ(Add("s", {"b", "a", "b"}), 2);
  EXPECT_EQ(Add("s", {"a", "c"}), 1);
  EXPECT_EQ(Payload(Meta("s")), "3");
  EXPECT_EQ(Members("s"), (Strings{"a", "b", "c"}));
  Views gone = {"a", "x"};
  EXPECT_EQ(Step([&](TxnView& v) { return SetRemove(v, ReadSet(v, Meta("s")), gone); }), 1);
  EXPECT_EQ(Payload(Meta("s")), "2");
  EXPECT_TRUE(Step([&](TxnView& v) { return SetIsMember(v, ReadSet(v, Meta("s")), "c"); }));
  EXPECT_FALSE(Step([&](TxnView& v) { return SetIsMember(v, ReadSet(v, Meta("s")), "a"); }));
}

TEST_F(SetTypeTest, Algebra) {
  Add("s1", {"a", "b", "c", "d"});
  Add("s2", {"c", "d", "e"});
  Add("s3", {"d", "x"});
  EXPECT_EQ(Step([&](TxnView& v) {
              return SetInter(v, Reads(v, {"s1", "s2", "s3"}), 0);
            }),
            (Strings{"d"}));
  EXPECT_EQ(Step([&](TxnView& v) { return SetInter(v, Reads(v, {"s1", "s2"}), 1); }).size(), 1u);
  EXPECT_TRUE(Step([&](TxnView& v) { return SetInter(v, Reads(v, {"s1", "none"}), 0); }).empty());
  EXPECT_EQ(Step([&](TxnView& v) {
              return SetUnion(v, Reads(v, {"s2", "s3", "none"}));
            }),
            (Strings{"c", "d", "e", "x"}));
  EXPECT_EQ(Step([&](TxnView& v) {
              return SetDiff(v, Reads(v, {"s1", "s2", "none"}));
            }),
            (Strings{"a", "b"}));
  EXPECT_TRUE(Step([&](TxnView& v) { return SetDiff(v, Reads(v, {"s1", "s1"})); }).empty());
}

TEST_F(SetTypeTest, StoreReplacesTheDestination) {
  Add("dst", {"old1", "old2", "old3"});
  Step([&](TxnView& v) { SetStore(v, Meta("dst"), {"n"}); });
  EXPECT_EQ(Members("dst"), (Strings{"n"}));
  EXPECT_EQ(Payload(Meta("dst")), "1");
  Step([&](TxnView& v) { SetStore(v, Meta("dst"), {}); });
  EXPECT_EQ(KeysOf(Meta("dst")), 0u);
}

TEST_F(SetTypeTest, MoveAndPop) {
  Add("src", {"a", "b"});
  EXPECT_TRUE(Step([&](TxnView& v) {
    return SetMove(v, ReadSet(v, Meta("src")), ReadSet(v, Meta("dst")), "a");
  }));
  EXPECT_FALSE(Step([&](TxnView& v) {
    return SetMove(v, ReadSet(v, Meta("src")), ReadSet(v, Meta("dst")), "zz");
  }));
  EXPECT_EQ(Members("src"), (Strings{"b"}));
  EXPECT_EQ(Members("dst"), (Strings{"a"}));
  EXPECT_EQ(Payload(Meta("dst")), "1");
  Add("p", {"1", "2", "3", "4", "5"});
  auto popped = Step([&](TxnView& v) { return SetPop(v, ReadSet(v, Meta("p")), 2); });
  ASSERT_EQ(popped.size(), 2u);
  EXPECT_NE(popped[0], popped[1]);
  auto left = Members("p");
  EXPECT_EQ(left.size(), 3u);
  for (const auto& m : popped) EXPECT_EQ(std::count(left.begin(), left.end(), m), 0);
  EXPECT_EQ(Payload(Meta("p")), "3");
  EXPECT_EQ(Step([&](TxnView& v) { return SetPop(v, ReadSet(v, Meta("p")), 10); }).size(), 3u);
  EXPECT_TRUE(Contents().count(Meta("p")) == 0);
}

TEST_F(SetTypeTest, RandomElements) {
  Add("r", {"a", "b", "c", "d", "e"});
  auto distinct =
      Step([&](TxnView& v) { return RandomElements(v, Meta("r"), kSetMemberTag, 5, 3); });
  std::set<std::string> seen;
  for (auto& [m, unused] : distinct) seen.insert(m);
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(
      Step([&](TxnView& v) { return RandomElements(v, Meta("r"), kSetMemberTag, 5, 9); }).size(),
      5u);
  auto repeats =
      Step([&](TxnView& v) { return RandomElements(v, Meta("r"), kSetMemberTag, 5, -12); });
  EXPECT_EQ(repeats.size(), 12u);
  for (auto& [m, unused] : repeats) EXPECT_TRUE(m.size() == 1 && m[0] >= 'a' && m[0] <= 'e');
}

TEST(CollectionCount, ParsesOnlyNonNegativeDecimals) {
  EXPECT_EQ(ParseCount("12"), 12);
  EXPECT_EQ(ParseCount("0"), 0);
  EXPECT_FALSE(ParseCount("").has_value());
  EXPECT_FALSE(ParseCount("-1").has_value());
  EXPECT_FALSE(ParseCount("3x").has_value());
}

}  // namespace
}  // namespace petacore::keyspace::types
