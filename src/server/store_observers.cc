// store_observers.cc — the store's apply observers, in the order store_observers.h documents.
#include "server/store_observers.h"

#include <mutex>
#include <span>

#include "keyspace/encoding.h"

namespace petacore::server {
namespace {

// FLUSHALL/FLUSHDB reach every node as the deletes of every key (etcd's watch carries no
// range): a batch that deletes keys of a database and leaves it empty is taken as a flush.
// A DEL of a database's last keys is then a flush too — a null invalidation, which asks the
// client for more than the keys (never less).
bool EmptiesADatabase(const mvcc::Store& store, std::span<const mvcc::Mutation> batch) {
  bool deleted[keyspace::kNumDatabases] = {};
  bool any = false;
  for (const auto& m : batch) {
    if (m.kind != mvcc::Mutation::Kind::kDelete || m.key.empty()) continue;
    auto db = static_cast<unsigned char>(m.key[0]);
    if (db < keyspace::kNumDatabases) deleted[db] = any = true;
  }
  if (!any) return false;
  mvcc::Snapshot snap = store.Read();
  for (int db = 0; db < keyspace::kNumDatabases; ++db) {
    if (!deleted[db]) continue;
    if (snap.Range(keyspace::DbStart(db), keyspace::DbEnd(db), 1,
                   [](const mvcc::KeyValue&) { return false; }) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

void SubscribeStoreObservers(ServerState& state) {
  state.store.SetApplyObserver([&state](int64_t revision, std::span<const mvcc::Mutation> batch) {
    state.cluster_config.OnApplied(batch);
    std::vector<std::string> narrowed;  // users whose channel rules lost a pattern
    for (const auto& name : state.acl.OnApplied(batch, &narrowed)) {
      std::lock_guard lock(state.clients_mu);
      for (auto& [id, s] : state.clients) {
        if (s->user_name == name && s->disconnect) s->disconnect();
      }
    }
    // ACL channel revocation: their subscribers are re-checked on their own threads.
    for (const auto& name : narrowed) {
      std::lock_guard lock(state.clients_mu);
      for (auto& [id, s] : state.clients) {
        if (s->user_name == name && s->recheck_channels) s->recheck_channels();
      }
    }
    state.expiry_index.Observe(revision, batch);
    state.chunk_references.Observe(revision, batch);
    if (state.tracking.active()) {
      bool flush = (state.reloading && state.reloading()) || EmptiesADatabase(state.store, batch);
      state.tracking.OnApplied(batch, flush);
    }
    state.pubsub.OnApplied(revision, batch, state.reloading && state.reloading());
    if (auto* r = state.node_registry.load(std::memory_order_acquire)) r->OnApplied(batch);
    state.blocking.Notify(batch);
  });
}

}  // namespace petacore::server
