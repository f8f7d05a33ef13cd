// store_test.cc — etcd semantics of the MVCC store, snapshots, compaction, and waiters.
#include "mvcc/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace petacore::mvcc {
namespace {

using namespace std::chrono_literals;

Mutation Put(std::string key, std::string value) {
  Mutation m;
  m.kind = Mutation::Kind::kPut;
  m.key = std::move(key);
  m.value = std::move(value);
  return m;
}

Mutation Del(std::string key) {
  Mutation m;
  m.kind = Mutation::Kind::kDelete;
  m.key = std::move(key);
  return m;
}

void ApplyOne(Store& s, int64_t rev, Mutation m) {
  std::vector<Mutation> batch{std::move(m)};
  s.Apply(rev, batch);
}

TEST(StoreTest, EmptyStore) {
  Store s;
  EXPECT_EQ(s.applied_revision(), 0);
  EXPECT_EQ(s.compacted_revision(), 0);
  Snapshot snap = s.Read();
  EXPECT_EQ(snap.revision(), 0);
  EXPECT_FALSE(snap.Get("a").has_value());
  EXPECT_EQ(snap.Count("", ""), 0u);
}

TEST(StoreTest, EtcdRevisionFields) {
  Store s;
  ApplyOne(s, 2, Put("k", "v1"));
  ApplyOne(s, 3, Put("k", "v2"));
  ApplyOne(s, 4, Del("k"));
  ApplyOne(s, 5, Put("k", "v3"));

  auto at = [&](int64_t rev) { return s.ReadAt(rev).value().Get("k"); };
  EXPECT_FALSE(at(1).has_value());
  auto kv = at(2);
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->value, "v1");
  EXPECT_EQ(kv->create_revision, 2);
  EXPECT_EQ(kv->mod_revision, 2);
  EXPECT_EQ(kv->version, 1);
  kv = at(3);  // create_revision kept across updates, version counts changes
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->value, "v2");
  EXPECT_EQ(kv->create_revision, 2);
  EXPECT_EQ(kv->mod_revision, 3);
  EXPECT_EQ(kv->version, 2);
  EXPECT_FALSE(at(4).has_value());
  kv = at(5);  // re-created after delete: a new incarnation
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->key, "k");
  EXPECT_EQ(kv->create_revision, 5);
  EXPECT_EQ(kv->version, 1);
}

TEST(StoreTest, DeleteOfMissingKeyIsNoOp) {
  Store s;
  ApplyOne(s, 1, Del("nothing"));
  EXPECT_EQ(s.applied_revision(), 1);
  EXPECT_EQ(s.stats().versions, 0u);
  EXPECT_EQ(s.stats().index_keys, 0u);
  ApplyOne(s, 2, Put("k", "v"));
  ApplyOne(s, 3, Del("k"));
  ApplyOne(s, 4, Del("k"));  // already deleted
  EXPECT_EQ(s.stats().versions, 2u);
  EXPECT_EQ(s.stats().live_keys, 0u);
  EXPECT_EQ(s.stats().index_keys, 1u);
}

TEST(StoreTest, RevisionMustIncrease) {
  Store s;
  ApplyOne(s, 5, Put("k", "v"));
  EXPECT_THROW(ApplyOne(s, 5, Put("k", "w")), std::logic_error);
  EXPECT_THROW(ApplyOne(s, 4, Put("k", "w")), std::logic_error);
  EXPECT_EQ(s.Read().Get("k")->value, "v");
  s.Apply(9, {});  // empty batch = progress notification
  EXPECT_EQ(s.applied_revision(), 9);
}

