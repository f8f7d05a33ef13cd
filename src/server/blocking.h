// src/server/blocking.h — clients parked by blocking commands, woken when their keys change.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "mvcc/store.h"

namespace petacore::server {

/// Blocked clients keyed by the store keys they wait on. Notify is fed by the store's apply
/// observer, so a push applied from the watch (made on another node) wakes clients here just
/// like a local one. Every waiter on a changed key is woken; they re-run their command and the
/// commit's compares decide which one gets each element. Thread-safe.
class BlockingRegistry {
 public:
  /// Registers `wake` (run once, on the notifying thread; keep it short) for `keys`.
  /// Returns a token for Remove.
  uint64_t Add(const std::vector<std::string>& keys, std::function<void()> wake);
  /// Forgets a waiter (timed out or woken). Unknown tokens are ignored.
  void Remove(uint64_t token);
  /// Wakes the waiters of every key a mutation touched (a subkey counts for its key). A node
  /// record change also wakes the waiters on keyspace::kNodeRecordPrefix itself ("any node's
  /// record": WAIT, which must also see a node whose record was absent when it parked).
  void Notify(std::span<const mvcc::Mutation> batch);
  size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  struct Waiter {
    std::vector<std::string> keys;
    std::function<void()> wake;
  };
  std::mutex mu_;
  uint64_t next_token_ = 1;
  std::map<uint64_t, Waiter> waiters_;
  std::unordered_multimap<std::string, uint64_t> by_key_;
  std::atomic<size_t> count_{0};
};

}  // namespace petacore::server
