// tracking.cc — the tracking table (tracking.h). Behaviour from Redis 7.0's tracking.c: one
// message per key in default mode, the key forgotten once invalidated; BCAST by prefix;
// NOLOOP skips the client's own writes; eviction over tracking-table-max-keys.
#include "server/tracking.h"

#include <algorithm>
#include <unordered_set>
#include <vector>

#include "commands/key_spec.h"
#include "keyspace/encoding.h"

namespace petacore::server {

std::vector<std::string> ChangedUserKeys(std::span<const mvcc::Mutation> batch) {
  std::vector<std::string> keys;
  std::unordered_set<std::string_view> seen;
  for (const auto& m : batch) {
    std::string_view meta = keyspace::MetaKeyOf(m.key);
    if (meta.empty() || !seen.insert(meta).second) continue;
    if (auto decoded = keyspace::DecodeKey(meta)) keys.push_back(std::move(decoded->user_key));
  }
  return keys;
}

void TrackingTable::Enable(int64_t id, const Mode& mode) {
  std::lock_guard lock(mu_);
  auto [it, added] = clients_.try_emplace(id);
  Client& c = it->second;
  c.bcast = mode.bcast;
  c.noloop = mode.noloop;
  c.redirect = mode.redirect;
  c.prefixes = mode.bcast ? mode.prefixes : std::vector<std::string>{};
  if (added) clients_count_.fetch_add(1, std::memory_order_relaxed);
}

void TrackingTable::Disable(int64_t id) {
  std::lock_guard lock(mu_);
  if (clients_.erase(id) > 0) clients_count_.fetch_sub(1, std::memory_order_relaxed);
}

void TrackingTable::Remember(int64_t id, std::span<const std::string_view> keys) {
  std::vector<Message> messages;
  {
    std::lock_guard lock(mu_);
    for (auto key : keys) items_ += keys_[std::string(key)].insert(id).second ? 1 : 0;
    EvictOverLimit(&messages);
  }
  Send(messages);
}

void TrackingTable::EvictOverLimit(std::vector<Message>* out) {
  const int64_t limit = config_->tracking_table_max_keys;
  if (limit <= 0) return;
  while (static_cast<int64_t>(keys_.size()) > limit) {
    // A random key: the first of a random non-empty bucket.
    size_t buckets = keys_.bucket_count();
    size_t b = rng_() % buckets;
    while (keys_.bucket_size(b) == 0) b = (b + 1) % buckets;
    std::string key = keys_.begin(b)->first;
    InvalidateKey(key, /*writer=*/0, out);
  }
}

void TrackingTable::InvalidateKey(const std::string& key, int64_t writer,
                                  std::vector<Message>* out) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  std::shared_ptr<const std::vector<std::string>> one;
  for (int64_t id : it->second) {
    auto c = clients_.find(id);
    // Gone, switched to BCAST, or its own write under NOLOOP (Redis keeps nothing for it then).
    if (c == clients_.end() || c->second.bcast) continue;
    if (c->second.noloop && id == writer) continue;
    if (!one) one = std::make_shared<const std::vector<std::string>>(1, key);
    out->push_back({id, c->second.redirect, one});
  }
  items_ -= it->second.size();
  keys_.erase(it);
}

void TrackingTable::NoteOwnWrites(int64_t id, std::span<const std::string> store_keys) {
  std::lock_guard lock(mu_);
  for (const auto& k : store_keys) {
    std::string_view meta = keyspace::MetaKeyOf(k);
    if (auto decoded = keyspace::DecodeKey(meta)) own_[std::move(decoded->user_key)] = id;
  }
}

void TrackingTable::ForgetOwnWrites(int64_t id) {
  std::lock_guard lock(mu_);
  std::erase_if(own_, [id](const auto& kv) { return kv.second == id; });
}

void TrackingTable::OnApplied(std::span<const mvcc::Mutation> batch, bool flush) {
  std::vector<Message> messages;
  {
    std::lock_guard lock(mu_);
    if (flush) {
      for (const auto& [id, c] : clients_) messages.push_back({id, c.redirect, nullptr});
      keys_.clear();
      items_ = 0;
    } else {
      std::vector<std::string> changed = ChangedUserKeys(batch);
      std::vector<int64_t> writers(changed.size(), 0);
      for (size_t i = 0; i < changed.size() && !own_.empty(); ++i) {
        if (auto it = own_.find(changed[i]); it != own_.end()) {
          writers[i] = it->second;
          own_.erase(it);
        }
      }
      if (!keys_.empty()) {
        for (size_t i = 0; i < changed.size(); ++i) {
          InvalidateKey(changed[i], writers[i], &messages);
        }
      }
      // BCAST, as Redis: one message per prefix with the batch's keys under it, sorted.
      std::vector<size_t> order(changed.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(),
                [&](size_t x, size_t y) { return changed[x] < changed[y]; });
      for (const auto& [id, c] : clients_) {
        if (!c.bcast) continue;
        for (const auto& p : c.prefixes) {
          std::vector<std::string> matched;
          for (size_t i : order) {
            if (c.noloop && writers[i] == id) continue;
            if (std::string_view(changed[i]).starts_with(p)) matched.push_back(changed[i]);
          }
          if (!matched.empty()) {
            messages.push_back({id, c.redirect,
                                std::make_shared<const std::vector<std::string>>(
                                    std::move(matched))});
          }
        }
      }
    }
  }
  Send(messages);
}

void TrackingTable::Send(std::vector<Message>& messages) {
  if (!deliver_) return;
  for (auto& m : messages) deliver_(m.source, m.redirect, std::move(m.keys));
}

void RememberReadKeys(TrackingTable& table, const commands::CommandSpec& spec,
                      client::Session& session, std::span<const std::string_view> args,
                      bool in_exec) {
  auto& t = session.tracking;
  if (!t.on) return;
  if (spec.container != nullptr && spec.container->name == "client") return;
  const bool caching = t.caching;
  if (!session.in_multi && !in_exec) t.caching = false;
  if (t.bcast || !(spec.flags & commands::kReadOnly)) return;
  if ((t.optin && !caching) || (t.optout && caching)) return;
  thread_local std::vector<commands::KeyRef> refs;
  thread_local std::vector<std::string_view> keys;
  refs.clear();
  if (!commands::ExtractKeys(spec, args, &refs) || refs.empty()) return;
  keys.clear();
  for (const auto& r : refs) keys.push_back(args[r.index]);
  table.Remember(session.id, keys);
}

size_t TrackingTable::keys() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

TrackingTable::Counts TrackingTable::counts() const {
  std::lock_guard lock(mu_);
  std::unordered_set<std::string_view> prefixes;
  for (const auto& [id, c] : clients_) {
    for (const auto& p : c.prefixes) prefixes.insert(p);
  }
  return {clients_.size(), keys_.size(), items_, prefixes.size()};
}

}  // namespace petacore::server