TEST(StoreTest, GivenFieldsAreCopied) {
  Store s;
  Mutation m = Put("k", "v");
  m.mod_revision = 7;
  m.create_revision = 3;
  m.version = 4;
  std::vector<Mutation> batch{m, Put("fresh", "x")};
  s.Apply(10, batch);
  auto kv = s.Read().Get("k");
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->mod_revision, 7);
  EXPECT_EQ(kv->create_revision, 3);
  EXPECT_EQ(kv->version, 4);
  EXPECT_EQ(s.Read().Get("fresh")->mod_revision, 10);
  ApplyOne(s, 11, Put("k", "w"));  // derived from the given fields
  kv = s.Read().Get("k");
  EXPECT_EQ(kv->create_revision, 3);
  EXPECT_EQ(kv->version, 5);
  // A given mod_revision must lie in (applied, revision].
  Mutation bad = Put("b", "v");
  bad.mod_revision = 11;
  std::vector<Mutation> bad_batch{Put("ok", "v"), bad};
  EXPECT_THROW(s.Apply(12, bad_batch), std::logic_error);
  EXPECT_EQ(s.applied_revision(), 11);
  EXPECT_FALSE(s.Read().Get("ok").has_value());  // rejected batch left no trace
}

TEST(StoreTest, RangeAndCountAreOrderedAndBounded) {
  Store s;
  std::vector<Mutation> batch;
  for (std::string k : {"b", "a", "ab", "c", "d"}) batch.push_back(Put(k, k + "!"));
  batch.push_back(Put(std::string("a\0z", 3), "bin"));
  s.Apply(1, batch);
  ApplyOne(s, 2, Del("c"));
  Snapshot snap = s.Read();
  std::vector<std::string> keys;
  snap.Range("", "", 0, [&](const KeyValue& kv) {
    keys.emplace_back(kv.key);
    return true;
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"a", std::string("a\0z", 3), "ab", "b", "d"}));
  keys.clear();
  EXPECT_EQ(snap.Range("ab", "d", 0,
                       [&](const KeyValue& kv) {
                         keys.emplace_back(kv.key);
                         return true;
                       }),
            2u);
  EXPECT_EQ(keys, (std::vector<std::string>{"ab", "b"}));
  EXPECT_EQ(snap.Range("", "", 2, [](const KeyValue&) { return true; }), 2u);
  EXPECT_EQ(snap.Range("", "", 0, [](const KeyValue&) { return false; }), 1u);
  EXPECT_EQ(snap.Count("", ""), 5u);
  EXPECT_EQ(snap.Count("a", "b"), 3u);
  EXPECT_EQ(s.ReadAt(1)->Count("", ""), 6u);
}

TEST(StoreTest, CompactionRefusesOldReadsAndKeepsNewOnes) {
  Store s;
  for (int rev = 1; rev <= 10; ++rev)
    ApplyOne(s, rev, Put("k", std::string("v").append(std::to_string(rev))));
  ApplyOne(s, 11, Del("k"));
  ApplyOne(s, 12, Put("other", "x"));
  EXPECT_EQ(s.stats().versions, 12u);
  s.Compact(5);
  EXPECT_EQ(s.compacted_revision(), 5);
  EXPECT_FALSE(s.ReadAt(4).has_value());
  EXPECT_FALSE(s.ReadAt(13).has_value());  // future
  EXPECT_EQ(s.ReadAt(5)->Get("k")->value, "v5");
  EXPECT_EQ(s.ReadAt(10)->Get("k")->version, 10);
  EXPECT_EQ(s.stats().versions, 8u);  // v5..v10, tombstone, other
  s.Compact(3);                       // below: no-op
  EXPECT_EQ(s.compacted_revision(), 5);
  EXPECT_THROW(s.Compact(13), std::logic_error);
  s.Compact(11);  // the tombstone is the newest <= 11: everything of k goes
  EXPECT_FALSE(s.Read().Get("k").has_value());
  EXPECT_EQ(s.stats().versions, 1u);
  EXPECT_EQ(s.stats().index_keys, 1u);  // no snapshot was pinned: k's node is unlinked too
  ApplyOne(s, 13, Put("k", "again"));
  EXPECT_EQ(s.Read().Get("k")->version, 1);
  EXPECT_EQ(s.stats().index_keys, 2u);
}

