// keyspace::types streams on a TxnView: ID parsing and byte order, ID generation (a clock
// that goes back), entries as ordered subkeys, forward and backward scans, trimming as one
// range delete, and the consumer-group subkeys with Redis 7.0's lag arithmetic.
#include <string>
#include <vector>

#include "keyspace/types/stream.h"
#include "keyspace/types/stream_group.h"
#include "keyspace/types/stream_id.h"
#include "keyspace/types/stream_trim.h"
#include "types_fixture.h"

namespace petacore::keyspace::types {
namespace {

using petacore::testing::TypesTest;

TEST(StreamIdTest, ParsesAsRedis) {
  EXPECT_EQ(ParseStreamId("5")->id, (StreamId{5, 0}));
  EXPECT_EQ(ParseStreamId("5", {.missing_seq = UINT64_MAX})->id, (StreamId{5, UINT64_MAX}));
  EXPECT_EQ(ParseStreamId("5-3")->id, (StreamId{5, 3}));
  EXPECT_EQ(ParseStreamId("-")->id, (StreamId{0, 0}));
  EXPECT_EQ(ParseStreamId("+")->id, StreamId::Max());
  EXPECT_FALSE(ParseStreamId("-", {.strict = true}));
  EXPECT_FALSE(ParseStreamId("5-*"));
  auto star = ParseStreamId("5-*", {.allow_seq_star = true});
  ASSERT_TRUE(star);
  EXPECT_FALSE(star->seq_given);
  EXPECT_EQ(ParseStreamId("007-1")->id, (StreamId{7, 1}));  // strtoull, as Redis
  EXPECT_FALSE(ParseStreamId("1-2-3"));
  EXPECT_FALSE(ParseStreamId("x"));
  EXPECT_FALSE(ParseStreamId("-1"));
  EXPECT_FALSE(ParseStreamId("18446744073709551616"));
  EXPECT_EQ(FormatStreamId({18446744073709551615ull, 1}), "18446744073709551615-1");
}

TEST(StreamIdTest, EncodingOrderIsIdOrder) {
  std::vector<StreamId> ids = {{0, 0},   {0, 1},   {0, 255},        {0, 256},       {1, 0},
                               {255, 7}, {256, 0}, {1ull << 40, 3}, StreamId::Max()};
  for (size_t i = 1; i < ids.size(); ++i) {
    EXPECT_LT(EncodeStreamId(ids[i - 1]), EncodeStreamId(ids[i]));
    EXPECT_EQ(DecodeStreamId(EncodeStreamId(ids[i])), ids[i]);
  }
  EXPECT_EQ(NextStreamId({1, UINT64_MAX}), (StreamId{2, 0}));
  EXPECT_EQ(PrevStreamId({2, 0}), (StreamId{1, UINT64_MAX}));
  EXPECT_FALSE(NextStreamId(StreamId::Max()));
  EXPECT_FALSE(PrevStreamId({0, 0}));
}

TEST(StreamIdTest, GeneratedIdsNeverGoBackwards) {
  StreamMeta m;
  m.last_id = {1000, 4};
  EXPECT_EQ(NextAddId(m, 2000, std::nullopt), (StreamId{2000, 0}));  // the clock
  EXPECT_EQ(NextAddId(m, 1000, std::nullopt), (StreamId{1000, 5}));  // same ms
  EXPECT_EQ(NextAddId(m, 10, std::nullopt), (StreamId{1000, 5}));    // the clock went back
  EXPECT_EQ(NextAddId(m, 0, ParsedStreamId{{1000, 0}, false}), (StreamId{1000, 5}));
  EXPECT_EQ(NextAddId(m, 0, ParsedStreamId{{1001, 0}, false}), (StreamId{1001, 0}));
  EXPECT_FALSE(NextAddId(m, 0, ParsedStreamId{{999, 0}, false}));
  EXPECT_FALSE(NextAddId(m, 0, ParsedStreamId{{1000, 4}, true}));
  m.last_id = {7, UINT64_MAX};
  EXPECT_EQ(NextAddId(m, 3, std::nullopt), (StreamId{8, 0}));
  EXPECT_FALSE(NextAddId(m, 0, ParsedStreamId{{7, 0}, false}));
}

StreamTrimArgs MaxLen(int64_t n) {
  StreamTrimArgs a;
  a.strategy = StreamTrimArgs::Strategy::kMaxLen;
  a.maxlen = n;
  return a;
}

StreamTrimArgs MinId(StreamId id, int64_t approx_limit = 0) {
  StreamTrimArgs a;
  a.strategy = StreamTrimArgs::Strategy::kMinId;
  a.minid = id;
  a.approx = approx_limit > 0;
  a.limit = approx_limit;
  return a;
}

class StreamTypeTest : public TypesTest {
 protected:
  const std::string meta_ = EncodeKey(0, "s");

