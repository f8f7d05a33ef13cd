// src/commands/server_view.h — the few server facts and shared registries that admin commands
// (INFO, CLIENT, CONFIG, ACL, AUTH, HELLO, PETACORE, OBJECT ENCODING's thresholds) need, as
// an interface: a command handler sees this and never a src/server/ header. The server layer
// implements it (server::ServerState); tests may too.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/registry.h"
#include "client/session.h"
#include "commands/observability_view.h"
#include "config/config.h"
#include "mvcc/store.h"

namespace petacore::commands {

/// Counters and figures of INFO, read at one moment (each one atomically, not all together).
struct ServerStats {
  int64_t start_ms = 0;              ///< server start, ms since the epoch
  int64_t connected_clients = 0;     ///< INFO clients
  int64_t blocked_clients = 0;       ///< parked blocking commands (BLPOP ...)
  int64_t total_connections = 0;     ///< since start or CONFIG RESETSTAT
  int64_t total_commands = 0;        ///< idem
  int64_t rejected_connections = 0;  ///< idem (maxclients)
  int64_t commit_retries = 0;        ///< idem (conflicting commits run again)
  int64_t conflict_revision_fetches = 0;  ///< idem (retries that asked etcd its revision)
  int64_t acks_before_visible = 0;   ///< idem (acked after --etcd-timeout-ms, not yet applied)
  int64_t write_ack_fence_waits = 0;  ///< idem (commands that waited, `write-ack committed`)
  int64_t output_limit_disconnections = 0;  ///< idem (client-output-buffer-limit, as Redis 7.2)
  mvcc::Stats store;                 ///< the local replica's size figures
  int64_t applied_revision = 0;      ///< the replica's applied etcd revision
  int64_t compacted_revision = 0;    ///< the replica's compacted revision
  int64_t apply_waiters = 0;         ///< pending Store::OnApplied callbacks
  // INFO stats
  int64_t tracking_keys = 0;         ///< keys CLIENT TRACKING remembers (tracking_total_keys)
  int64_t tracking_clients = 0;      ///< clients with CLIENT TRACKING on
  int64_t tracking_items = 0;        ///< (key, client) pairs remembered (tracking_total_items)
  int64_t tracking_prefixes = 0;     ///< distinct BCAST prefixes (tracking_total_prefixes)
  int64_t net_input_bytes = 0;       ///< bytes read from clients, since start or RESETSTAT
  int64_t net_output_bytes = 0;      ///< bytes written to clients, idem
  int64_t reads_processed = 0;       ///< socket reads of client connections, idem
  int64_t writes_processed = 0;      ///< reply / push writes to clients, idem
};

/// What a handler may ask of the server beyond its own session and transaction. Every
/// reference returned lives as long as the server (longer than any command). Thread-safe:
/// handlers of many connections call it concurrently; the locking rules are per method.
class ServerView {
 public:
  virtual ~ServerView() = default;

  /// The server's options. Live<> options may be read or set from any thread; the others
  /// (strings) only while holding OptionsMutex() (see config/config_registry.h).
  virtual config::Config& Options() = 0;
  /// Guards the non-Live<> options of Options() (CONFIG GET/SET/REWRITE, the cluster-wide
  /// option observer).
  virtual std::mutex& OptionsMutex() = 0;

  /// The ACL users (thread-safe itself; auth/registry.h).
  virtual auth::Registry& Acl() = 0;

  /// Guards Clients() and the fields of any session that CLIENT LIST shows (name, lib_name,
  /// lib_ver, user_name): their owner changes them under it, other threads read them under it.
  virtual std::mutex& ClientsMutex() = 0;
  /// The connected clients by CLIENT ID. Only while holding ClientsMutex().
  virtual const std::map<int64_t, client::Session*>& Clients() = 0;

  /// CLIENT PAUSE: holds the commands of this node's clients until `end_ms` (ms since the
  /// epoch) — every command when `all`, else those that may write — as Redis 7.0; a running
  /// pause keeps the later deadline and the wider mode. Node-local (docs/consistency.md).
  virtual void PauseClients(int64_t end_ms, bool all) = 0;
  /// CLIENT UNPAUSE: ends the pause; held commands run at once.
  virtual void UnpauseClients() = 0;

  /// INFO's counters and figures, now.
  virtual ServerStats Stats() = 0;
  /// CONFIG RESETSTAT: zeroes the counters that Redis resets (connections, commands,
  /// rejected connections) and PetaCore's own (commit retries, acks before visible).
  virtual void ResetStats() = 0;
  /// Extra INFO lines ("name:value\r\n"...) that other layers add to a section: active
  /// expiry's to "stats" and "petacore", replication's to "petacore"; "" when none.
  virtual std::string InfoLines(std::string_view section) = 0;

  /// CLIENT TRACKING on (server/tracking.h): client `id` is tracked in the given mode;
  /// `prefixes`: all its BCAST prefixes ("" = every key; empty when not BCAST).
  /// Called by the client's own connection thread, after checking the options as Redis.
  virtual void TrackingOn(int64_t id, bool bcast, bool noloop, int64_t redirect,
                          std::span<const std::string> prefixes) = 0;
  /// CLIENT TRACKING off, RESET: client `id` no longer tracked. Idempotent.
  virtual void TrackingOff(int64_t id) = 0;

  // Pub/sub across the cluster (server/pubsub.h); thread-safe.
  /// This server process's id in subscription keys (keyspace::SubscriptionKey).
  virtual uint64_t PubSubProcess() = 0;
  /// PUBLISH / SPUBLISH's reply: receivers of `channel` cluster-wide as of `revision` (the
  /// publish's own revision, applied here; 0 = now).
  virtual int64_t PubSubReceivers(bool shard, std::string_view channel, int64_t revision) = 0;
  /// PUBSUB CHANNELS / SHARDCHANNELS [pattern], cluster-wide.
  virtual std::vector<std::string> PubSubChannels(bool shard,
                                                  std::optional<std::string_view> pattern) = 0;
  /// PUBSUB NUMSUB / SHARDNUMSUB of one channel, cluster-wide.
  virtual int64_t PubSubNumSub(bool shard, std::string_view channel) = 0;
  /// PUBSUB NUMPAT: distinct patterns, cluster-wide.
  virtual int64_t PubSubNumPat() = 0;
  /// RESET (and the connection's end): forgets every subscription of `session` (its
  /// connection thread) and deletes their keys with a commit in the background (retried while
  /// etcd fails; the node's lease bounds how long a failed delete can linger).
  virtual void DropSubscriptions(client::Session& session) = 0;

  // The node registry (server/node_registry.h) and the node's life; no-ops by default (tests,
  // standalone mode).
  /// WAIT: asks every node to publish its record at once unless an earlier ask covers
  /// `revision` (the caller waits for records with applied >= revision). Never blocks.
  virtual void AskNodeReports(int64_t revision) { (void)revision; }
  /// SHUTDOWN: stops the node as SIGTERM does (connections closed, leases revoked, exit 0).
  /// Returns at once; the stop runs on the server's threads.
  virtual void Shutdown() {}
  /// SLOWLOG, LATENCY, MONITOR: this node's observability registries (observability_view.h).
  virtual ObservabilityView& Observe() = 0;
};

}  // namespace petacore::commands