// A cache writes ever new keys and deletes (evicts, expires) old ones: the index must follow
// the keys that exist, not every key ever written.
TEST(StoreTest, NodesOfDeletedKeysAreFreedAfterCompaction) {
  Store s;
  int64_t rev = 0;
  size_t bytes_after_first_round = 0;
  for (int round = 0; round < 100; ++round) {
    std::vector<Mutation> puts, dels;
    for (int i = 0; i < 500; ++i) {
      std::string key = "key:" + std::to_string(round) + ":" + std::to_string(i);
      puts.push_back(Put(key, std::string(40, 'v')));
      dels.push_back(Del(key));
    }
    s.Apply(++rev, puts);
    s.Apply(++rev, dels);
    s.Compact(rev);
    EXPECT_EQ(s.stats().index_keys, 0u) << "round " << round;
    EXPECT_EQ(s.stats().versions, 0u) << "round " << round;
    if (round == 0) bytes_after_first_round = s.stats().bytes;
  }
  // Only the compaction's next visit frees the unlinked nodes; a later Compact does.
  s.Compact(rev);
  // Hash table growth aside (it is sized by the most keys held at once), nothing accumulates.
  EXPECT_LE(s.stats().bytes, bytes_after_first_round);
  EXPECT_EQ(s.Read().Count("", ""), 0u);
  EXPECT_FALSE(s.Read().Get("key:3:7").has_value());

  // Re-creating deleted keys (in removed hash slots) and writing new ones next to them.
  std::vector<Mutation> again;
  for (int i = 0; i < 3000; ++i) again.push_back(Put("key:1:" + std::to_string(i), "x"));
  s.Apply(++rev, again);
  EXPECT_EQ(s.stats().index_keys, 3000u);
  EXPECT_EQ(s.Read().Count("key:1:", "key:1;"), 3000u);
  for (int i = 0; i < 3000; i += 7) {
    auto kv = s.Read().Get("key:1:" + std::to_string(i));
    ASSERT_TRUE(kv.has_value()) << i;
    EXPECT_EQ(kv->value, "x");
    EXPECT_EQ(kv->version, 1);
  }
}

// A snapshot taken before a key's delete keeps reading it, and walking past its node, while
// the writer deletes, compacts and re-creates keys around it.
TEST(StoreTest, SnapshotHoldsNodesOfKeysDeletedAfterIt) {
  Store s;
  std::vector<Mutation> puts;
  for (int i = 0; i < 100; ++i) puts.push_back(Put("k" + std::to_string(100 + i), "v"));
  s.Apply(1, puts);
  {
    Snapshot old = s.Read();
    std::vector<Mutation> dels;
    for (int i = 0; i < 100; i += 2) dels.push_back(Del("k" + std::to_string(100 + i)));
    s.Apply(2, dels);
    s.Compact(2);  // `old` is pinned at 1: the compaction keeps what it may read
    EXPECT_EQ(old.Count("", ""), 100u);
    EXPECT_EQ(s.Read().Count("", ""), 50u);
    s.Apply(3, std::vector<Mutation>{Put("k100", "new")});
    s.Compact(3);
    EXPECT_EQ(old.Get("k102")->value, "v");
    EXPECT_EQ(old.Get("k100")->value, "v");
    EXPECT_EQ(old.Count("", ""), 100u);
    EXPECT_EQ(s.stats().index_keys, 100u);  // 51 live + 49 deleted, held back by `old`
  }
  s.Compact(3);  // nothing pinned now: the 49 deleted keys' nodes leave the index
  EXPECT_EQ(s.stats().index_keys, 51u);
  EXPECT_EQ(s.Read().Get("k100")->value, "new");
  EXPECT_FALSE(s.Read().Get("k102").has_value());
  EXPECT_EQ(s.Read().Count("", ""), 51u);
}

TEST(StoreTest, SnapshotOlderThanCompactionStillReadsItsData) {
  Store s;
  for (int rev = 1; rev <= 6; ++rev)
    ApplyOne(s, rev, Put("k", std::string("v").append(std::to_string(rev))));
  ApplyOne(s, 7, Del("k"));
  Snapshot old = *s.ReadAt(2);
  Stats before = s.stats();
  s.Compact(7);
  EXPECT_FALSE(s.ReadAt(2).has_value());
  // The pinned snapshot still walks the cut versions: they are retired, not freed.
  EXPECT_EQ(old.Get("k")->value, "v2");
  EXPECT_EQ(old.Count("", ""), 1u);
  EXPECT_EQ(s.stats().versions, before.versions);
  { Snapshot gone = std::move(old); }
  ApplyOne(s, 8, Put("x", "y"));
  s.Compact(8);  // reclaims what waited for the snapshot
  EXPECT_EQ(s.stats().versions, 1u);
}

