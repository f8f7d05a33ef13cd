// etcd_compactor.cc — the expiry leader's etcd compaction (etcd_compactor.h).
#include "server/etcd_compactor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "keyspace/encoding.h"
#include "keyspace/node_record.h"

namespace petacore::server {

namespace {

bool IsCompactedError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kOutOfRange &&
         status.message().find("required revision has been compacted") != std::string::npos;
}

}  // namespace

std::optional<int64_t> CompactionTarget(const mvcc::Store& store, int64_t own_oldest,
                                        int64_t window) {
  int64_t oldest = own_oldest > 0 ? own_oldest : INT64_MAX;
  size_t records = 0;
  {
    auto snapshot = store.Read();
    snapshot.Range(keyspace::kNodeRecordPrefix, keyspace::kNodeRecordEnd, 0,
                   [&](const mvcc::KeyValue& kv) {
                     auto record = keyspace::DecodeNodeRecord(kv.key, kv.value);
                     if (!record) return true;
                     ++records;
                     // A record without `oldest` (an older node) holds at its applied revision.
                     int64_t needed = record->oldest > 0 ? record->oldest : record->applied;
                     oldest = std::min(oldest, std::max<int64_t>(needed, 0));
                     return true;
                   });
  }
  if (records == 0 || oldest == INT64_MAX) return std::nullopt;
  const int64_t target = oldest - std::max<int64_t>(window, 0);
  if (target < 1) return std::nullopt;
  return target;
}

EtcdCompactor::EtcdCompactor(etcdlink::Client& client, const mvcc::Store& store, Options options)
    : client_(client),
      store_(store),
      options_(std::move(options)),
      task_([this] { return std::max<int64_t>(options_.interval_ms(), 10); },
            [this] { RunOnce(); }) {}

EtcdCompactor::~EtcdCompactor() { Stop(); }

void EtcdCompactor::Start() { task_.Start(); }

void EtcdCompactor::Stop() { task_.Stop(); }

int64_t EtcdCompactor::RunOnce() {
  if (!options_.enabled() || !options_.is_leader()) return 0;
  const int64_t head = store_.applied_revision();
  if (head <= last_head_) return 0;  // no revision moved since the last compaction
  auto target = CompactionTarget(store_, options_.own_oldest(), options_.window());
  if (!target || *target <= last_revision_.load(std::memory_order_relaxed)) return 0;
  const auto started = std::chrono::steady_clock::now();
  auto result = client_.Compact(*target, /*physical=*/false);
  const int64_t duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count();
  if (!result.ok()) {
    if (IsCompactedError(result.status())) {
      // Someone compacted at or past the target: nothing below it is left to compact.
      superseded_.fetch_add(1, std::memory_order_relaxed);
      last_revision_.store(*target, std::memory_order_relaxed);
      last_head_ = head;
      return 0;
    }
    errors_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("etcd compaction to revision {} failed: {}", *target, result.status().ToString());
    return 0;
  }
  last_head_ = head;
  last_revision_.store(*target, std::memory_order_relaxed);
  last_time_ms_.store(keyspace::NowMs(), std::memory_order_relaxed);
  last_duration_ms_.store(duration_ms, std::memory_order_relaxed);
  compactions_.fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("etcd compacted to revision {} ({} ms)", *target, duration_ms);
  return *target;
}

std::string EtcdCompactor::InfoLines() const {
  std::string s;
  auto line = [&](std::string_view k, int64_t v) {
    s.append(k).append(":").append(std::to_string(v)).append("\r\n");
  };
  line("etcd_compactions", compactions_.load());
  line("etcd_compaction_errors", errors_.load());
  line("etcd_compactions_superseded", superseded_.load());
  line("etcd_last_compaction_revision", last_revision_.load());
  line("etcd_last_compaction_time_ms", last_time_ms_.load());
  line("etcd_last_compaction_duration_ms", last_duration_ms_.load());
  return s;
}

}  // namespace petacore::server
