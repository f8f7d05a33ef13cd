// server_state.cc — ServerState's start-up subscription and its commands::ServerView side.
#include "server/server_state.h"

#include "server/store_observers.h"

#include <utility>

#include "keyspace/messages.h"

namespace petacore::server {

ServerState::ServerState() {
  tracking.SetDeliver([this](int64_t source, int64_t redirect,
                             std::shared_ptr<const std::vector<std::string>> keys) {
    std::lock_guard lock(clients_mu);
    auto it = clients.find(redirect != 0 ? redirect : source);
    if (it != clients.end()) {
      if (it->second->push_invalidation) it->second->push_invalidation(std::move(keys), 0, redirect != 0);
      return;
    }
    // A REDIRECT target gone: the source is told (Redis's tracking-redir-broken).
    if (redirect == 0) return;
    it = clients.find(source);
    if (it != clients.end() && it->second->push_invalidation) {
      it->second->push_invalidation(nullptr, redirect, false);
    }
  });
  pubsub.SetDeliver([this](PubSubHub::Deliveries& deliveries) {
    // The push functions run after clients_mu is released. A push locks its connection's
    // weak_ptr; when the connection closes meanwhile, that lock is the last reference, and
    // ~Connection takes clients_mu to leave `clients`: called under the lock, the Applier
    // deadlocked on itself, and every io thread after it (seen in CI as a node that stopped
    // answering in test_pubsub_cluster). Copies of the functions stay valid without the lock
    // (they hold a weak_ptr and the executor).
    using Push = std::function<void(std::shared_ptr<const client::PubSubDelivery>)>;
    std::vector<std::pair<Push, std::shared_ptr<const client::PubSubDelivery>>> calls;
    calls.reserve(deliveries.size());
    {
      std::lock_guard lock(clients_mu);
      for (auto& [id, delivery] : deliveries) {
        auto it = clients.find(id);
        if (it != clients.end() && it->second->push_messages) {
          calls.emplace_back(it->second->push_messages, std::move(delivery));
        }
      }
    }
    for (auto& [push, delivery] : calls) push(std::move(delivery));
  });
  SubscribeStoreObservers(*this);
}

void ServerState::DropSubscriptions(client::Session& session) {
  session.channels.clear();
  session.patterns.clear();
  session.shard_channels.clear();
  if (!std::exchange(session.pubsub_keys, false)) return;
  CommitDrop(keyspace::ClientSubscriptionsStart(pubsub.process(), session.id),
             keyspace::ClientSubscriptionsEnd(pubsub.process(), session.id));
}

void ServerState::CommitDrop(std::string start, std::string end) {
  replication::CommitRequest req;
  req.writes.push_back({replication::WriteOp::Kind::kDeleteRange, start, {}, end});
  committer->Commit(std::move(req), [this, start, end](replication::CommitResult r) {
    if (r.status == replication::CommitResult::Status::kCommitted) return;
    std::lock_guard lock(drops_mu_);
    failed_drops_.emplace_back(start, end);
  });
}

void ServerState::RetrySubscriptionDrops() {
  std::vector<std::pair<std::string, std::string>> drops;
  {
    std::lock_guard lock(drops_mu_);
    drops.swap(failed_drops_);
  }
  for (auto& [start, end] : drops) CommitDrop(std::move(start), std::move(end));
}

void ServerState::TrackingOn(int64_t id, bool bcast, bool noloop, int64_t redirect,
                             std::span<const std::string> prefixes) {
  TrackingTable::Mode mode{.bcast = bcast, .noloop = noloop, .redirect = redirect,
                           .prefixes = {prefixes.begin(), prefixes.end()}};
  tracking.Enable(id, mode);
}

commands::ServerStats ServerState::Stats() {
  commands::ServerStats st;
  st.start_ms = start_ms;
  {
    std::lock_guard lock(clients_mu);
    st.connected_clients = static_cast<int64_t>(clients.size());
  }
  st.blocked_clients = static_cast<int64_t>(blocking.size());
  st.total_connections = total_connections.load();
  st.total_commands = total_commands.load();
  st.rejected_connections = rejected_connections.load();
  st.commit_retries = commit_retries.load();
  st.conflict_revision_fetches = conflict_revision_fetches.load();
  st.acks_before_visible = acks_before_visible.load();
  st.write_ack_fence_waits = write_ack_fence_waits.load();
  st.output_limit_disconnections = output_limit_disconnections.load();
  st.store = store.stats();
  st.applied_revision = store.applied_revision();
  st.compacted_revision = store.compacted_revision();
  st.apply_waiters = static_cast<int64_t>(store.pending_on_applied());
  {
    const TrackingTable::Counts t = tracking.counts();
    st.tracking_keys = static_cast<int64_t>(t.keys);
    st.tracking_clients = static_cast<int64_t>(t.clients);
    st.tracking_items = static_cast<int64_t>(t.items);
    st.tracking_prefixes = static_cast<int64_t>(t.prefixes);
    st.net_input_bytes = net_input_bytes.load(std::memory_order_relaxed);
    st.net_output_bytes = net_output_bytes.load(std::memory_order_relaxed);
    st.reads_processed = reads_processed.load(std::memory_order_relaxed);
    st.writes_processed = writes_processed.load(std::memory_order_relaxed);
  }
  return st;
}

void ServerState::ResetStats() {
  for (auto* counter : {&total_commands, &total_connections, &commit_retries,
                        &conflict_revision_fetches, &rejected_connections,
                        &acks_before_visible, &write_ack_fence_waits,
                        &output_limit_disconnections, &keyspace_hits, &keyspace_misses,
                        &net_input_bytes, &net_output_bytes, &reads_processed,
                        &writes_processed}) {
    counter->store(0, std::memory_order_relaxed);
  }
  observability.ResetStats();
}

std::string ServerState::InfoLines(std::string_view section) {
  std::string lines;
  if (section == "petacore" && replication_info) lines += replication_info();
  if (section == "stats") {
    lines += "keyspace_hits:" + std::to_string(keyspace_hits.load()) + "\r\n";
    lines += "keyspace_misses:" + std::to_string(keyspace_misses.load()) + "\r\n";
  }
  if (expiry_info) lines += expiry_info(section);
  if (section == "petacore" && etcd_housekeeping_info) lines += etcd_housekeeping_info();
  if (section == "petacore" && allocator_info) lines += allocator_info();
  if (section == "petacore" && access_summary_info) lines += access_summary_info();
  if (auto* e = evictor.load(std::memory_order_acquire)) lines += e->InfoLines(section);
  lines += observability.InfoLines(section);
  return lines;
}

}  // namespace petacore::server
