// src/expiry/remote_access.h — the deciding node's view of the other nodes' access summaries
// (keyspace/access_summary.h, issue 17): for a sampled key, the most recent access and the
// highest LFU counter any other node reported, merged into Evictor's ranking
// (Evictor::SetRemoteAccess). The summaries are read from the local replica (they are
// replicated like any key), re-read only when one of them changed, at most every kRefreshMs.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "expiry/evictor.h"
#include "mvcc/store.h"

namespace petacore::expiry {

/// Merged summaries of every node but this one. Not thread-safe: one user thread (the
/// eviction thread). `store` must outlive it.
class RemoteAccessView {
 public:
  /// Least time between two checks of the summaries for changes (ms).
  static constexpr int64_t kRefreshMs = 250;

  RemoteAccessView(const mvcc::Store& store, uint64_t own_process)
      : store_(store), own_process_(own_process) {}

  /// What other nodes reported of `meta_key`: idle ms from their last access to `now_ms`
  /// (Unix ms, 1 s resolution as Redis's LRU clock) and their LFU counter; -1 each when no
  /// other node reported it.
  RemoteAccess Lookup(std::string_view meta_key, int64_t now_ms);

  /// Keys known from other nodes' summaries at the last refresh (INFO petacore
  /// access_summary_remote_keys). Thread-safe.
  int64_t keys() const { return keys_.load(std::memory_order_relaxed); }

 private:
  struct Merged {
    uint32_t last_access_s = 0;
    uint8_t lfu_counter = 0;
  };
  void Refresh(int64_t now_ms);

  const mvcc::Store& store_;
  const uint64_t own_process_;
  int64_t checked_ms_ = 0;
  std::vector<std::pair<std::string, int64_t>> versions_;  // summary key -> mod_revision merged
  std::unordered_map<std::string, Merged> merged_;
  std::atomic<int64_t> keys_{0};
};

}  // namespace petacore::expiry