TEST(StoreTest, NestedAndMovedSnapshots) {
  Store s;
  ApplyOne(s, 1, Put("k", "1"));
  Snapshot outer = s.Read();
  ApplyOne(s, 2, Put("k", "2"));
  {
    Snapshot inner = s.Read();
    EXPECT_EQ(inner.Get("k")->value, "2");
    Snapshot moved(std::move(inner));
    EXPECT_EQ(moved.Get("k")->value, "2");
    Snapshot assigned = s.Read();
    assigned = std::move(moved);
    EXPECT_EQ(assigned.revision(), 2);
  }
  s.Compact(2);
  EXPECT_EQ(outer.Get("k")->value, "1");
}

TEST(StoreTest, OnAppliedRunsWhenReached) {
  Store s;
  ApplyOne(s, 3, Put("k", "v"));
  std::vector<int> fired;
  s.OnApplied(2, [&] { fired.push_back(2); });  // already reached: runs at once
  EXPECT_EQ(fired, (std::vector<int>{2}));
  s.OnApplied(6, [&] { fired.push_back(6); });
  s.OnApplied(5, [&] { fired.push_back(5); });
  s.OnApplied(9, [&] { fired.push_back(9); });
  s.Apply(4, {});
  EXPECT_EQ(fired.size(), 1u);
  ApplyOne(s, 6, Put("k", "w"));
  EXPECT_EQ(fired, (std::vector<int>{2, 5, 6}));
  s.Apply(20, {});
  EXPECT_EQ(fired, (std::vector<int>{2, 5, 6, 9}));
}

TEST(StoreTest, CancelledOnAppliedNeverRunsAndIsNotHeld) {
  Store s;
  ApplyOne(s, 1, Put("k", "v"));
  EXPECT_EQ(s.OnApplied(1, [] {}), 0u);  // ran at once: nothing to cancel
  auto held = std::make_shared<int>(0);
  std::vector<int> fired;
  uint64_t a = s.OnApplied(5, [&fired, held] { fired.push_back(5); });
  uint64_t b = s.OnApplied(5, [&fired] { fired.push_back(55); });
  uint64_t c = s.OnApplied(7, [&fired] { fired.push_back(7); });
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(s.pending_on_applied(), 3u);
  EXPECT_EQ(held.use_count(), 2);
  EXPECT_TRUE(s.CancelOnApplied(a));
  EXPECT_EQ(held.use_count(), 1);  // the callback (and what it captured) is gone at once
  EXPECT_FALSE(s.CancelOnApplied(a));  // twice: unknown
  EXPECT_FALSE(s.CancelOnApplied(0));
  EXPECT_EQ(s.pending_on_applied(), 2u);
  s.Apply(6, {});
  EXPECT_EQ(fired, (std::vector<int>{55}));
  EXPECT_FALSE(s.CancelOnApplied(b));  // already ran
  EXPECT_TRUE(s.CancelOnApplied(c));
  s.Apply(8, {});
  EXPECT_EQ(fired, (std::vector<int>{55}));
  EXPECT_EQ(s.pending_on_applied(), 0u);
  EXPECT_TRUE(s.WaitApplied(8, 0ms));
}

TEST(StoreTest, OnAppliedSeesTheAppliedData) {
  Store s;
  bool ok = false;
  s.OnApplied(1, [&] { ok = s.Read().Get("k").has_value(); });
  ApplyOne(s, 1, Put("k", "v"));
  EXPECT_TRUE(ok);
}

TEST(StoreTest, WaitApplied) {
  Store s;
  EXPECT_TRUE(s.WaitApplied(0, 0ms));
  EXPECT_FALSE(s.WaitApplied(1, 10ms));
  std::atomic<bool> reached{false};
  std::thread waiter([&] { reached = s.WaitApplied(3, 10s); });
  std::this_thread::sleep_for(20ms);
  s.Apply(2, {});
  s.Apply(3, {});
  waiter.join();
  EXPECT_TRUE(reached);
}

}  // namespace
}  // namespace petacore::mvcc
