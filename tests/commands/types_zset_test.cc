// keyspace::types sorted sets on a TxnView: the count kept in the meta key (and an older set
// without one), (score, member) order, ZADD flags, removal and the *STORE rewrite.
#include <cmath>
#include <string>
#include <vector>

#include "keyspace/types/set.h"
#include "keyspace/types/zset.h"
#include "types_fixture.h"

namespace petacore::keyspace::types {
namespace {

using petacore::testing::TypesTest;

class ZSetTypeTest : public TypesTest {
 protected:
  const std::string meta_ = EncodeKey(0, "z");

  ZAddResult Add(std::vector<double> scores, std::vector<std::string_view> members,
                 ZAddFlags flags = {}) {
    return Step([&](TxnView& v) { return ZSetAdd(v, ReadZSet(v, meta_), flags, scores, members); });
  }
  int64_t Card() {
    return Step([&](TxnView& v) { return ZSetCard(v, ReadZSet(v, meta_)); });
  }
  std::vector<std::string> Order() {
    std::vector<std::string> out;
    Step([&](TxnView& v) {
      for (auto& e : ZSetSorted(v, meta_)) out.push_back(e.member);
    });
    return out;
  }
};

TEST_F(ZSetTypeTest, AddKeepsTheCountInTheMetaKey) {
  auto r = Add({1, 2, 3}, {"a", "b", "c"});
  EXPECT_EQ(r.added, 3);
  EXPECT_EQ(Payload(meta_), "3");
  EXPECT_EQ(Card(), 3);
  r = Add({5, 4}, {"a", "d"});  // one update, one new member
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(Payload(meta_), "4");
  // meta + 4 member subkeys + 4 score-index subkeys
  EXPECT_EQ(KeysOf(meta_), 9u);
}

TEST_F(ZSetTypeTest, MemberNamedTwiceInOneAddCountsOnce) {
  auto r = Add({1, 2}, {"m", "m"});
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(Card(), 1);
  EXPECT_EQ(Step([&](TxnView& v) { return ZSetScore(v, meta_, "m"); }), 2.0);
}

TEST_F(ZSetTypeTest, ScoreChangeRewritesTheMetaKey) {
  Add({1, 2}, {"a", "b"});
  int64_t meta_rev_before = Step([&](TxnView& v) { return v.ModRevision(meta_); });
  Add({7}, {"a"});  // no new member, only a score change
  int64_t meta_rev_after = Step([&](TxnView& v) { return v.ModRevision(meta_); });
  EXPECT_GT(meta_rev_after, meta_rev_before);
  EXPECT_EQ(Order(), (std::vector<std::string>{"b", "a"}));
}

TEST_F(ZSetTypeTest, SortedByScoreThenMember) {
  Add({2, 1, 2, -5}, {"b", "z", "a", "neg"});
  EXPECT_EQ(Order(), (std::vector<std::string>{"neg", "z", "a", "b"}));
}

TEST_F(ZSetTypeTest, Flags) {
  Add({5}, {"a"});
  ZAddFlags nx{.nx = true};
  EXPECT_EQ(Add({1, 1}, {"a", "b"}, nx).added, 1);
  EXPECT_EQ(Step([&](TxnView& v) { return ZSetScore(v, meta_, "a"); }), 5.0);
  ZAddFlags xx{.xx = true};
  EXPECT_EQ(Add({9}, {"c"}, xx).processed, 0);
  EXPECT_EQ(Card(), 2);
  ZAddFlags gt{.gt = true};
  EXPECT_EQ(Add({3}, {"a"}, gt).updated, 0);
  EXPECT_EQ(Add({8}, {"a"}, gt).updated, 1);
  ZAddFlags incr{.incr = true};
  auto r = Add({2.5}, {"a"}, incr);
  EXPECT_EQ(r.last_score, 10.5);
  Add({-INFINITY}, {"inf"});
  Add({INFINITY}, {"inf"});
  EXPECT_TRUE(Add({-INFINITY}, {"inf"}, incr).nan);  // inf + -inf
}

TEST_F(ZSetTypeTest, XxOnAMissingKeyCreatesNothing) {
  ZAddFlags xx{.xx = true};
  Add({1}, {"a"}, xx);
  EXPECT_TRUE(Contents().empty());
}

TEST_F(ZSetTypeTest, RemoveUpdatesTheCountAndDeletesTheLastMember) {
  Add({1, 2, 3}, {"a", "b", "c"});
  std::vector<std::string> gone = {"a", "nope"};
  EXPECT_EQ(Step([&](TxnView& v) { return ZSetRemove(v, ReadZSet(v, meta_), gone); }), 1);
  EXPECT_EQ(Payload(meta_), "2");
  EXPECT_EQ(KeysOf(meta_), 5u);
  auto popped = Step([&](TxnView& v) { return ZSetPop(v, ReadZSet(v, meta_), true, 5); });
  ASSERT_EQ(popped.size(), 2u);
  EXPECT_EQ(popped[0].member, "c");
  EXPECT_EQ(popped[1].member, "b");
  EXPECT_TRUE(Contents().empty());  // an empty sorted set is never stored
}

TEST_F(ZSetTypeTest, OlderSetWithoutCountIsCountedThenStored) {
  // The layout before counts were kept: meta payload empty, subkeys as today.
  PutRaw(meta_, EncodeValue(ValueType::kZSet, ""));
  for (auto [m, s] : {std::pair{"a", 1.0}, {"b", 2.0}, {"c", 3.0}}) {
    PutRaw(SubKey(meta_, kZSetMemberTag, m), SortableDouble(s));
    PutRaw(SubKey(meta_, kZSetScoreTag, SortableDouble(s) + m), "");
  }
  EXPECT_EQ(Card(), 3);
  EXPECT_EQ(Add({4}, {"d"}).added, 1);
  EXPECT_EQ(Payload(meta_), "4");  // the first change stores the count
  std::vector<std::string> gone = {"a"};
  Step([&](TxnView& v) { return ZSetRemove(v, ReadZSet(v, meta_), gone); });
  EXPECT_EQ(Card(), 3);
}

TEST_F(ZSetTypeTest, StoreReplacesAnyTypeAndLoadSourceReadsSets) {
  std::string dst = EncodeKey(0, "dst");
  PutRaw(dst, EncodeString("old string"));
  std::string set = EncodeKey(0, "s");
  std::vector<std::string_view> members = {"x", "y"};
  Step([&](TxnView& v) { SetAdd(v, ReadSet(v, set), members); });
  std::vector<ZEntry> loaded;
  ASSERT_TRUE(Step([&](TxnView& v) { return ZSetLoadSource(v, set, &loaded); }));
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].score, 1.0);
  Step([&](TxnView& v) { ZSetStore(v, dst, loaded); });
  EXPECT_EQ(Payload(dst), "2");
  EXPECT_EQ(Step([&](TxnView& v) { return KeyType(v, dst); }), ValueType::kZSet);
  std::vector<ZEntry> none;
  PutRaw(EncodeKey(0, "str"), EncodeString("v"));
  EXPECT_FALSE(Step([&](TxnView& v) { return ZSetLoadSource(v, EncodeKey(0, "str"), &none); }));
  Step([&](TxnView& v) { ZSetStore(v, dst, {}); });
  EXPECT_EQ(KeysOf(dst), 0u);
}

}  // namespace
}  // namespace petacore::keyspace::types
