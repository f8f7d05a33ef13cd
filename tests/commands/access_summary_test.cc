// Tests of the access summary format (keyspace/access_summary.h) and of the deciding node's
// merged view of the other nodes' summaries (expiry/remote_access.h) over a real mvcc::Store.
#include "keyspace/access_summary.h"

#include <gtest/gtest.h>

#include <vector>

#include "expiry/remote_access.h"
#include "mvcc/store.h"

namespace petacore::keyspace {
namespace {

struct Entry {
  std::string key;
  uint32_t last;
  uint8_t counter;
  bool operator==(const Entry&) const = default;
};

std::vector<Entry> Decode(std::string_view value) {
  std::vector<Entry> out;
  ForEachAccessSummaryEntry(value, [&](const AccessSummaryEntry& e) {
    out.push_back({std::string(e.meta_key), e.last_access_s, e.lfu_counter});
  });
  return out;
}

TEST(AccessSummaryTest, RoundTripIncludingLongAndBinaryKeys) {
  std::vector<Entry> want = {{"a", 1, 5}, {std::string(300, 'k'), 0xfffffffe, 255},
                             {std::string("\0\xff\x80", 3), 1700000000, 0}};
  std::string value;
  for (const auto& e : want) AppendAccessSummaryEntry(&value, e.key, e.last, e.counter);
  EXPECT_EQ(Decode(value), want);
}

TEST(AccessSummaryTest, TruncatedValueStopsAtTheLastWholeEntry) {
  std::string value;
  AppendAccessSummaryEntry(&value, "first", 10, 1);
  AppendAccessSummaryEntry(&value, "second", 20, 2);
  for (size_t cut = 0; cut < value.size(); ++cut) {
    auto got = Decode(std::string_view(value).substr(0, cut));
    EXPECT_LE(got.size(), 1u) << cut;
    if (!got.empty()) {
      EXPECT_EQ(got[0], (Entry{"first", 10, 1}));
    }
  }
  EXPECT_EQ(Decode(value).size(), 2u);
}

TEST(AccessSummaryTest, KeysAreInTheirRangeAndNameTheirNode) {
  std::string key = AccessSummaryKey(0xabc);
  EXPECT_EQ(static_cast<unsigned char>(key[0]), 0xff);
  EXPECT_GE(key, std::string(kAccessSummaryPrefix));
  EXPECT_LT(key, std::string(kAccessSummaryEnd));
  EXPECT_EQ(AccessSummaryProcess(key), 0xabcu);
  EXPECT_EQ(AccessSummaryProcess(std::string(kAccessSummaryPrefix)), 0u);
  EXPECT_EQ(AccessSummaryProcess("\xff" "node/0000000000000abc"), 0u);
}

mvcc::Mutation Put(std::string key, std::string value) {
  mvcc::Mutation m;
  m.key = std::move(key);
  m.value = std::move(value);
  return m;
}

TEST(RemoteAccessViewTest, MergesOtherNodesAndIgnoresItsOwn) {
  mvcc::Store store;
  std::string own, b, c;
  AppendAccessSummaryEntry(&own, "k1", 2000, 200);  // this node's: ignored
  AppendAccessSummaryEntry(&b, "k1", 1000, 7);
  AppendAccessSummaryEntry(&b, "k2", 1500, 3);
  AppendAccessSummaryEntry(&c, "k1", 1200, 4);
  std::vector<mvcc::Mutation> batch = {Put(AccessSummaryKey(1), own),
                                       Put(AccessSummaryKey(2), b),
                                       Put(AccessSummaryKey(3), c)};
  store.Apply(1, batch);
  expiry::RemoteAccessView view(store, 1);
  auto k1 = view.Lookup("k1", 1300 * 1000);
  EXPECT_EQ(k1.idle_ms, 100 * 1000);  // node 3's access at 1200 s is the most recent
  EXPECT_EQ(k1.lfu_counter, 7);       // node 2's counter is the highest
  auto k2 = view.Lookup("k2", 1400 * 1000);
  EXPECT_EQ(k2.idle_ms, 0);  // an access after `now` counts as idle 0
  EXPECT_EQ(k2.lfu_counter, 3);
  auto none = view.Lookup("k3", 1300 * 1000);
  EXPECT_EQ(none.idle_ms, -1);
  EXPECT_EQ(none.lfu_counter, -1);
  EXPECT_EQ(view.keys(), 2);

  // A changed summary is seen after the refresh interval.
  std::string b2;
  AppendAccessSummaryEntry(&b2, "k3", 1250, 9);
  std::vector<mvcc::Mutation> batch2 = {Put(AccessSummaryKey(2), b2)};
  store.Apply(2, batch2);
  const int64_t later = 1400 * 1000 + expiry::RemoteAccessView::kRefreshMs;
  EXPECT_EQ(view.Lookup("k3", later).lfu_counter, 9);
  EXPECT_EQ(view.Lookup("k2", later).idle_ms, -1);  // node 2 no longer lists it
}

}  // namespace
}  // namespace petacore::keyspace
