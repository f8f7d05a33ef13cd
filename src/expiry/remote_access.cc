// src/expiry/remote_access.cc — see remote_access.h.
#include "expiry/remote_access.h"

#include <algorithm>

#include "keyspace/access_summary.h"

namespace petacore::expiry {

void RemoteAccessView::Refresh(int64_t now_ms) {
  if (checked_ms_ != 0 && now_ms - checked_ms_ < kRefreshMs) return;
  checked_ms_ = now_ms;
  auto snapshot = store_.Read();
  std::vector<std::pair<std::string, int64_t>> versions;
  snapshot.Range(keyspace::kAccessSummaryPrefix, keyspace::kAccessSummaryEnd, 0,
                 [&](const mvcc::KeyValue& kv) {
                   uint64_t process = keyspace::AccessSummaryProcess(kv.key);
                   if (process != 0 && process != own_process_) {
                     versions.emplace_back(std::string(kv.key), kv.mod_revision);
                   }
                   return true;
                 });
  if (versions == versions_) return;
  versions_ = std::move(versions);
  merged_.clear();
  for (const auto& [key, revision] : versions_) {
    auto kv = snapshot.Get(key);
    if (!kv) continue;
    keyspace::ForEachAccessSummaryEntry(kv->value, [&](const keyspace::AccessSummaryEntry& e) {
      Merged& m = merged_[std::string(e.meta_key)];
      m.last_access_s = std::max(m.last_access_s, e.last_access_s);
      m.lfu_counter = std::max(m.lfu_counter, e.lfu_counter);
    });
  }
  keys_.store(static_cast<int64_t>(merged_.size()), std::memory_order_relaxed);
}

RemoteAccess RemoteAccessView::Lookup(std::string_view meta_key, int64_t now_ms) {
  Refresh(now_ms);
  RemoteAccess r;
  auto it = merged_.find(std::string(meta_key));
  if (it == merged_.end()) return r;
  r.idle_ms = std::max<int64_t>(0, now_ms - int64_t{it->second.last_access_s} * 1000);
  r.lfu_counter = it->second.lfu_counter;
  return r;
}

}  // namespace petacore::expiry
