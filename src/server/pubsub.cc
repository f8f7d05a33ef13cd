#include "server/pubsub.h"

#include <algorithm>
#include <random>

#include "commands/glob.h"

namespace petacore::server {

using keyspace::MessageKind;
using keyspace::SubscriptionKind;

uint64_t NewProcessId() {
  std::random_device rd;
  uint64_t id = 0;
  while (id == 0) id = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return id;
}

int PubSubHub::Index(SubscriptionKind kind) {
  switch (kind) {
    case SubscriptionKind::kChannel: return 0;
    case SubscriptionKind::kPattern: return 1;
    case SubscriptionKind::kShard: return 2;
  }
  return 0;
}

void PubSubHub::ApplySubscription(int64_t revision, const mvcc::Mutation& m) {
  auto d = keyspace::DecodeSubscriptionKey(m.key);
  if (!d.ok) return;
  const int i = Index(d.kind);
  const std::string name(d.name);
  if (m.kind == mvcc::Mutation::Kind::kPut) {
    if (!keys_.insert(m.key).second) return;  // already counted
    ++totals_[i][name];
    recent_.push_back({revision, i, name, +1});
    if (recent_.size() > kRecentChanges) recent_.pop_front();
    if (d.process == process_) local_[i][name].insert(d.client_id);
    return;
  }
  if (keys_.erase(m.key) == 0) return;
  recent_.push_back({revision, i, name, -1});
  if (recent_.size() > kRecentChanges) recent_.pop_front();
  if (auto it = totals_[i].find(name); it != totals_[i].end() && --it->second <= 0) {
    totals_[i].erase(it);
  }
  if (d.process == process_) {
    if (auto it = local_[i].find(name); it != local_[i].end()) {
      it->second.erase(d.client_id);
      if (it->second.empty()) local_[i].erase(it);
    }
  }
}

void PubSubHub::Collect(std::string_view record,
                        std::unordered_map<int64_t, std::shared_ptr<client::PubSubDelivery>>* out,
                        std::vector<int64_t>* order) {
  if (local_[0].empty() && local_[1].empty() && local_[2].empty()) return;
  std::shared_ptr<const std::string> owner;  // copied at the first match only
  auto add = [&](int64_t id, char type, const std::string* pattern, std::string_view channel,
                 std::string_view payload) {
    if (!owner) owner = std::make_shared<const std::string>(record);
    auto rebase = [&](std::string_view v) {  // a view of `record` -> the same bytes of `owner`
      return std::string_view(*owner).substr(static_cast<size_t>(v.data() - record.data()),
                                             v.size());
    };
    channel = rebase(channel);
    payload = rebase(payload);
    auto& d = (*out)[id];
    if (!d) {
      d = std::make_shared<client::PubSubDelivery>();
      order->push_back(id);
    }
    if (d->records.empty() || d->records.back() != owner) d->records.push_back(owner);
    d->items.push_back({type, pattern ? *pattern : std::string(), channel, payload});
  };
  keyspace::ForEachMessage(record, [&](MessageKind kind, std::string_view channel,
                                       std::string_view payload) {
    if (kind == MessageKind::kShard) {
      if (auto it = local_[2].find(std::string(channel)); it != local_[2].end()) {
        for (int64_t id : it->second) add(id, 's', nullptr, channel, payload);
      }
      return;
    }
    if (auto it = local_[0].find(std::string(channel)); it != local_[0].end()) {
      for (int64_t id : it->second) add(id, 'm', nullptr, channel, payload);
    }
    for (const auto& [pattern, ids] : local_[1]) {
      if (!commands::GlobMatch(pattern, channel)) continue;
      for (int64_t id : ids) add(id, 'p', &pattern, channel, payload);
    }
  });
}

void PubSubHub::OnApplied(int64_t revision, std::span<const mvcc::Mutation> batch,
                          bool reloading) {
  std::unordered_map<int64_t, std::shared_ptr<client::PubSubDelivery>> deliveries;
  std::vector<int64_t> order;
  {
    std::lock_guard lock(mu_);
    for (const auto& m : batch) {
      if (m.key.empty() || static_cast<unsigned char>(m.key[0]) != 0xff) continue;
      if (m.key.starts_with(keyspace::kSubscriptionPrefix)) {
        ApplySubscription(revision, m);
      } else if (!reloading && m.kind == mvcc::Mutation::Kind::kPut &&
                 m.key.starts_with(keyspace::kMessageRecordPrefix)) {
        // Subscriptions earlier in this batch are in effect for its messages: the batch is
        // one revision, and a subscription committed in it was committed before them.
        Collect(m.value, &deliveries, &order);
      }
    }
  }
  if (!deliver_ || order.empty()) return;
  Deliveries out;
  out.reserve(order.size());
  for (int64_t id : order) out.emplace_back(id, std::move(deliveries[id]));
  deliver_(out);
}

int64_t PubSubHub::Receivers(bool shard, std::string_view channel, int64_t revision) const {
  std::lock_guard lock(mu_);
  const std::string name(channel);
  int64_t n = 0;
  if (shard) {
    auto it = totals_[2].find(name);
    n = it == totals_[2].end() ? 0 : it->second;
  } else {
    if (auto it = totals_[0].find(name); it != totals_[0].end()) n += it->second;
    for (const auto& [pattern, count] : totals_[1]) {
      if (commands::GlobMatch(pattern, channel)) n += count;
    }
  }
  if (revision <= 0) return n;
  // Take back what changed after `revision` (a subscription committed later is not counted).
  for (auto it = recent_.rbegin(); it != recent_.rend() && it->revision > revision; ++it) {
    const bool counts = shard ? (it->index == 2 && it->name == name)
                              : (it->index == 0 && it->name == name) ||
                                    (it->index == 1 && commands::GlobMatch(it->name, channel));
    if (counts) n -= it->delta;
  }
  return n;
}

std::vector<std::string> PubSubHub::Channels(bool shard,
                                             std::optional<std::string_view> pattern) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, count] : totals_[shard ? 2 : 0]) {
    if (!pattern || commands::GlobMatch(*pattern, name)) out.push_back(name);
  }
  return out;
}

int64_t PubSubHub::NumSub(bool shard, std::string_view channel) const {
  std::lock_guard lock(mu_);
  const auto& t = totals_[shard ? 2 : 0];
  auto it = t.find(std::string(channel));
  return it == t.end() ? 0 : it->second;
}

int64_t PubSubHub::NumPat() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(totals_[1].size());
}

std::vector<int64_t> PubSubHub::LocalClients() const {
  std::lock_guard lock(mu_);
  std::unordered_set<int64_t> ids;
  for (const auto& local : local_) {
    for (const auto& [name, clients] : local) ids.insert(clients.begin(), clients.end());
  }
  return {ids.begin(), ids.end()};
}

}  // namespace petacore::server
