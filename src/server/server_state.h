// src/server/server_state.h — what every connection shares: the store, the committer, the
// config, counters, and the registry of connected clients. Command handlers see it only
// through commands::ServerView, which it implements.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "auth/registry.h"
#include "client/session.h"
#include "commands/server_view.h"
#include "config/config.h"
#include "config/config_registry.h"
#include "expiry/evictor.h"
#include "expiry/index.h"
#include "keyspace/chunk_references.h"
#include "mvcc/store.h"
#include "replication/committer.h"
#include "replication/read_barrier.h"
#include "server/blocking.h"
#include "server/client_pause.h"
#include "server/deadline_queue.h"
#include "server/node_registry.h"
#include "server/observability.h"
#include "server/pubsub.h"
#include "server/tracking.h"

namespace petacore::server {

class ReplicaLag;

/// Shared, thread-safe server state. Owned by Server (or a test); outlives every connection.
/// The members the store's observers feed are declared before `store`, so they are built
/// before it and destroyed after it.
struct ServerState final : commands::ServerView {
  /// Subscribes the store's observers (server/store_observers.h), in their documented order.
  ServerState();
  ServerState(const ServerState&) = delete;
  ServerState& operator=(const ServerState&) = delete;

  config::Config config;
  /// Guards the Config's options that are not Live<> (strings) while CONFIG GET/SET/REWRITE
  /// and the cluster-wide option observer read or change them (config_registry.h).
  std::mutex config_mu;
  config::ClusterConfig cluster_config{&config, &config_mu};  // store observer: cluster-wide options
  BlockingRegistry blocking;   // store observer: wakes parked blocking commands
  expiry::Index expiry_index;  // store observer: keys with a TTL, for active expiry
  /// Store observer: the write ids under the chunk prefix and the meta keys referencing
  /// them, for the chunk cleaner (expiry/chunk_cleaner.h).
  keyspace::ChunkReferences chunk_references;
  auth::Registry acl;          // store observer: the ACL users
  TrackingTable tracking{&config};  // store observer: CLIENT TRACKING's invalidations
  PubSubHub pubsub{NewProcessId()};  // store observer: subscriptions and message delivery
  /// Replicated mode: true while replication's reload after compaction applies its batch
  /// (a null invalidation for tracking clients). Set once at start-up; null = never.
  std::function<bool()> reloading;
  mvcc::Store store;
  std::unique_ptr<replication::Committer> committer;
  int64_t start_ms = 0;
  /// Extra INFO lines from the replication side ("name:value\r\n"...), for the "petacore"
  /// section; set once at start-up.
  std::function<std::string()> replication_info;
  /// INFO lines of active expiry for a section ("stats" or "petacore"); set once at start-up.
  std::function<std::string(std::string_view section)> expiry_info;
  /// INFO lines of etcd compaction and defragmentation (issue 21), for the "petacore"
  /// section; set once at start-up (replicated mode).
  std::function<std::string()> etcd_housekeeping_info;
  /// server/allocator_trim.h's INFO lines (petacore section); empty until set in server.cc.
  std::function<std::string()> allocator_info;
  /// The access summaries' INFO lines (issue 17: expiry/access_reporter.h, remote_access.h),
  /// petacore section; set once at start-up in replicated mode.
  std::function<std::string()> access_summary_info;
  /// Eviction (issue 17, expiry/evictor.h): owned by server.cc, set once at start-up; null
  /// in tests. Its INFO lines join expiry_info's through InfoLines.
  std::atomic<const expiry::Evictor*> evictor{nullptr};

  std::atomic<int64_t> next_client_id{1};
  std::atomic<int64_t> total_connections{0};
  std::atomic<int64_t> total_commands{0};
  std::atomic<int64_t> commit_retries{0};
  /// INFO commit_conflict_revision_fetches: conflicts etcd refused without naming a revision
  /// (a check tree), after which the retry asked etcd for its revision (job.cc).
  std::atomic<int64_t> conflict_revision_fetches{0};
  std::atomic<int64_t> rejected_connections{0};
  /// Writes acknowledged after --etcd-timeout-ms although not yet applied here (driver.cc).
  std::atomic<int64_t> acks_before_visible{0};
  /// `write-ack committed`: the highest revision this node acknowledged a write at before
  /// applying it (0: none). A command that reads, arriving while the store is below it,
  /// first waits for it (read_fence.h AwaitApplied; job.cc, driver.cc): read-your-writes on
  /// this node, as under `applied`. Only grows (NoteAckedRevision).
  std::atomic<int64_t> acked_revision{0};
  /// INFO write_ack_fence_waits: commands that waited for acked_revision to be applied.
  std::atomic<int64_t> write_ack_fence_waits{0};
  /// Raises acked_revision to `revision` if below. Thread-safe.
  void NoteAckedRevision(int64_t revision) {
    int64_t cur = acked_revision.load(std::memory_order_relaxed);
    while (cur < revision &&
           !acked_revision.compare_exchange_weak(cur, revision, std::memory_order_release,
                                                 std::memory_order_relaxed)) {
    }
  }
  /// INFO keyspace_hits / keyspace_misses: key lookups of read-only commands (driver.cc
  /// CountKeyspaceLookups, as Redis's lookupKeyRead); since start or CONFIG RESETSTAT.
  std::atomic<int64_t> keyspace_hits{0};
  std::atomic<int64_t> keyspace_misses{0};
  /// Clients disconnected for client-output-buffer-limit (INFO
  /// client_output_buffer_limit_disconnections).
  std::atomic<int64_t> output_limit_disconnections{0};
  /// INFO stats total_net_input_bytes / total_net_output_bytes (bytes read from and
  /// written to client connections, replies and pushes) and total_reads_processed /
  /// total_writes_processed (socket reads; reply or push writes), as Redis 7.0 counts them;
  /// since start or CONFIG RESETSTAT. Updated by connection.cc.
  std::atomic<int64_t> net_input_bytes{0};
  std::atomic<int64_t> net_output_bytes{0};
  std::atomic<int64_t> reads_processed{0};
  std::atomic<int64_t> writes_processed{0};

