// mvcc_bench.cc — the MVCC store next to std::map and std::unordered_map doing the same work.
//
// 1M keys "key:%012d" (16 bytes), 100-byte values. The store holds two versions of every key
// (loaded at revisions 1..1000, overwritten at 1001..2000), so "at snapshot" reads at revision
// 1000 walk past the newer version. The standard containers hold one value per key: they are
// the floor to compare a single-version lookup against, not equivalent functionality.
// Run with --benchmark_min_time=... as usual; items/s is the figure to compare.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "mvcc/store.h"

namespace {

using petacore::mvcc::KeyValue;
using petacore::mvcc::Mutation;
using petacore::mvcc::Snapshot;
using petacore::mvcc::Store;

constexpr int kKeys = 1'000'000;
constexpr int kLoadBatch = 1000;
constexpr size_t kProbes = 1 << 20;

std::string KeyOf(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key:%012d", i);
  return buf;
}

std::string ValueOf(int i, int generation) {
  std::string v(100, 'a' + static_cast<char>((i + generation) % 26));
  std::snprintf(v.data(), v.size(), "g%d-%d", generation, i);
  return v;
}

/// Built once, shared by all benchmarks (building 1M keys thrice takes a few seconds).
struct Data {
  std::vector<std::string> keys;
  std::vector<uint32_t> probes;  // random key indices, same sequence for every container
  Store store;
  int64_t revision = 0;
  std::map<std::string, std::string> ordered;
  std::unordered_map<std::string, std::string> hashed;

  Data() {
    keys.reserve(kKeys);
    for (int i = 0; i < kKeys; ++i) keys.push_back(KeyOf(i));
    std::mt19937 rng(1);
    probes.resize(kProbes);
    for (auto& p : probes) p = rng() % kKeys;
    for (int generation = 0; generation < 2; ++generation) {
      for (int base = 0; base < kKeys; base += kLoadBatch) {
        std::vector<Mutation> batch(kLoadBatch);
        for (int j = 0; j < kLoadBatch; ++j) {
          batch[j].key = keys[base + j];
          batch[j].value = ValueOf(base + j, generation);
        }
        store.Apply(++revision, batch);
      }
    }
    hashed.reserve(kKeys);
    for (int i = 0; i < kKeys; ++i) {
      ordered.emplace(keys[i], ValueOf(i, 1));
      hashed.emplace(keys[i], ValueOf(i, 1));
    }
  }
};

Data& D() {
  static Data* data = new Data;
  return *data;
}

const std::string& Probe(size_t i) { return D().keys[D().probes[i & (kProbes - 1)]]; }

// ---- point reads ----

void BM_Store_GetLatest(benchmark::State& state) {
  Snapshot snap = D().store.Read();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(snap.Get(Probe(i++)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Store_GetLatest);

void BM_Store_ReadThenGet(benchmark::State& state) {  // a fresh snapshot per lookup
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(D().store.Read().Get(Probe(i++)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Store_ReadThenGet);

void BM_Store_GetAtOldSnapshot(benchmark::State& state) {
  std::optional<Snapshot> snap = D().store.ReadAt(kKeys / kLoadBatch);  // first generation
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(snap->Get(Probe(i++)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Store_GetAtOldSnapshot);

void BM_StdMap_Find(benchmark::State& state) {
  const auto& m = D().ordered;
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(m.find(Probe(i++)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StdMap_Find);

void BM_UnorderedMap_Find(benchmark::State& state) {
  const auto& m = D().hashed;
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(m.find(Probe(i++)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UnorderedMap_Find);

// ---- range of 100 ----

void BM_Store_Range100(benchmark::State& state) {
  Snapshot snap = D().store.Read();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    snap.Range(Probe(i++), "", 100, [&](const KeyValue& kv) {
      bytes += kv.value.size();
      return true;
    });
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_Store_Range100);

void BM_StdMap_Range100(benchmark::State& state) {
  const auto& m = D().ordered;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    auto it = m.lower_bound(Probe(i++));
    for (int n = 0; n < 100 && it != m.end(); ++n, ++it) bytes += it->second.size();
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_StdMap_Range100);

// ---- apply (overwrites of existing keys) ----

std::vector<std::vector<Mutation>> MakeBatches(size_t batch_size) {
  std::vector<std::vector<Mutation>> batches(256);
  size_t p = 0;
  for (auto& b : batches) {
    b.resize(batch_size);
    for (auto& m : b) {
      m.key = Probe(p++ * 7919);
      m.value = ValueOf(static_cast<int>(p), 2);
    }
  }
  return batches;
}

void BM_Store_Apply(benchmark::State& state) {
  auto batches = MakeBatches(static_cast<size_t>(state.range(0)));
  Store& store = D().store;
  size_t i = 0;
  for (auto _ : state) {
    store.Apply(++D().revision, batches[i++ & 255]);
    // Keep history bounded as a server with auto-compaction would (cost included).
    if ((i & 4095) == 0) store.Compact(D().revision - 1);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Store_Apply)->Arg(1)->Arg(100);

template <typename Map>
void ApplyToMap(benchmark::State& state, Map& m) {
  auto batches = MakeBatches(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    for (const Mutation& mu : batches[i++ & 255]) m[mu.key] = mu.value;
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_StdMap_Apply(benchmark::State& state) { ApplyToMap(state, D().ordered); }
BENCHMARK(BM_StdMap_Apply)->Arg(1)->Arg(100);

void BM_UnorderedMap_Apply(benchmark::State& state) { ApplyToMap(state, D().hashed); }
BENCHMARK(BM_UnorderedMap_Apply)->Arg(1)->Arg(100);

}  // namespace

BENCHMARK_MAIN();
