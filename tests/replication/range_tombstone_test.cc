// Range tombstones on a local store (replication/range_tombstone.h): applying one deletes its
// range's older keys but not what its own revision writes, a load skips the keys a tombstone
// deleted, lookups find the tombstones holding a key, and LocalCommitter (standalone mode)
// applies a tombstone the same way and keeps nothing of it.
#include "replication/range_tombstone.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "replication/local_committer.h"

namespace petacore::replication {
namespace {

std::string Key(int db, const std::string& k) { return std::string(1, char(db)) + k; }
std::string Db(int db) { return std::string(1, char(db)); }

std::vector<std::string> Keys(mvcc::Store& store) {
  std::vector<std::string> out;
  store.Read().Range("", "", 0, [&](const mvcc::KeyValue& kv) {
    out.emplace_back(kv.key);
    return true;
  });
  return out;
}

mvcc::Mutation Put(std::string key, std::string value = "v") {
  return {mvcc::Mutation::Kind::kPut, std::move(key), std::move(value)};
}

TEST(RangeTombstone, KeysAndLookups) {
  EXPECT_EQ(TombstoneStart(TombstoneKey(Db(3))), Db(3));
  EXPECT_EQ(TombstoneStart(TombstoneKey(Key(0, "h"))), Key(0, "h"));
  EXPECT_FALSE(TombstoneStart("\xff" "chunk/abc"));
  EXPECT_FALSE(TombstoneStart(TombstonesStart()));
  EXPECT_LT(TombstonesStart(), TombstoneKey(Db(7)));
  EXPECT_LT(TombstoneKey(Key(15, "zzz")), TombstonesEnd());
  std::vector<RangeTombstone> ts = {{Db(0), Db(1), 10}, {Key(0, "h"), Key(0, "i"), 20}};
  EXPECT_EQ(TombstonedBelow(ts, Key(0, "a")), 10);
  EXPECT_EQ(TombstonedBelow(ts, Key(0, "h") + "field"), 20);  // both hold it: the newer
  EXPECT_EQ(TombstonedBelow(ts, Key(1, "a")), 0);
}

TEST(RangeTombstone, RangeDeleteIsATombstoneOnlyAboveTheThreshold) {
  mvcc::Store store;
  std::vector<mvcc::Mutation> seed;
  for (size_t i = 0; i <= kTombstoneMinKeys; ++i) {
    seed.push_back(Put(Key(0, "h" + std::to_string(i))));
  }
  seed.push_back(Put(Key(0, "small")));
  store.Apply(1, seed);
  auto big = RangeDelete(store.Read(), Key(0, "h"), Key(0, "i"));
  EXPECT_EQ(big.kind, WriteOp::Kind::kPut);
  EXPECT_EQ(big.key, TombstoneKey(Key(0, "h")));
  EXPECT_EQ(big.value, Key(0, "i"));
  auto small = RangeDelete(store.Read(), Key(0, "small"), Key(0, "smalm"));
  EXPECT_EQ(small.kind, WriteOp::Kind::kDeleteRange);
  EXPECT_EQ(small.key, Key(0, "small"));
  EXPECT_EQ(small.range_end, Key(0, "smalm"));
}

TEST(RangeTombstone, ApplyingOneDeletesItsRangeButNotItsOwnWrites) {
  mvcc::Store store;
  std::vector<mvcc::Mutation> seed = {Put(Key(0, "a")), Put(Key(0, "b")), Put(Key(1, "other"))};
  store.Apply(1, seed);
  std::vector<mvcc::Mutation> batch = {Put(TombstoneKey(Db(0)), Db(1)), Put(Key(0, "b"), "2")};
  ASSERT_TRUE(HasRangeTombstone(batch));
  EXPECT_EQ(ExpandRangeTombstones(store.Read(), &batch), 1u);  // "a"; "b" is written here
  store.Apply(2, batch);
  EXPECT_EQ(Keys(store), (std::vector<std::string>{Key(0, "b"), Key(1, "other"),
                                                   TombstoneKey(Db(0))}));
  EXPECT_EQ(store.Read().Get(Key(0, "b"))->value, "2");
  auto ts = Tombstones(store.Read());
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].start, Db(0));
  EXPECT_EQ(ts[0].end, Db(1));
  EXPECT_EQ(ts[0].revision, 2);
}

TEST(RangeTombstone, OverlappingTombstonesDeleteEachKeyOnce) {
  mvcc::Store store;
  std::vector<mvcc::Mutation> seed = {Put(Key(0, "h")), Put(Key(0, "hf")), Put(Key(0, "x"))};
  store.Apply(1, seed);
  std::vector<mvcc::Mutation> batch = {Put(TombstoneKey(Key(0, "h")), Key(0, "i")),
                                       Put(TombstoneKey(Db(0)), Db(1))};
  EXPECT_EQ(ExpandRangeTombstones(store.Read(), &batch), 3u);
  store.Apply(2, batch);
  EXPECT_EQ(Keys(store).size(), 2u);  // the two tombstones
}

TEST(RangeTombstone, ALoadSkipsTheKeysATombstoneDeleted) {
  auto put = [](std::string k, int64_t rev, std::string v = "v") {
    mvcc::Mutation m = Put(std::move(k), std::move(v));
    m.mod_revision = m.create_revision = rev;
    m.version = 1;
    return m;
  };
  std::vector<mvcc::Mutation> loaded = {put(Key(0, "stale"), 5), put(Key(0, "after"), 12),
                                        put(Key(0, "same"), 10), put(Key(2, "old"), 3),
                                        put(TombstoneKey(Db(0)), 10, Db(1))};
  EXPECT_EQ(DropTombstonedKeys(&loaded), 1u);
  std::vector<std::string> keys;
  for (const auto& m : loaded) keys.push_back(m.key);
  EXPECT_EQ(keys, (std::vector<std::string>{Key(0, "after"), Key(0, "same"), Key(2, "old"),
                                            TombstoneKey(Db(0))}));
}

TEST(RangeTombstone, LocalCommitterAppliesItAndKeepsNothingOfIt) {
  mvcc::Store store;
  LocalCommitter committer(store);
  auto commit = [&](CommitRequest r) {
    CommitResult result;
    committer.Commit(std::move(r), [&](CommitResult res) { result = res; });
    return result;
  };
  CommitRequest fill;
  for (const char* k : {"a", "b", "c"}) {
    fill.writes.push_back({WriteOp::Kind::kPut, Key(0, k), "1", {}});
  }
  ASSERT_EQ(commit(std::move(fill)).status, CommitResult::Status::kCommitted);
  CommitRequest flush;
  flush.writes.push_back({WriteOp::Kind::kPut, TombstoneKey(Db(0)), Db(1), {}});
  ASSERT_EQ(commit(std::move(flush)).status, CommitResult::Status::kCommitted);
  EXPECT_EQ(Keys(store), std::vector<std::string>{});
}

}  // namespace
}  // namespace petacore::replication