  void Add(uint64_t ms, uint64_t seq, std::string field = "f") {
    Step([&](TxnView& v) {
      auto m = StreamMetaOf(ReadStream(v, meta_));
      std::string_view fv[] = {field, "v"};
      StreamPutEntry(v, meta_, {ms, seq}, fv);
      m.length++;
      m.entries_added++;
      m.last_id = {ms, seq};
      WriteStreamMeta(v, meta_, m);
    });
  }
  std::vector<StreamId> Ids(StreamId start, StreamId end, uint64_t count, bool rev) {
    return Step([&](TxnView& v) {
      std::vector<StreamId> out;
      for (auto& e : StreamRange(v, meta_, start, end, count, rev)) out.push_back(e.id);
      return out;
    });
  }
  int64_t Trim(StreamTrimArgs args) {
    return Step([&](TxnView& v) {
      auto m = StreamMetaOf(ReadStream(v, meta_));
      int64_t n = StreamTrim(v, meta_, &m, args);
      WriteStreamMeta(v, meta_, m);
      return n;
    });
  }
};

TEST_F(StreamTypeTest, EntriesAreOrderedSubkeysAndTheMetaKeepsTheCounters) {
  Add(5, 0, "a");
  Add(5, 1, "b");
  Add(300, 0, "c");
  EXPECT_EQ(KeysOf(meta_), 4u);  // meta + 3 entries
  auto m = Step([&](TxnView& v) { return StreamMetaOf(ReadStream(v, meta_)); });
  EXPECT_EQ(m.length, 3u);
  EXPECT_EQ(m.entries_added, 3u);
  EXPECT_EQ(m.last_id, (StreamId{300, 0}));
  EXPECT_EQ(Ids({}, StreamId::Max(), 0, false), (std::vector<StreamId>{{5, 0}, {5, 1}, {300, 0}}));
  auto e = Step([&](TxnView& v) { return StreamGetEntry(v, meta_, {5, 1}); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->fields, (std::vector<std::pair<std::string, std::string>>{{"b", "v"}}));
}

TEST_F(StreamTypeTest, BackwardScansCrossWindowsOfAnyWidth) {
  std::vector<StreamId> all = {{1, 0},    {1, 1},          {2, 0},
                               {1000, 0}, {1ull << 41, 0}, {(1ull << 41) + 1, 9}};
  for (auto id : all) Add(id.ms, id.seq);
  auto rev = Ids({}, StreamId::Max(), 0, true);
  EXPECT_EQ(rev, std::vector<StreamId>(all.rbegin(), all.rend()));
  EXPECT_EQ(Ids({}, {1000, 0}, 2, true), (std::vector<StreamId>{{1000, 0}, {2, 0}}));
  EXPECT_EQ(Ids({1, 1}, {2, 0}, 0, true), (std::vector<StreamId>{{2, 0}, {1, 1}}));
  EXPECT_EQ(Step([&](TxnView& v) { return StreamLastId(v, meta_, StreamId::Max()); }),
            (StreamId{(1ull << 41) + 1, 9}));
  EXPECT_EQ(Step([&](TxnView& v) { return StreamFirstId(v, meta_); }), (StreamId{1, 0}));
}

TEST_F(StreamTypeTest, TrimmingIsOneRangeDelete) {
  for (uint64_t i = 1; i <= 50; ++i) Add(i, 0);
  EXPECT_EQ(Trim(MaxLen(45)), 5);   // walks the 5 to remove
  EXPECT_EQ(Trim(MaxLen(10)), 35);  // walks the 10 to keep
  EXPECT_EQ(Ids({}, StreamId::Max(), 1, false), (std::vector<StreamId>{{41, 0}}));
  // `~` with a LIMIT removes at most LIMIT entries.
  EXPECT_EQ(Trim(MinId({100, 0}, 3)), 3);
  EXPECT_EQ(Trim(MinId({48, 0})), 4);
  EXPECT_EQ(Ids({}, StreamId::Max(), 0, false), (std::vector<StreamId>{{48, 0}, {49, 0}, {50, 0}}));
  // The commit of a trim holds one DeleteRange, whatever the number of entries.
  for (uint64_t i = 51; i <= 500; ++i) Add(i, 0);
  auto req = Step([&](TxnView& v) {
    auto m = StreamMetaOf(ReadStream(v, meta_));
    StreamTrim(v, meta_, &m, MaxLen(1));
    WriteStreamMeta(v, meta_, m);
    return v.BuildCommit(Isolation::kSerializable);
  });
  size_t range_deletes = 0, deletes = 0;
  for (const auto& w : req.writes) {
    range_deletes += w.kind == replication::WriteOp::Kind::kDeleteRange;
    deletes += w.kind == replication::WriteOp::Kind::kDelete;
  }
  EXPECT_EQ(range_deletes, 1u);
  EXPECT_EQ(deletes, 0u);
}

TEST_F(StreamTypeTest, GroupsPelAndConsumersAreSubkeysOfTheStream) {
  Add(1, 0);
  Step([&](TxnView& v) {
    PutGroup(v, meta_, "g", {{0, 0}, 0});
    PutGroup(v, meta_, "g2", {{1, 0}, kInvalidEntriesRead});
    PutPending(v, meta_, "g", {{1, 0}, "alice", 77, 2});
    PutPending(v, meta_, "g2", {{1, 0}, "bob", 5, 1});
    PutConsumer(v, meta_, "g", "alice", 70);
  });
  EXPECT_EQ(KeysOf(meta_), 7u);
  Step([&](TxnView& v) {
    auto groups = AllGroups(v, meta_);
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[1].second.entries_read, kInvalidEntriesRead);
    std::vector<StreamPending> pel;
    ScanPending(v, meta_, "g", {}, StreamId::Max(), [&](const StreamPending& p) {
      pel.push_back(p);
      return true;
    });
    ASSERT_EQ(pel.size(), 1u);  // g's PEL only, not g2's
    EXPECT_EQ(pel[0].consumer, "alice");
    EXPECT_EQ(pel[0].delivery_ms, 77);
    EXPECT_EQ(pel[0].delivery_count, 2u);
    EXPECT_EQ(DeleteConsumer(v, meta_, "g", "alice"), 1);
  });
  EXPECT_EQ(KeysOf(meta_), 5u);
  Step([&](TxnView& v) { EXPECT_TRUE(DeleteGroup(v, meta_, "g2")); });
  EXPECT_EQ(KeysOf(meta_), 3u);  // meta, entry, group g
}

TEST(StreamLagTest, AsRedis) {
  StreamMeta m{.length = 3, .last_id = {3, 0}, .entries_added = 5, .max_deleted = {}};
  StreamId first{1, 0};
  EXPECT_EQ(EstimateEntriesRead(m, first, {3, 0}), 5);
  EXPECT_EQ(EstimateEntriesRead(m, first, {1, 0}), 3);
  EXPECT_EQ(EstimateEntriesRead(m, first, {0, 5}), 2);
  EXPECT_EQ(EstimateEntriesRead(m, first, {2, 0}), kInvalidEntriesRead);
  EXPECT_EQ(EstimateEntriesRead(m, first, {4, 0}), kInvalidEntriesRead);
  EXPECT_EQ(GroupLag(m, first, {{0, 0}, kInvalidEntriesRead}), 3);
  EXPECT_EQ(GroupLag(m, first, {{2, 0}, 4}), 1);
  m.max_deleted = {2, 5};  // a tombstone after the group's position: lag unknown
  EXPECT_FALSE(GroupLag(m, first, {{2, 0}, kInvalidEntriesRead}));
  StreamGroup g{{1, 0}, 3};
  AdvanceGroup(m, first, {2, 0}, &g);  // a tombstone ahead: re-estimated, unknown here
  EXPECT_EQ(g.entries_read, kInvalidEntriesRead);
  EXPECT_EQ(g.last_id, (StreamId{2, 0}));
  AdvanceGroup(m, first, {3, 0}, &g);  // the last entry: its counter is entries_added
  EXPECT_EQ(g.entries_read, 5);
  StreamGroup h{{2, 0}, 3};
  AdvanceGroup(m, first, {3, 0}, &h);  // no tombstone ahead: counted on
  EXPECT_EQ(h.entries_read, 4);
}

}  // namespace
}  // namespace petacore::keyspace::types
