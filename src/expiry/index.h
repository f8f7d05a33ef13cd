// src/expiry/index.h — which keys carry an expire-at, ordered by it: what active expiry reads
// so that finding the keys due now costs O(due keys), never a scan of the key space.
//
// The index is fed only by the store's apply observer (every batch the store applies: the
// initial load, watch events, a reload's diff, LocalCommitter writes), so it describes the
// store's newest revision and needs no separate rebuild. It never talks to etcd and never
// reads the store.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mvcc/store.h"

namespace petacore::expiry {

/// A meta key whose expire-at has passed, with the mod_revision of the version that carries
/// that expire-at (the delete compares it, so a key rewritten meanwhile is not deleted).
struct DueKey {
  std::string meta_key;
  int64_t mod_revision = 0;
  int64_t expire_at_ms = 0;
};

/// Meta keys with an expire-at (Redis keys with a TTL), ordered by expire-at.
/// Thread-safe (one mutex); Observe runs on the store's writer thread and is O(batch).
class Index {
 public:
  /// Applies one batch as the store applied it at `revision` (a Mutation's mod_revision 0
  /// means the batch revision, as mvcc::Store derives it). Only meta keys of databases 0..15
  /// are tracked; subkeys and internal (0xFF) keys are ignored.
  void Observe(int64_t revision, std::span<const mvcc::Mutation> batch);

  /// Up to `limit` keys whose expire-at is <= now_ms, earliest first, each handed out once:
  /// a taken key is not returned again until Release puts it back or a newer version of it
  /// is observed (which replaces the entry).
  std::vector<DueKey> TakeDue(int64_t now_ms, size_t limit);

  /// Puts a taken key back into the due order (its delete failed for a reason that says
  /// nothing about the key, e.g. etcd unreachable); a no-op if that version was replaced.
  void Release(const DueKey& key);

  /// Up to `n` tracked keys picked at random (a random hash bucket, then the buckets after
  /// it: Redis's dictGetSomeKeys idea), taken ones skipped; `seed` picks the start bucket.
  /// For volatile-* eviction (evictor.h): expire_at_ms is the key's TTL deadline.
  std::vector<DueKey> Sample(size_t n, uint64_t seed) const;

  /// Keys tracked (keys with a TTL, expired or not, as the store holds them).
  size_t size() const;
  /// Tracked keys whose expire-at is <= now_ms (taken ones included): expired but not yet
  /// deleted from the store.
  size_t CountDue(int64_t now_ms) const;

 private:
  struct Entry {
    int64_t expire_at_ms = 0;
    int64_t mod_revision = 0;
    bool taken = false;  // handed out by TakeDue, so not in by_time_
  };
  void Erase(std::string_view key);

  mutable std::mutex mu_;
  // Looked up by string_view without building a std::string (C++20 heterogeneous lookup).
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // by_time_ views the keys of by_key_ (node-based: keys do not move on rehash).
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> by_key_;
  std::set<std::pair<int64_t, std::string_view>> by_time_;
  size_t taken_ = 0;  // entries with taken set
};

}  // namespace petacore::expiry
