// tests/commands/key_access_test.cc — keyspace/access.h: what a read does to a key's access
// record (LRU second, Redis's LFU counter), OBJECT's no-touch reads, re-creation, and the
// sampling API eviction (issue 17) will use.
#include "keyspace/access.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keyspace/encoding.h"
#include "keyspace/types/hash.h"
#include "types_fixture.h"

namespace petacore::testing {
namespace {

using keyspace::AccessSettings;
using keyspace::EncodeKey;

class KeyAccessTest : public TypesTest {
 protected:
  void SetUp() override { keyspace::SetAccessSettings({.lfu = true, .lfu_log_factor = 0}); }
  void TearDown() override { keyspace::SetAccessSettings(AccessSettings{}); }

  uint8_t Freq(const std::string& meta) {
    auto snap = store_.Read();
    auto r = keyspace::ReadAccess(snap, meta);
    EXPECT_TRUE(r.has_value());
    return r ? keyspace::LfuCounter(*r, keyspace::NowMs()) : 0;
  }
  void Read(const std::string& meta, bool touch = true) {
    auto snap = store_.Read();
    keyspace::TxnView view(snap, /*track_reads=*/false);
    view.set_touch(touch);
    view.Get(meta);
  }
};

TEST_F(KeyAccessTest, NewKeyStartsAtInitValAndEachReadCountsOnce) {
  std::string k = EncodeKey(0, "k");
  Step([&](keyspace::TxnView& v) { v.Put(k, keyspace::EncodeString("v")); });
  EXPECT_EQ(Freq(k), mvcc::AccessRecord::kLfuInitVal);
  Read(k);
  Read(k);
  EXPECT_EQ(Freq(k), 7);
  Read(k, /*touch=*/false);  // OBJECT's lookup
  EXPECT_EQ(Freq(k), 7);
  {  // two reads in one command count once; a new command counts again
    auto snap = store_.Read();
    keyspace::TxnView view(snap);
    view.Get(k);
    view.Get(k);
    EXPECT_EQ(Freq(k), 8);
    view.NextAccessCommand();
    view.Get(k);
    EXPECT_EQ(Freq(k), 9);
  }
  // delete and re-create: a fresh record
  Step([&](keyspace::TxnView& v) { v.Delete(k); });
  Step([&](keyspace::TxnView& v) { v.Put(k, keyspace::EncodeString("w")); });
  EXPECT_EQ(Freq(k), mvcc::AccessRecord::kLfuInitVal);
}

TEST_F(KeyAccessTest, SubkeyReadsAreNotAccessesAndScanSkipsSubkeys) {
  std::string h = EncodeKey(0, "h");
  Step([&](keyspace::TxnView& v) {
    auto kr = keyspace::types::ReadHash(v, h);
    std::vector<std::string_view> fv = {"f1", "1", "f2", "2", "f3", "3"};
    keyspace::types::HashSet(v, kr, fv);
    v.Put(EncodeKey(0, "a"), keyspace::EncodeString("x"));
    v.Put(EncodeKey(1, "z"), keyspace::EncodeString("y"));
  });
  uint8_t before = Freq(h);
  Read(keyspace::SubKey(h, keyspace::kHashFieldTag, "f1"));
  EXPECT_EQ(Freq(h), before);
  auto snap = store_.Read();
  std::vector<std::string> seen;
  size_t n = keyspace::ScanAccess(snap, keyspace::DbStart(0), keyspace::DbEnd(0), 0,
                                  [&](std::string_view meta, const mvcc::AccessRecord& r) {
                                    seen.push_back(keyspace::DecodeKey(meta)->user_key);
                                    EXPECT_GE(r.lfu_counter, mvcc::AccessRecord::kLfuInitVal);
                                    return true;
                                  });
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "h"}));
  EXPECT_EQ(keyspace::ScanAccess(snap, keyspace::DbStart(0), "", 1,
                                 [](std::string_view, const mvcc::AccessRecord&) { return true; }),
            1u);
}

TEST(KeyAccessRecord, LruIdleAndLfuDecay) {
  keyspace::SetAccessSettings({.lfu = false});
  std::atomic<uint64_t> cell{mvcc::AccessRecord::Fresh(1'000'000).Pack()};
  keyspace::TouchAccess(&cell, 5'000'000);
  auto r = mvcc::AccessRecord::Unpack(cell.load());
  EXPECT_EQ(keyspace::IdleMs(r, 5'000'999), 0);
  EXPECT_EQ(keyspace::IdleMs(r, 8'000'000), 3'000'000);  // 3000 s
  EXPECT_EQ(r.lfu_counter, mvcc::AccessRecord::kLfuInitVal);  // LRU leaves LFU alone
  // LFU decay: one per lfu-decay-time minutes since the stamp
  keyspace::SetAccessSettings({.lfu = true, .lfu_log_factor = 10, .lfu_decay_time = 2});
  mvcc::AccessRecord f = mvcc::AccessRecord::Fresh(0);
  f.lfu_counter = 20;
  EXPECT_EQ(keyspace::LfuCounter(f, 60'000 * 7), 17);
  EXPECT_EQ(keyspace::LfuCounter(f, 60'000 * 100), 0);
  keyspace::SetAccessSettings(AccessSettings{});
}

TEST(KeyAccessRecord, EvictionRanksWithinTheSecond) {
  // Two keys touched in the same second, 300 ms apart: OBJECT IDLETIME's clock (Redis's
  // seconds) ties them, eviction's ranking does not (AccessRecord::last_access_frac).
  keyspace::SetAccessSettings({.lfu = false});
  std::atomic<uint64_t> early{0}, late{0};
  keyspace::TouchAccess(&early, 7'000'100);
  keyspace::TouchAccess(&late, 7'000'400);
  auto e = mvcc::AccessRecord::Unpack(early.load());
  auto l = mvcc::AccessRecord::Unpack(late.load());
  EXPECT_EQ(keyspace::IdleMs(e, 7'000'900), keyspace::IdleMs(l, 7'000'900));
  EXPECT_GT(keyspace::RankIdleMs(e, 7'000'900), keyspace::RankIdleMs(l, 7'000'900));
  // 1/256 s resolution: within 4 ms of the true idle time, never negative
  EXPECT_NEAR(keyspace::RankIdleMs(e, 7'000'900), 800, 4);
  EXPECT_NEAR(keyspace::RankIdleMs(l, 7'000'900), 500, 4);
  EXPECT_EQ(keyspace::RankIdleMs(l, 7'000'000), 0);
  // the word round-trips the fraction beside the LFU half
  mvcc::AccessRecord f = mvcc::AccessRecord::Fresh(7'000'999);
  EXPECT_EQ(mvcc::AccessRecord::Unpack(f.Pack()).last_access_frac, 255);
  EXPECT_EQ(mvcc::AccessRecord::Unpack(f.Pack()).lfu_counter, mvcc::AccessRecord::kLfuInitVal);
}

}  // namespace
}  // namespace petacore::testing
