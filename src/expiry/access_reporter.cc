// src/expiry/access_reporter.cc — see access_reporter.h.
#include "expiry/access_reporter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "keyspace/access.h"
#include "keyspace/access_sampler.h"
#include "keyspace/access_summary.h"
#include "keyspace/encoding.h"

namespace petacore::expiry {

namespace {
constexpr std::chrono::milliseconds kPutTimeout{2000};
}  // namespace

AccessReporter::AccessReporter(etcdlink::Client& client, const mvcc::Store& store,
                               Options options)
    : client_(client),
      store_(store),
      options_(std::move(options)),
      key_(options_.etcd_prefix + keyspace::AccessSummaryKey(options_.process)),
      task_(options_.interval_ms, [this] { Tick(); }) {}

AccessReporter::~AccessReporter() { Stop(); }

void AccessReporter::Start() { task_.Start(); }

void AccessReporter::Stop() {
  task_.Stop();
  keyspace::EnableAccessSampling(false);
}

void AccessReporter::Tick() {
  const bool sample = options_.sample();
  keyspace::EnableAccessSampling(sample);
  const bool publish = sample && options_.publish();
  if (!publish && on_etcd_ && client_.Delete(key_).ok()) on_etcd_ = false;
  if (!sample) {
    recent_.clear();
    (void)keyspace::TakeAccessSamples();
    return;
  }
  std::vector<std::string> samples = keyspace::TakeAccessSamples();
  const int64_t now = SteadyMs();
  for (auto& k : samples) recent_[std::move(k)] = now;
  std::erase_if(recent_, [now](const auto& e) { return now - e.second > kRecentMs; });
  if (!publish || samples.empty() || recent_.empty()) return;
  if (recent_.size() > keyspace::kMaxSummaryEntries) {
    // Keep the most recently sampled keys.
    std::vector<int64_t> times;
    times.reserve(recent_.size());
    for (const auto& e : recent_) times.push_back(e.second);
    auto nth = times.end() - keyspace::kMaxSummaryEntries;
    std::nth_element(times.begin(), nth, times.end());
    const int64_t cutoff = *nth;
    std::erase_if(recent_, [cutoff](const auto& e) { return e.second < cutoff; });
  }
  Publish();
}

void AccessReporter::Publish() {
  const int64_t lease = options_.lease ? options_.lease() : 0;
  if (lease == 0) return;  // a summary without the lease would outlive the node
  std::string value;
  size_t entries = 0;
  {
    auto snapshot = store_.Read();
    const int64_t now_ms = keyspace::NowMs();
    for (auto it = recent_.begin(); it != recent_.end();) {
      auto record = keyspace::ReadAccess(snapshot, it->first);
      if (!record) {  // deleted meanwhile
        it = recent_.erase(it);
        continue;
      }
      if (entries < keyspace::kMaxSummaryEntries) {
        keyspace::AppendAccessSummaryEntry(&value, it->first, record->last_access_s,
                                           keyspace::LfuCounter(*record, now_ms));
        ++entries;
      }
      ++it;
    }
  }
  if (entries == 0) return;
  auto put = client_.Put(key_, value, lease, kPutTimeout);
  if (!put.ok()) {
    spdlog::warn("access summary: publish failed: {}", put.status().ToString());
    return;
  }
  on_etcd_ = true;
  published_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace petacore::expiry
