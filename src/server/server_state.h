// src/server/server_state.h — what every connection shares: the store, the committer, the
// config, counters, and the registry of connected clients.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "expiry/index.h"
#include "auth/registry.h"
#include "mvcc/store.h"
#include "replication/committer.h"
#include "replication/read_barrier.h"
#include "server/blocking.h"
#include "server/config.h"
#include "server/config_registry.h"
#include "server/session.h"

namespace petacore::server {

/// Shared, thread-safe server state. Owned by Server; outlives every connection.
struct ServerState {
  ServerState() {
    store.SetApplyObserver([this](int64_t revision, std::span<const mvcc::Mutation> batch) {
      blocking.Notify(batch);
      cluster_config.OnApplied(batch);  // cluster-wide CONFIG SET values
      expiry_index.Observe(revision, batch);
      // ACL users stored as internal keys (src/auth/registry.h); as Redis, the clients of
      // a deleted user are disconnected.
      for (const auto& name : acl.OnApplied(batch)) {
        std::lock_guard lock(clients_mu);
        for (auto& [id, s] : clients) {
          if (s->user_name == name && s->disconnect) s->disconnect();
        }
      }
    });
  }
  ServerState(const ServerState&) = delete;
  ServerState& operator=(const ServerState&) = delete;

  Config config;
  /// Guards the Config's options that are not Live<> (strings) while CONFIG GET/SET/REWRITE
  /// and the cluster-wide option observer read or change them (config_registry.h).
  std::mutex config_mu;
  ClusterConfig cluster_config{&config, &config_mu};  // before `store`: fed by its observer
  BlockingRegistry blocking;  // before `store`: the store's observer calls into it
  expiry::Index expiry_index;  // before `store` too: keys with a TTL, for active expiry
  auth::Registry acl;         // before `store` too: the ACL users, rebuilt by the observer
  mvcc::Store store;
  std::unique_ptr<replication::Committer> committer;
  int64_t start_ms = 0;
  /// Extra INFO lines from the replication side ("name:value\r\n"...), for the "petacore"
  /// section; set once at start-up.
  std::function<std::string()> replication_info;
  /// INFO lines of active expiry for a section ("stats" or "petacore"); set once at start-up.
  std::function<std::string(std::string_view section)> expiry_info;

  std::atomic<int64_t> next_client_id{1};
  std::atomic<int64_t> total_connections{0};
  std::atomic<int64_t> total_commands{0};
  std::atomic<int64_t> commit_retries{0};
  std::atomic<int64_t> rejected_connections{0};
  /// Writes acknowledged after --etcd-timeout-ms although not yet applied here (driver.cc).
  std::atomic<int64_t> acks_before_visible{0};

  /// Connected clients, for CLIENT LIST and INFO clients. Sessions are registered by their
  /// connection for their lifetime; reading one from another thread is a benign race on
  /// strings written only by the owner — so CLIENT LIST copies under `clients_mu` and owners
  /// mutate listed fields under it too.
  std::mutex clients_mu;
  std::map<int64_t, Session*> clients;

  /// Replicated mode: batches the etcd revision fetches of linearizable reads
  /// (server/read_fence.h). Null in standalone mode. Set once at start-up.
  std::unique_ptr<replication::ReadBarrier> read_barrier;
};

}  // namespace petacore::server
