// release_test.cc — issue 21: old versions are released as soon as no snapshot needs them.
// Store::oldest_snapshot_revision() follows the live snapshots (nested, moved, on several
// threads), and CompactReleased() keeps what they can see and frees it once they are gone.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mvcc/store.h"

namespace petacore::mvcc {
namespace {

Mutation Put(std::string key, std::string value) {
  Mutation m;
  m.kind = Mutation::Kind::kPut;
  m.key = std::move(key);
  m.value = std::move(value);
  return m;
}

/// Overwrites keys k0..k(n-1) once, in one batch at `rev`.
void OverwriteAll(Store& s, int64_t rev, int n) {
  std::vector<Mutation> batch;
  for (int i = 0; i < n; ++i) {
    batch.push_back(Put("k" + std::to_string(i), "v" + std::to_string(rev) + std::string(50, 'x')));
  }
  s.Apply(rev, batch);
}

TEST(ReleaseTest, OldestSnapshotRevisionFollowsLiveSnapshots) {
  Store s;
  OverwriteAll(s, 1, 1);
  EXPECT_EQ(s.oldest_snapshot_revision(), 1);  // none live: applied
  {
    Snapshot a = s.Read();
    OverwriteAll(s, 2, 1);
    OverwriteAll(s, 3, 1);
    EXPECT_EQ(s.oldest_snapshot_revision(), 1);
    {
      Snapshot b = s.Read();  // nested on this thread, newer
      EXPECT_EQ(b.revision(), 3);
      EXPECT_EQ(s.oldest_snapshot_revision(), 1);
      Snapshot moved = std::move(a);  // moving keeps the pin
      EXPECT_EQ(s.oldest_snapshot_revision(), 1);
      { Snapshot gone = std::move(moved); }
      EXPECT_EQ(s.oldest_snapshot_revision(), 3);  // only b remains
      auto old = s.ReadAt(2);  // a nested older one lowers it again
      ASSERT_TRUE(old.has_value());
      EXPECT_EQ(s.oldest_snapshot_revision(), 2);
    }
    EXPECT_EQ(s.oldest_snapshot_revision(), 3);
  }
  OverwriteAll(s, 4, 1);
  EXPECT_EQ(s.oldest_snapshot_revision(), 4);
}

TEST(ReleaseTest, LongLivedSnapshotHoldsItsVersionsAndReleasingFreesThem) {
  constexpr int kKeys = 200;
  Store s;
  OverwriteAll(s, 1, kKeys);
  std::optional<Snapshot> held = s.Read();  // a long MULTI or script
  for (int rev = 2; rev <= 50; ++rev) {
    OverwriteAll(s, rev, kKeys);
    EXPECT_EQ(s.CompactReleased(rev), 1);  // held back by the snapshot at 1
  }
  EXPECT_EQ(s.oldest_snapshot_revision(), 1);
  EXPECT_EQ(held->Get("k7")->value.substr(0, 2), "v1");  // it still reads its data
  EXPECT_EQ(held->Count("", ""), static_cast<size_t>(kKeys));
  EXPECT_GE(s.stats().versions, static_cast<size_t>(50 * kKeys));
  size_t held_bytes = s.stats().bytes;

  held.reset();
  EXPECT_EQ(s.oldest_snapshot_revision(), 50);
  EXPECT_EQ(s.CompactReleased(50), 50);
  EXPECT_EQ(s.stats().versions, static_cast<size_t>(kKeys));  // back to the live keys
  EXPECT_LT(s.stats().bytes * 10, held_bytes);
  EXPECT_EQ(s.Read().Get("k7")->value.substr(0, 3), "v50");
}

TEST(ReleaseTest, VersionsStayBoundedWithoutSnapshots) {
  constexpr int kKeys = 100;
  Store s;
  size_t most = 0;
  for (int rev = 1; rev <= 300; ++rev) {
    OverwriteAll(s, rev, kKeys);
    Snapshot reader = s.Read();  // a short read between batches
    EXPECT_EQ(reader.Count("", ""), static_cast<size_t>(kKeys));
    s.CompactReleased(rev);
    most = std::max(most, s.stats().versions);
  }
  // Each batch adds kKeys versions; what a live reader pinned waits one more compaction.
  EXPECT_LE(most, static_cast<size_t>(3 * kKeys));
  EXPECT_EQ(s.compacted_revision(), 300);
}

TEST(ReleaseTest, LimitBelowSnapshotsWins) {
  Store s;
  for (int rev = 1; rev <= 10; ++rev) OverwriteAll(s, rev, 3);
  EXPECT_EQ(s.CompactReleased(4), 4);  // a window below applied
  EXPECT_FALSE(s.ReadAt(3).has_value());
  EXPECT_TRUE(s.ReadAt(4).has_value());
  EXPECT_EQ(s.CompactReleased(100), 10);  // clamped to applied
  EXPECT_EQ(s.stats().versions, 3u);
}

TEST(ReleaseTest, SnapshotOnAnotherThreadHoldsCompaction) {
  Store s;
  OverwriteAll(s, 1, 10);
  std::mutex mu;
  std::condition_variable cv;
  bool taken = false, release = false;
  std::string seen;
  std::thread reader([&] {
    Snapshot snap = s.Read();
    {
      std::unique_lock lock(mu);
      taken = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    }
    seen = std::string(snap.Get("k3")->value.substr(0, 2));
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return taken; });
  }
  for (int rev = 2; rev <= 20; ++rev) {
    OverwriteAll(s, rev, 10);
    s.CompactReleased(rev);
  }
  EXPECT_EQ(s.oldest_snapshot_revision(), 1);
  EXPECT_EQ(s.compacted_revision(), 1);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  reader.join();
  EXPECT_EQ(seen, "v1");
  EXPECT_EQ(s.CompactReleased(20), 20);
  EXPECT_EQ(s.stats().versions, 10u);
}

// Readers take snapshots while the writer applies and compacts to applied after every batch:
// every snapshot must still read one consistent revision (all keys carry the same value).
TEST(ReleaseTest, ConcurrentReadersWhileCompactingEveryBatch) {
  constexpr int kKeys = 50;
  Store s;
  OverwriteAll(s, 1, kKeys);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        Snapshot snap = s.Read();
        std::string want = "v" + std::to_string(snap.revision());
        for (int i = 0; i < kKeys; ++i) {
          auto kv = snap.Get("k" + std::to_string(i));
          if (!kv || kv->value.substr(0, want.size() + 1) != want + "x") bad.fetch_add(1);
        }
        reads.fetch_add(1);
      }
    });
  }
  for (int rev = 2; rev <= 3000; ++rev) {
    OverwriteAll(s, rev, kKeys);
    s.CompactReleased(rev);
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(s.CompactReleased(3000), 3000);
  EXPECT_EQ(s.stats().versions, static_cast<size_t>(kKeys));
}

}  // namespace
}  // namespace petacore::mvcc
