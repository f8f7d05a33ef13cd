// latency.cc — LATENCY's event series and the per-command log-linear histogram.
#include "server/latency.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <ctime>

namespace petacore::server {

void LatencyMonitor::Add(std::string_view event, int64_t latency_ms) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::lock_guard lock(mu_);
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), Series{}).first;
  Series& s = it->second;
  if (latency_ms > s.max) s.max = latency_ms;
  auto& prev = s.samples[(s.idx + kHistory - 1) % kHistory];
  if (prev.time_s == now) {
    if (latency_ms > prev.latency_ms) prev.latency_ms = latency_ms;
    return;
  }
  s.samples[s.idx] = {now, latency_ms};
  s.idx = (s.idx + 1) % kHistory;
}

std::vector<commands::LatencyEventInfo> LatencyMonitor::Events() const {
  std::lock_guard lock(mu_);
  std::vector<commands::LatencyEventInfo> out;
  for (const auto& [name, s] : events_) {
    commands::LatencyEventInfo e{.name = name, .samples = {}, .max_ms = s.max};
    for (size_t j = 0; j < kHistory; ++j) {
      const auto& sample = s.samples[(s.idx + j) % kHistory];
      if (sample.time_s != 0) e.samples.push_back(sample);
    }
    out.push_back(std::move(e));
  }
  return out;
}

int64_t LatencyMonitor::Reset(std::span<const std::string_view> events) {
  std::lock_guard lock(mu_);
  if (events.empty()) {
    int64_t n = static_cast<int64_t>(events_.size());
    events_.clear();
    return n;
  }
  int64_t n = 0;
  for (auto name : events) {
    auto it = events_.find(name);
    if (it != events_.end()) {
      events_.erase(it);
      ++n;
    }
  }
  return n;
}

size_t LatencyHistogram::Index(int64_t v) {
  if (v < kSub) return static_cast<size_t>(v);
  const int e = std::bit_width(static_cast<uint64_t>(v)) - 1;  // >= kSubBits
  const int64_t sub = (v >> (e - kSubBits)) - kSub;           // 0..127
  return static_cast<size_t>(kSub + (e - kSubBits) * kSub + sub);
}

int64_t LatencyHistogram::HighestEquivalent(size_t index) {
  const auto i = static_cast<int64_t>(index);
  if (i < kSub) return i;
  const int64_t e = (i - kSub) / kSub + kSubBits;
  const int64_t sub = (i - kSub) % kSub;
  const int64_t low = (kSub + sub) << (e - kSubBits);
  return low + (int64_t{1} << (e - kSubBits)) - 1;
}

void LatencyHistogram::Record(int64_t ns) {
  ns = std::clamp(ns, kMin, kMax);
  buckets_[Index(ns)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

int64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  const int64_t total = count();
  if (total == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // As hdr_value_at_percentile: the first bucket whose cumulative count reaches the rank.
  int64_t rank = static_cast<int64_t>(std::llround(percentile / 100.0 * static_cast<double>(total)));
  rank = std::max<int64_t>(rank, 1);
  int64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= rank) return HighestEquivalent(i);
  }
  return kMax;
}

std::vector<std::pair<int64_t, int64_t>> LatencyHistogram::Cdf() const {
  std::vector<std::pair<int64_t, int64_t>> out;
  const int64_t total = count();
  int64_t seen = 0, previous = 0;
  size_t i = 0;
  for (int64_t bound = 1024; seen < total && bound <= 2 * kMax; bound *= 2) {
    // Every bucket whose values are all at or below the boundary's bucket.
    const size_t last = Index(std::min(bound, kMax));
    for (; i <= last && i < kBuckets; ++i) seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen > previous) out.emplace_back(HighestEquivalent(last) / 1000, seen);
    previous = seen;
  }
  return out;
}

void LatencyHistogram::Reset() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
}

}  // namespace petacore::server
