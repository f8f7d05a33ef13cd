// src/server/key_locks.h — per-key write sequencing on one node.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace petacore::server {

/// Asynchronous, all-or-nothing locks on store keys. Write commands on the same key from one
/// node's connections take turns instead of racing each other to etcd and losing compares
/// (50 clients INCRing one key would otherwise burn most commits on conflict retries); only
/// writes from other nodes can still conflict. Thread-safe. Never blocks: a caller that cannot
/// take its keys is queued and its `wake` runs (on the unlocking thread) when one is released,
/// after which it must call TryLock again.
class KeyLocks {
 public:
  /// Takes every key in `keys`, or none of them and queues `wake` behind a held one.
  bool TryLock(const std::vector<std::string>& keys, std::function<void()> wake);
  /// Releases keys taken by a successful TryLock and runs the wakes queued on them.
  void Unlock(const std::vector<std::string>& keys);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::function<void()>>> held_;
};

}  // namespace petacore::server