  /// Connected clients, for CLIENT LIST and INFO clients. Sessions are registered by their
  /// connection for their lifetime; reading one from another thread is a benign race on
  /// strings written only by the owner — so CLIENT LIST copies under `clients_mu` and owners
  /// mutate listed fields under it too.
  std::mutex clients_mu;
  std::map<int64_t, client::Session*> clients;
  /// SLOWLOG, LATENCY, MONITOR, INFO commandstats/errorstats/latencystats (node-local).
  Observability observability{config, config_mu};
  /// CLIENT PAUSE / UNPAUSE: consulted by every connection before running a command.
  ClientPause pause;

  /// Replicated mode: batches the etcd revision fetches of linearizable reads
  /// (server/read_fence.h). Null in standalone mode. Set once at start-up.
  std::unique_ptr<replication::ReadBarrier> read_barrier;
  /// Replicated mode: the replica's lag and replica-max-lag-ms (replica_lag.h); owned by
  /// server.cc, set once at start-up; null in standalone mode.
  ReplicaLag* replica_lag = nullptr;
  /// The replicated path's bounds (ack-after-visible, read-fence timeouts) on one thread
  /// (deadline_queue.h). Declared after every member its functions use, so it is destroyed
  /// (its thread stopped) first.
  DeadlineQueue bounds;

  // commands::ServerView, for command handlers (thread-safe; see server_view.h).
  config::Config& Options() override { return config; }
  std::mutex& OptionsMutex() override { return config_mu; }
  auth::Registry& Acl() override { return acl; }
  std::mutex& ClientsMutex() override { return clients_mu; }
  const std::map<int64_t, client::Session*>& Clients() override { return clients; }
  void PauseClients(int64_t end_ms, bool all) override {
    pause.Pause(end_ms, all ? ClientPause::Mode::kAll : ClientPause::Mode::kWrite);
  }
  void UnpauseClients() override { pause.Unpause(); }
  commands::ServerStats Stats() override;
  void ResetStats() override;
  std::string InfoLines(std::string_view section) override;
  void TrackingOn(int64_t id, bool bcast, bool noloop, int64_t redirect,
                  std::span<const std::string> prefixes) override;
  void TrackingOff(int64_t id) override { tracking.Disable(id); }
  uint64_t PubSubProcess() override { return pubsub.process(); }
  int64_t PubSubReceivers(bool shard, std::string_view channel, int64_t revision) override {
    return pubsub.Receivers(shard, channel, revision);
  }
  std::vector<std::string> PubSubChannels(bool shard,
                                          std::optional<std::string_view> pattern) override {
    return pubsub.Channels(shard, pattern);
  }
  int64_t PubSubNumSub(bool shard, std::string_view channel) override {
    return pubsub.NumSub(shard, channel);
  }
  int64_t PubSubNumPat() override { return pubsub.NumPat(); }
  void DropSubscriptions(client::Session& session) override;
  commands::ObservabilityView& Observe() override { return observability; }
  /// Sends again the subscription deletes whose commit failed (etcd down); called
  /// periodically by the pub/sub lease keeper. Thread-safe.
  void RetrySubscriptionDrops();

  // The node registry and SHUTDOWN (issue 16): set once at start-up by RunServer.
  /// Replicated mode: this node's registry publisher (server/node_registry.h), null until it
  /// starts and in standalone mode; the store observer feeds it.
  std::atomic<NodeRegistry*> node_registry{nullptr};
  /// Stops the node as SIGTERM does (server.cc); null in tests.
  std::function<void()> shutdown;
  void AskNodeReports(int64_t revision) override {
    if (auto* r = node_registry.load(std::memory_order_acquire)) r->Ask(revision);
  }
  void Shutdown() override {
    if (shutdown) shutdown();
  }

 private:
  void CommitDrop(std::string start, std::string end);
  std::mutex drops_mu_;
  std::vector<std::pair<std::string, std::string>> failed_drops_;

 public:
};

}  // namespace petacore::server
