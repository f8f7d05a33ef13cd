// concurrency_test.cc — readers racing the writer. Run under TSan too (see CMakeLists.txt).
//
// The writer moves amounts between N counters, each batch keeping their sum constant (a move
// may also delete a counter, folding its amount into another). A reader that ever sees a sum
// other than the constant has seen half a batch. Meanwhile the writer compacts, so readers
// also exercise reclamation: a use-after-free shows up as a wrong sum, a crash, or a TSan/ASan
// report.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "mvcc/store.h"

namespace petacore::mvcc {
namespace {

constexpr int kCounters = 16;
constexpr int64_t kPerCounter = 100;
constexpr int64_t kTotal = kCounters * kPerCounter;

std::string CounterKey(int i) { return std::string("c").append(std::to_string(100 + i)); }

int64_t SumByGet(const Snapshot& snap) {
  int64_t sum = 0;
  for (int i = 0; i < kCounters; ++i) {
    if (auto kv = snap.Get(CounterKey(i))) sum += std::stoll(std::string(kv->value));
  }
  return sum;
}

int64_t SumByRange(const Snapshot& snap) {
  int64_t sum = 0;
  snap.Range("c", "d", 0, [&](const KeyValue& kv) {
    sum += std::stoll(std::string(kv.value));
    return true;
  });
  return sum;
}

/// Writer: `revisions` balanced batches, compacting as it goes.
void RunWriter(Store& store, int64_t revisions, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int64_t> value(kCounters, kPerCounter);
  std::vector<bool> live(kCounters, true);
  for (int64_t rev = store.applied_revision() + 1; rev <= revisions; ++rev) {
    int from = static_cast<int>(rng() % kCounters);
    int to = static_cast<int>(rng() % kCounters);
    std::vector<Mutation> batch;
    if (from != to) {
      Mutation a, b;
      a.key = CounterKey(from);
      b.key = CounterKey(to);
      int64_t amount = value[from];
      if (rng() % 8 == 0 && live[from]) {  // delete `from`, fold everything into `to`
        a.kind = Mutation::Kind::kDelete;
        live[from] = false;
      } else {
        amount = static_cast<int64_t>(rng() % 10);
        if (amount > value[from]) amount = value[from];
        a.value = std::to_string(value[from] - amount);
        live[from] = true;
      }
      value[from] -= amount;
      value[to] += amount;
      live[to] = true;
      b.value = std::to_string(value[to]) + std::string(rng() % 64, ' ');
      batch.push_back(std::move(a));
      batch.push_back(std::move(b));
    }
    store.Apply(rev, batch);
    if (rev % 50 == 0) store.Compact(rev - static_cast<int64_t>(rng() % 20));
  }
}

void SeedCounters(Store& store) {
  std::vector<Mutation> init(kCounters);
  for (int i = 0; i < kCounters; ++i) {
    init[i].key = CounterKey(i);
    init[i].value = std::to_string(kPerCounter);
  }
  store.Apply(1, init);
}

TEST(ConcurrencyTest, ReadersSeeWholeBatchesWhileWriterAppliesAndCompacts) {
  Store store;
  SeedCounters(store);
  constexpr int64_t kRevisions = 100000;
  std::atomic<bool> done{false};
  std::atomic<int64_t> reads{0}, bad{0}, refused{0};

  auto reader = [&](uint32_t seed) {
    std::mt19937 rng(seed);
    int64_t last_rev = 0;
    while (!done.load(std::memory_order_relaxed)) {
      Snapshot snap = store.Read();
      if (snap.revision() < last_rev) ++bad;  // applied revision never goes back
      last_rev = snap.revision();
      if (SumByGet(snap) != kTotal) ++bad;
      {
        // Nested snapshot on the same thread, at an older revision if still retained.
        // (The store may have compacted past snap.revision() meanwhile: then ReadAt refuses.)
        int64_t lo = std::max<int64_t>(1, store.compacted_revision());
        int64_t span = std::max<int64_t>(1, snap.revision() - lo + 1);
        int64_t at = lo + static_cast<int64_t>(rng() % span);
        if (auto old = store.ReadAt(at)) {
          if (SumByRange(*old) != kTotal || SumByGet(*old) != kTotal) ++bad;
        } else {
          ++refused;  // compacted past `at` in between: allowed
        }
      }
      if (SumByRange(snap) != kTotal) ++bad;  // the outer one is still intact
      ++reads;
    }
  };

  std::vector<std::thread> readers;
  for (uint32_t i = 0; i < 4; ++i) readers.emplace_back(reader, 100 + i);
  RunWriter(store, kRevisions, 7);
  done = true;
  for (auto& t : readers) t.join();

  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(SumByGet(store.Read()), kTotal);
  EXPECT_EQ(store.applied_revision(), kRevisions);
  // With the readers gone, a full compaction leaves exactly the live versions: everything
  // that waited for pinned readers has been freed.
  store.Compact(kRevisions);
  EXPECT_EQ(store.stats().versions, store.stats().live_keys);
  std::printf("reads: %lld, refused ReadAt: %lld\n", static_cast<long long>(reads.load()),
              static_cast<long long>(refused.load()));
}

// A cache's key churn: the writer creates ever new keys and deletes them a little later,
// compacting often, so index nodes are unlinked and freed while readers look keys up and walk
// ranges across them. Every key's value is its own name, so a reader that reaches freed or
// reused memory reads a mismatch (or TSan/ASan reports it); ranges must stay ordered.
TEST(ConcurrencyTest, ReadersWhileDeletedKeysLeaveTheIndex) {
  Store store;
  constexpr int kRevisions = 20000;
  constexpr int kLive = 200;  // a key lives for this many revisions
  auto key = [](int64_t i) { return "churn:" + std::to_string(1000000 + i); };
  std::atomic<bool> done{false};
  std::atomic<int64_t> bad{0}, reads{0};
  auto reader = [&](uint32_t seed) {
    std::mt19937 rng(seed);
    while (!done.load(std::memory_order_relaxed)) {
      Snapshot snap = store.Read();
      int64_t rev = snap.revision();
      for (int j = 0; j < 20 && rev > 0; ++j) {
        int64_t i = std::max<int64_t>(1, rev - static_cast<int64_t>(rng() % (2 * kLive)));
        if (auto kv = snap.Get(key(i))) {
          if (kv->value != kv->key || kv->key != key(i)) ++bad;
        }
      }
      // Half the walks start at a key that may be live, deleted or unlinked by now (the hash
      // index's shortcut to the start node), half from a prefix that is no key (the descent).
      std::string from = "churn:";
      if (rng() % 2 == 0) from = key(std::max<int64_t>(1, rev - kLive));
      std::string last;
      size_t seen = 0;
      snap.Range(from, "churn;", 0, [&](const KeyValue& kv) {
        if (kv.value != kv.key || (!last.empty() && kv.key <= last)) ++bad;
        last = std::string(kv.key);
        ++seen;
        return true;
      });
      // Revision r created key r and deleted key r - kLive: kLive keys are live (fewer early),
      // and key(rev - kLive) itself is the deleted one.
      if (rev > kLive && seen != static_cast<size_t>(kLive)) ++bad;
      ++reads;
    }
  };
  std::vector<std::thread> readers;
  for (uint32_t i = 0; i < 3; ++i) readers.emplace_back(reader, 300 + i);
  for (int64_t rev = 1; rev <= kRevisions; ++rev) {
    std::vector<Mutation> batch(1);
    batch[0].key = key(rev);
    batch[0].value = key(rev);
    if (rev > kLive) {
      Mutation del;
      del.kind = Mutation::Kind::kDelete;
      del.key = key(rev - kLive);
      batch.push_back(std::move(del));
    }
    store.Apply(rev, batch);
    if (rev % 25 == 0) store.CompactReleased(rev);
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
  store.Compact(kRevisions);
  store.Compact(kRevisions);
  // Nothing pinned any more: only the live keys keep nodes.
  EXPECT_EQ(store.stats().live_keys, static_cast<size_t>(kLive));
  EXPECT_EQ(store.stats().index_keys, static_cast<size_t>(kLive));
}

TEST(ConcurrencyTest, ShortLivedReaderThreadsReleaseTheirSlots) {
  Store store;
  SeedCounters(store);
  // Far more threads over time than reader slots exist at once.
  for (int round = 0; round < 50; ++round) {
    std::vector<std::thread> threads;
    for (int i = 0; i < 40; ++i) {
      threads.emplace_back([&] { EXPECT_EQ(SumByGet(store.Read()), kTotal); });
    }
    for (auto& t : threads) t.join();
  }
}

TEST(ConcurrencyTest, WaitersAndCallbacksFromManyThreads) {
  Store store;
  SeedCounters(store);
  constexpr int64_t kRevisions = 5000;
  std::atomic<int64_t> fired{0}, early{0}, waited{0};
  std::atomic<int> registered{0};
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 500; ++i) {
        int64_t rev = 1 + static_cast<int64_t>(rng() % kRevisions);
        ++registered;
        store.OnApplied(rev, [&store, &fired, &early, rev] {
          if (store.applied_revision() < rev) ++early;
          ++fired;
        });
        if (i % 50 == 0 && store.WaitApplied(rev, std::chrono::seconds(30))) ++waited;
      }
    });
  }
  RunWriter(store, kRevisions, 11);
  for (auto& t : threads) t.join();
  EXPECT_EQ(fired.load(), registered.load());
  EXPECT_EQ(early.load(), 0);
  EXPECT_EQ(waited.load(), 30);
}

}  // namespace
}  // namespace petacore::mvcc
