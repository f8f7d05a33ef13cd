#include "expiry/index.h"

#include <iterator>

#include "keyspace/encoding.h"

namespace petacore::expiry {

void Index::Observe(int64_t revision, std::span<const mvcc::Mutation> batch) {
  std::lock_guard lock(mu_);
  for (const auto& m : batch) {
    const std::string& key = m.key;
    // Redis keys start with their db byte (0..15); 0xFF keys are PetaCore's own.
    if (key.empty() || static_cast<uint8_t>(key[0]) >= keyspace::kNumDatabases) continue;
    int64_t expire_at = 0;
    if (m.kind == mvcc::Mutation::Kind::kPut) {
      auto v = keyspace::DecodeValue(m.value);
      if (v) expire_at = v->expire_at_ms;
    }
    if (expire_at == 0) {
      // A delete, or a put without TTL: forget the key if it had one. Most writes in a store
      // without TTLs end here after one hash probe (none at all when nothing is tracked).
      if (!by_key_.empty()) Erase(key);
      continue;
    }
    if (keyspace::MetaKeyOf(key).size() != key.size()) continue;  // a collection's subkey
    int64_t mod_revision = m.mod_revision != 0 ? m.mod_revision : revision;
    auto [it, inserted] = by_key_.try_emplace(key);
    Entry& e = it->second;
    if (!inserted && !e.taken) by_time_.erase({e.expire_at_ms, it->first});
    if (!inserted && e.taken) --taken_;
    e = Entry{expire_at, mod_revision, false};
    by_time_.emplace(expire_at, it->first);
  }
}

void Index::Erase(std::string_view key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  if (it->second.taken) {
    --taken_;
  } else {
    by_time_.erase({it->second.expire_at_ms, it->first});
  }
  by_key_.erase(it);
}

std::vector<DueKey> Index::Sample(size_t n, uint64_t seed) const {
  std::vector<DueKey> out;
  std::lock_guard lock(mu_);
  const size_t buckets = by_key_.bucket_count();
  if (by_key_.empty() || buckets == 0) return out;
  const size_t start = seed % buckets;
  for (size_t i = 0; i < buckets && out.size() < n; ++i) {
    const size_t b = (start + i) % buckets;
    for (auto it = by_key_.begin(b); it != by_key_.end(b) && out.size() < n; ++it) {
      if (!it->second.taken) {
        out.push_back({it->first, it->second.mod_revision, it->second.expire_at_ms});
      }
    }
  }
  return out;
}

std::vector<DueKey> Index::TakeDue(int64_t now_ms, size_t limit) {
  std::vector<DueKey> due;
  std::lock_guard lock(mu_);
  while (due.size() < limit && !by_time_.empty() && by_time_.begin()->first <= now_ms) {
    auto [expire_at, view] = *by_time_.begin();
    by_time_.erase(by_time_.begin());
    auto it = by_key_.find(view);
    it->second.taken = true;
    ++taken_;
    due.push_back({it->first, it->second.mod_revision, expire_at});
  }
  return due;
}

void Index::Release(const DueKey& key) {
  std::lock_guard lock(mu_);
  auto it = by_key_.find(key.meta_key);
  if (it == by_key_.end() || !it->second.taken || it->second.mod_revision != key.mod_revision) {
    return;  // deleted or rewritten since: the observer already did the right thing
  }
  it->second.taken = false;
  --taken_;
  by_time_.emplace(it->second.expire_at_ms, it->first);
}

size_t Index::size() const {
  std::lock_guard lock(mu_);
  return by_key_.size();
}

size_t Index::CountDue(int64_t now_ms) const {
  std::lock_guard lock(mu_);
  auto end = by_time_.lower_bound({now_ms + 1, std::string_view()});
  return static_cast<size_t>(std::distance(by_time_.begin(), end)) + taken_;
}

}  // namespace petacore::expiry
