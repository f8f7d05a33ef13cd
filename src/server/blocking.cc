#include "server/blocking.h"

#include "keyspace/encoding.h"
#include "keyspace/node_record.h"

namespace petacore::server {

uint64_t BlockingRegistry::Add(const std::vector<std::string>& keys, std::function<void()> wake) {
  std::lock_guard lock(mu_);
  uint64_t token = next_token_++;
  for (const auto& k : keys) by_key_.emplace(k, token);
  waiters_.emplace(token, Waiter{keys, std::move(wake)});
  count_.store(waiters_.size(), std::memory_order_relaxed);
  return token;
}

void BlockingRegistry::Remove(uint64_t token) {
  std::lock_guard lock(mu_);
  auto it = waiters_.find(token);
  if (it == waiters_.end()) return;
  for (const auto& k : it->second.keys) {
    auto range = by_key_.equal_range(k);
    for (auto i = range.first; i != range.second; ++i) {
      if (i->second == token) {
        by_key_.erase(i);
        break;
      }
    }
  }
  waiters_.erase(it);
  count_.store(waiters_.size(), std::memory_order_relaxed);
}

void BlockingRegistry::Notify(std::span<const mvcc::Mutation> batch) {
  if (count_.load(std::memory_order_relaxed) == 0) return;  // the common case: nobody blocked
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mu_);
    for (const auto& m : batch) {
      std::string_view meta = keyspace::MetaKeyOf(m.key);
      if (meta.empty()) meta = m.key;  // an internal key
      std::vector<uint64_t> tokens;
      auto collect = [&](std::string_view key) {
        auto range = by_key_.equal_range(std::string(key));
        for (auto i = range.first; i != range.second; ++i) tokens.push_back(i->second);
      };
      collect(meta);
      if (m.key.starts_with(keyspace::kNodeRecordPrefix)) collect(keyspace::kNodeRecordPrefix);
      for (uint64_t t : tokens) {
        auto it = waiters_.find(t);
        if (it == waiters_.end()) continue;
        wakes.push_back(std::move(it->second.wake));
        for (const auto& k : it->second.keys) {
          auto r = by_key_.equal_range(k);
          for (auto i = r.first; i != r.second; ++i) {
            if (i->second == t) {
              by_key_.erase(i);
              break;
            }
          }
        }
        waiters_.erase(it);
      }
    }
    count_.store(waiters_.size(), std::memory_order_relaxed);
  }
  for (auto& w : wakes) w();
}

}  // namespace petacore::server
