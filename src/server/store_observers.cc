// store_observers.cc — the store's apply observers, in the order store_observers.h documents.
#include "server/store_observers.h"

#include <mutex>
#include <span>

namespace petacore::server {

void SubscribeStoreObservers(ServerState& state) {
  state.store.SetApplyObserver([&state](int64_t revision, std::span<const mvcc::Mutation> batch) {
    state.cluster_config.OnApplied(batch);
    for (const auto& name : state.acl.OnApplied(batch)) {
      std::lock_guard lock(state.clients_mu);
      for (auto& [id, s] : state.clients) {
        if (s->user_name == name && s->disconnect) s->disconnect();
      }
    }
    state.expiry_index.Observe(revision, batch);
    state.blocking.Notify(batch);
  });
}

}  // namespace petacore::server
