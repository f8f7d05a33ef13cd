// src/server/latency.h — LATENCY's event time series (as Redis's latency.c: 160 samples per
// event, one per second, the max of that second) and the per-command latency histogram behind
// LATENCY HISTOGRAM and INFO latencystats. Node-local; shared by the io threads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/observability_view.h"

namespace petacore::server {

/// The latency monitor's events ("command", "fast-command", "etcd-commit", ...). Thread-safe.
class LatencyMonitor {
 public:
  static constexpr size_t kHistory = 160;  ///< Redis's LATENCY_TS_LEN

  /// Adds `latency_ms` to `event` at the current second (a sample in the same second keeps
  /// the larger value), as Redis's latencyAddSample. The caller checks the threshold.
  void Add(std::string_view event, int64_t latency_ms);
  /// Every event, samples oldest first.
  std::vector<commands::LatencyEventInfo> Events() const;
  /// Drops the named events (all when empty); returns how many existed.
  int64_t Reset(std::span<const std::string_view> events);

 private:
  struct Series {
    std::array<commands::LatencySample, kHistory> samples{};
    size_t idx = 0;  // next slot
    int64_t max = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Series, std::less<>> events_;
};

/// A log-linear histogram of durations in ns over [1 ns, 1 s] (values outside are clamped, as
/// Redis's updateCommandLatencyHistogram): exact below 128 ns, then 128 buckets per power of
/// two (relative error < 0.8%, finer than the 2 significant digits of Redis's HdrHistogram).
/// Record is lock-free (relaxed atomics); readers see a slightly moving picture.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr int64_t kSub = int64_t{1} << kSubBits;  // 128
  static constexpr int64_t kMin = 1;
  static constexpr int64_t kMax = 1'000'000'000;
  static constexpr size_t kBuckets = kSub + (30 - kSubBits) * kSub;

  void Record(int64_t ns);
  int64_t count() const { return count_.load(std::memory_order_relaxed); }
  /// The highest value equivalent to the value at `percentile` (0..100), ns; 0 when empty.
  int64_t ValueAtPercentile(double percentile) const;
  /// LATENCY HISTOGRAM's cumulative distribution: for each power-of-two boundary from 1024 ns
  /// up (as Redis's hdr log iterator, base 2), (µs, count at or below) where the count grew.
  std::vector<std::pair<int64_t, int64_t>> Cdf() const;
  void Reset();

 private:
  static size_t Index(int64_t v);
  static int64_t HighestEquivalent(size_t index);
  std::array<std::atomic<int64_t>, kBuckets> buckets_{};
  std::atomic<int64_t> count_{0};
};

}  // namespace petacore::server
