// etcd_defragmenter.cc — the expiry leader's etcd defragmentation (etcd_defragmenter.h).
#include "server/etcd_defragmenter.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "keyspace/encoding.h"

namespace petacore::server {

bool NeedsDefrag(const MemberSizes& m, int64_t ratio_percent, uint64_t min_bytes) {
  if (!m.answered || m.db_size <= 0) return false;
  const int64_t free_bytes = m.db_size - m.db_size_in_use;
  if (free_bytes <= 0 || static_cast<uint64_t>(free_bytes) <= min_bytes) return false;
  // db_size * 100 > in_use * ratio, in doubles: no overflow for any configured ratio.
  return static_cast<double>(m.db_size) * 100.0 >
         static_cast<double>(m.db_size_in_use) * static_cast<double>(ratio_percent);
}

EtcdDefragmenter::EtcdDefragmenter(etcdlink::Client& client, Options options)
    : client_(client),
      options_(std::move(options)),
      task_([this] { return static_cast<int64_t>(options_.poll_interval.count()); },
            [this] { RunOnce(); }, /*tick_first=*/true) {}

EtcdDefragmenter::~EtcdDefragmenter() { Stop(); }

void EtcdDefragmenter::Start() { task_.Start(); }

void EtcdDefragmenter::Stop() { task_.Stop(); }

std::vector<MemberSizes> EtcdDefragmenter::Poll() {
  std::vector<MemberSizes> sizes(client_.member_count());
  for (size_t i = 0; i < sizes.size(); ++i) {
    sizes[i].endpoint = client_.member_endpoint(i);
    if (!client_.member_responsive(i)) continue;
    auto status = client_.StatusOf(i);
    if (!status.ok()) continue;
    sizes[i].answered = true;
    sizes[i].db_size = status->db_size;
    sizes[i].db_size_in_use = status->db_size_in_use;
  }
  std::lock_guard lock(info_mu_);
  sizes_ = sizes;
  return sizes;
}

int EtcdDefragmenter::RunOnce() {
  auto sizes = Poll();
  if (!options_.enabled() || !options_.is_leader()) return -1;
  if (last_end_steady_ms_ != 0 &&
      expiry::SteadyMs() - last_end_steady_ms_ < options_.interval_ms()) {
    return -1;
  }
  // Never with a member down: defragmenting another one would leave the cluster without
  // a spare member for its duration.
  for (const auto& m : sizes) {
    if (!m.answered) return -1;
  }
  int best = -1;
  int64_t best_free = 0;
  const int64_t ratio = options_.ratio_percent();
  const uint64_t min_bytes = options_.min_bytes();
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (!NeedsDefrag(sizes[i], ratio, min_bytes)) continue;
    const int64_t free_bytes = sizes[i].db_size - sizes[i].db_size_in_use;
    if (best < 0 || free_bytes > best_free) {
      best = static_cast<int>(i);
      best_free = free_bytes;
    }
  }
  if (best < 0) return -1;
  const MemberSizes& target = sizes[static_cast<size_t>(best)];
  spdlog::info("etcd defragmentation of member {}: db size {} bytes, {} in use", target.endpoint,
               target.db_size, target.db_size_in_use);
  const int64_t started = expiry::SteadyMs();
  absl::Status status = client_.Defragment(static_cast<size_t>(best), options_.defrag_timeout);
  const int64_t duration = expiry::SteadyMs() - started;
  last_end_steady_ms_ = expiry::SteadyMs();
  if (!status.ok()) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("etcd defragmentation of member {} failed after {} ms: {}", target.endpoint,
                 duration, status.ToString());
    return -1;
  }
  int64_t freed = 0;
  if (auto after = client_.StatusOf(static_cast<size_t>(best)); after.ok()) {
    freed = std::max<int64_t>(target.db_size - after->db_size, 0);
    std::lock_guard lock(info_mu_);
    if (static_cast<size_t>(best) < sizes_.size()) {
      sizes_[static_cast<size_t>(best)].db_size = after->db_size;
      sizes_[static_cast<size_t>(best)].db_size_in_use = after->db_size_in_use;
    }
  }
  {
    std::lock_guard lock(info_mu_);
    last_member_ = target.endpoint;
  }
  last_time_ms_.store(keyspace::NowMs(), std::memory_order_relaxed);
  last_duration_ms_.store(duration, std::memory_order_relaxed);
  last_freed_.store(freed, std::memory_order_relaxed);
  defrags_.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("etcd defragmentation of member {} done in {} ms, {} bytes freed", target.endpoint,
               duration, freed);
  return best;
}

std::string EtcdDefragmenter::InfoLines() const {
  std::string s;
  auto line = [&](std::string_view k, const std::string& v) {
    s.append(k).append(":").append(v).append("\r\n");
  };
  int64_t size = 0, in_use = 0;
  std::string each, member;
  {
    std::lock_guard lock(info_mu_);
    for (const auto& m : sizes_) {
      if (!each.empty()) each += ",";
      each += m.endpoint + "=";
      if (!m.answered) {
        each += "?";
        continue;
      }
      each += std::to_string(m.db_size) + "/" + std::to_string(m.db_size_in_use);
      size = std::max(size, m.db_size);
      in_use = std::max(in_use, m.db_size_in_use);
    }
    member = last_member_;
  }
  line("etcd_db_size", std::to_string(size));
  line("etcd_db_size_in_use", std::to_string(in_use));
  line("etcd_db_sizes", each);
  line("etcd_defrags", std::to_string(defrags_.load()));
  line("etcd_defrag_errors", std::to_string(errors_.load()));
  line("etcd_last_defrag_member", member);
  line("etcd_last_defrag_time_ms", std::to_string(last_time_ms_.load()));
  line("etcd_last_defrag_duration_ms", std::to_string(last_duration_ms_.load()));
  line("etcd_last_defrag_freed_bytes", std::to_string(last_freed_.load()));
  return s;
}

}  // namespace petacore::server
