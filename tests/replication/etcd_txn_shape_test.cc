// CutRangeDeletesAroundKeys: a neutral write set (committer.h) made acceptable to etcd, which
// refuses a key written twice in one Txn, with the same effect.
#include "replication/etcd_txn_shape.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace petacore::replication {
namespace {

using Kind = WriteOp::Kind;

bool Inside(const std::string& key, const WriteOp& range) {
  return key >= range.key && (range.range_end.empty() || key < range.range_end);
}

// etcd's checkIntervals: no single key twice, no put inside a delete range.
void ExpectEtcdValid(const std::vector<WriteOp>& writes) {
  std::set<std::string> keys;
  for (const auto& w : writes) {
    if (w.kind == Kind::kDeleteRange) continue;
    EXPECT_TRUE(keys.insert(w.key).second) << "key twice: " << w.key;
    for (const auto& r : writes) {
      if (r.kind == Kind::kDeleteRange) {
        EXPECT_FALSE(Inside(w.key, r)) << w.key << " inside [" << r.key << ", " << r.range_end;
      }
    }
  }
}

// The effect of `writes` on `state`, range deletes first (CommitRequest's meaning). For writes
// with no key in a range (etcd's form) this is also op-by-op order, as etcd applies a Txn.
std::map<std::string, std::string> Apply(std::map<std::string, std::string> state,
                                         const std::vector<WriteOp>& writes) {
  for (const auto& w : writes) {
    if (w.kind != Kind::kDeleteRange) continue;
    for (auto it = state.lower_bound(w.key); it != state.end() && Inside(it->first, w);) {
      it = state.erase(it);
    }
  }
  for (const auto& w : writes) {
    if (w.kind == Kind::kPut) state[w.key] = w.value;
    if (w.kind == Kind::kDelete) state.erase(w.key);
  }
  return state;
}

TEST(EtcdTxnShapeTest, RangeWithoutSingleKeysIsLeftAlone) {
  std::vector<WriteOp> writes = {{Kind::kDeleteRange, "a", {}, "m"}, {Kind::kPut, "x", "1", {}}};
  CutRangeDeletesAroundKeys(&writes);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].key, "a");
  EXPECT_EQ(writes[0].range_end, "m");
  EXPECT_EQ(writes[1].key, "x");
}

TEST(EtcdTxnShapeTest, RangeIsCutAroundEveryKeyItHolds) {
  std::map<std::string, std::string> state = {{"a", "0"}, {"b", "0"}, {"b\0x", "0"},
                                              {"c", "0"}, {"d", "0"}, {"q", "0"}};
  std::vector<WriteOp> writes = {{Kind::kDeleteRange, "a", {}, "p"},
                                 {Kind::kPut, "b", "1", {}},
                                 {Kind::kDelete, "c", {}, {}},
                                 {Kind::kPut, "a", "1", {}},
                                 {Kind::kPut, "z", "1", {}}};
  auto want = Apply(state, writes);
  CutRangeDeletesAroundKeys(&writes);
  ExpectEtcdValid(writes);
  EXPECT_EQ(Apply(state, writes), want);
  // [a, p) around a, b, c: [a\0, b), [b\0, c), [c\0, p) — the piece [a, a) is dropped.
  std::vector<std::pair<std::string, std::string>> ranges;
  for (const auto& w : writes) {
    if (w.kind == Kind::kDeleteRange) ranges.emplace_back(w.key, w.range_end);
  }
  using namespace std::string_literals;
  EXPECT_EQ(ranges, (std::vector<std::pair<std::string, std::string>>{
                        {"a\0"s, "b"}, {"b\0"s, "c"}, {"c\0"s, "p"}}));
}

TEST(EtcdTxnShapeTest, UnboundedAndOverlappingRanges) {
  // SET x; FLUSHALL; SET y; FLUSHALL; SET z as one EXEC: two unbounded ranges and z.
  std::map<std::string, std::string> state = {{"a", "0"}, {"x", "0"}, {"zz", "0"}};
  std::vector<WriteOp> writes = {{Kind::kDeleteRange, "", {}, ""},
                                 {Kind::kDeleteRange, "", {}, ""},
                                 {Kind::kPut, "z", "3", {}}};
  auto want = Apply(state, writes);
  CutRangeDeletesAroundKeys(&writes);
  ExpectEtcdValid(writes);
  EXPECT_EQ(Apply(state, writes), want);
  EXPECT_EQ(want, (std::map<std::string, std::string>{{"z", "3"}}));
}

}  // namespace
}  // namespace petacore::replication
