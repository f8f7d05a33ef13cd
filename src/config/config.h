// src/config/config.h — petacore-server's command line and config file.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/read_consistency.h"
#include "config/client_limits.h"
#include "keyspace/txn_view.h"

namespace petacore::config {

/// A setting that CONFIG SET may change while other threads read it: a relaxed atomic that
/// copies like a plain value and reads as T. Options of other types that CONFIG SET changes
/// (strings) are read only under the server's config mutex (commands::ServerView::OptionsMutex).
template <typename T>
class Live {
 public:
  Live(T v = T{}) : v_(v) {}  // NOLINT(google-explicit-constructor): reads/writes as a T
  Live(const Live& o) : v_(o.get()) {}
  Live& operator=(const Live& o) {
    v_.store(o.get(), std::memory_order_relaxed);
    return *this;
  }
  Live& operator=(T v) {
    v_.store(v, std::memory_order_relaxed);
    return *this;
  }
  operator T() const { return get(); }  // NOLINT(google-explicit-constructor)
  T get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<T> v_;
};

/// Settings, from flags or a config file of "name value" lines (Redis style) / "name=value"
/// (program_options style). Flags win over the file.
struct Config {
  std::string bind = "127.0.0.1";
  int port = 6379;
  std::vector<std::string> etcd_endpoints;  ///< empty = standalone mode
  std::string etcd_prefix = "/petacore/";
  int threads = 0;                           ///< io threads; 0 = number of cores
  keyspace::Isolation txn_isolation = keyspace::Isolation::kSerializable;
  std::chrono::milliseconds etcd_timeout{5000};  ///< deadline of each etcd call (writes)
  /// gRPC keepalive pings towards etcd (etcdlink::ClientOptions::keepalive); 0 = none.
  std::chrono::milliseconds etcd_keepalive{10000};
  /// etcd members silent for this long get no new requests (etcdlink ClientOptions); 0 = off
  std::chrono::milliseconds etcd_member_timeout{1000};
  Live<int> max_commit_retries = 100;              ///< conflict retries before an error reply
  // Group commit: limits of one etcd Txn as the etcd cluster enforces them (its own flags).
  size_t etcd_max_txn_ops = 128;             ///< etcd --max-txn-ops
  size_t etcd_max_request_bytes = 1536 * 1024;  ///< etcd --max-request-bytes
  int etcd_max_inflight_txns = 1;            ///< Txns in flight before requests queue up
  /// Group commit's cohort linger, µs (replication::GroupCommitOptions::linger_us); 0 = off.
  int64_t etcd_commit_linger_us = 2000;
  /// Linearizable reads: etcd revision fetches in flight at once (read-barrier-max-inflight).
  int read_barrier_max_inflight = 1;
  Live<uint64_t> proto_max_bulk_len = 512ull * 1024 * 1024;  ///< new connections take it
  std::string log_level = "info";  ///< spdlog's name (trace|debug|info|warn|error)
  /// Default read consistency of every connection (PETACORE READCONSISTENCY changes one
  /// connection's). Ignored in standalone mode, where every read is linearizable.
  Live<client::ReadConsistency> read_consistency = client::ReadConsistency::kLocal;
  /// `write-ack committed`: a replicated write is acknowledged on etcd's Txn response instead
  /// of once this node applied it; every later command on this node that reads first waits
  /// for this node to apply what it acknowledged (ServerState::acked_revision), so
  /// read-your-writes on the node holds. false = `applied` (the default).
  Live<bool> write_ack_committed = false;
  // Client and memory limits (Redis's names and semantics; see docs/operations.md, "Limits").
  Live<int> maxclients = 10000;              ///< Redis maxclients; lowered to fit RLIMIT_NOFILE
  Live<uint64_t> client_query_buffer_limit = 1024ull * 1024 * 1024;  ///< unparsed input/client
  /// Pending reply bytes per client; CONFIG SET applies to connected clients too, as Redis.
  /// Redis's default for normal clients is unlimited; ours is
  /// bounded so a client that never reads cannot grow the server without bound.
  LiveOutputBufferLimit client_output_buffer_limit{{1024ull * 1024 * 1024, 64ull * 1024 * 1024, 60}};
  /// The pubsub class (a client with a subscription): Redis's default 32mb 8mb 60.
  LiveOutputBufferLimit client_output_buffer_limit_pubsub{{32ull * 1024 * 1024, 8ull * 1024 * 1024, 60}};
  /// Redis tracking-table-max-keys: keys remembered for CLIENT TRACKING's default mode before
  /// random ones are evicted (and invalidated); 0 = no limit. Node-local (server/tracking.h).
  Live<int64_t> tracking_table_max_keys = 1000000;
  /// Local reads answer MASTERDOWN while the replica lags etcd by more than this (ms); 0 = off
  Live<int64_t> replica_max_lag_ms = 0;
  Live<int64_t> timeout_seconds = 0;         ///< Redis timeout: idle clients closed; 0 = never
  Live<uint64_t> maxmemory = 0;              ///< Redis maxmemory (bytes); 0 = no limit
  // The etcd link's TLS and auth (names as etcdctl's --cacert/--cert/--key/--user/--password);
  // all empty = plaintext, no auth. See etcdlink/security.h.
  std::string etcd_cacert;    ///< PEM file of the CA that signed etcd's server certificate
  std::string etcd_cert;      ///< PEM client certificate (etcd --client-cert-auth)
  std::string etcd_key;       ///< PEM private key of etcd_cert
  std::string etcd_user;      ///< etcd v3 auth user; empty = no auth
  std::string etcd_password;  ///< from --etcd-password, "user:password" or --etcd-password-file
  // RESP clients over TLS, as Redis's tls-* settings (see server/tls.h). --port 0 turns the
  // plain TCP listener off.
  int tls_port = 0;                     ///< 0 = no TLS listener
  std::string tls_cert_file;            ///< PEM certificate chain of the server
  std::string tls_key_file;             ///< PEM private key of tls_cert_file
  std::string tls_ca_cert_file;         ///< PEM CA bundle that client certificates must chain to
  std::string tls_auth_clients = "yes";  ///< yes | no | optional (Redis's default is yes)
  // Active expiry (src/expiry): one node at a time, elected through etcd, deletes due keys.
  std::string node_id;                       ///< election value; "" = "<hostname>:<port>"
  bool active_expiry = true;                 ///< false: keys expire only lazily (on access)
  int64_t expiry_lease_ttl_s = 3;            ///< lease of the expiry leader (s)
  int64_t pubsub_lease_ttl_s = 10;           ///< lease of this node's subscription keys (s)
  size_t expiry_max_inflight = 256;          ///< expiry deletes awaiting commit at once
  std::string aclfile;  ///< Redis's aclfile: ACL LOAD / ACL SAVE's node-local file ("" = none)
  /// Node registry (server/node_registry.h): the shortest time between two publishes of
  /// this node's record after data changes (ms); a WAIT's ask publishes at once.
  Live<int64_t> node_report_interval_ms = 1000;
  // Large values (keyspace/chunked_value.h, expiry/chunk_cleaner.h).
  Live<int64_t> chunk_cleaner_interval_ms = 5000;  ///< between two cleaner scans (ms)
  Live<int64_t> chunk_orphan_grace_ms = 60000;     ///< unreferenced + unchanged before delete
  /// RENAME / MOVE / COPY of a collection of more subkeys than this go through an
  /// incarnation (keyspace/incarnation.h); 0 makes every such move use one (tests).
  Live<int64_t> incarnation_min_subkeys = 4096;
  /// server/allocator_trim.h: time between two allocator purges (ms); 0 = never, the default
  /// (jemalloc purges by itself; docs/operations.md "Returning free heap to the system").
  Live<int64_t> allocator_trim_interval_ms = 0;
  std::string requirepass;     ///< the default user's password until ACL SETUSER default
  Live<bool> protected_mode = true;  ///< Redis's protected-mode (src/auth/protected_mode.h)
  /// The file given with --config ("" = none): what CONFIG REWRITE rewrites.
  std::string config_file;

  // Cluster-wide options (config_registry.h): the same on every node, stored in etcd by
  // CONFIG SET. Redis 7.0's defaults. OBJECT ENCODING reports encodings from these.
  Live<int64_t> hash_max_listpack_entries = 512;
  Live<int64_t> hash_max_listpack_value = 64;
  Live<int64_t> zset_max_listpack_entries = 128;
  Live<int64_t> zset_max_listpack_value = 64;
  Live<int64_t> set_max_intset_entries = 512;
  Live<int64_t> list_max_listpack_size = -2;
  Live<uint64_t> hll_sparse_max_bytes = 3000;  ///< sparse HLLs past it turn dense (hll.h)
  Live<int64_t> busy_reply_threshold_ms = 5000;  ///< lua-time-limit; scripts: a later issue
  /// Redis's eight names; eviction is issue 17: for now only OBJECT IDLETIME/FREQ and what a
  /// key access records follow it (keyspace/access.h).
  std::string maxmemory_policy = "noeviction";
  Live<int64_t> lfu_log_factor = 10;  ///< Redis's LFU counter growth (keyspace/access.h)
  Live<int64_t> lfu_decay_time = 1;   ///< minutes per LFU counter decrement (0 = no decay)
  // --- eviction (issue 17, src/expiry/evictor.h) ---
  Live<int64_t> maxmemory_samples = 5;            ///< Redis's maxmemory-samples
  Live<int64_t> maxmemory_eviction_tenacity = 10;  ///< Redis's, 0..100 (100 = no time limit)
  std::string notify_keyspace_events;  ///< as Redis's flags (normalized text)
  /// notify-keyspace-events as keyspace::notify bits, set with the text (any thread reads it).
  Live<int> notify_keyspace_flags = 0;
  /// acl-pubsub-default (Redis 7.0): true = allchannels, false = resetchannels (the default).
  /// The channels of users created afterwards and what ACL rule "reset" leaves.
  Live<bool> acl_pubsub_allchannels = false;
  // etcd housekeeping (issue 21; server/etcd_compactor.h, server/etcd_defragmenter.h,
  // docs/operations.md "etcd compaction and defragmentation"): cluster-wide, run by the
  // expiry leader.
  Live<bool> etcd_compaction = true;                 ///< no: never compact (shared etcd)
  Live<int64_t> etcd_compaction_interval_ms = 2000;  ///< shortest time between two compactions
  Live<int64_t> etcd_compaction_window = 1000;       ///< revisions kept below the oldest needed
  Live<bool> etcd_defrag = true;                     ///< no: never defragment
  Live<int64_t> etcd_defrag_ratio_percent = 150;     ///< dbSize > dbSizeInUse * this / 100 ...
  Live<uint64_t> etcd_defrag_min_bytes = 64ull << 20;  ///< ... and dbSize - dbSizeInUse > this
  Live<int64_t> etcd_defrag_interval_ms = 60000;     ///< shortest time between two defrags

  // Observability (node-local, as Redis's; server/observability.h, docs/operations.md).
  Live<int64_t> slowlog_log_slower_than = 10000;  ///< µs; -1 = off, 0 = every command
  Live<int64_t> slowlog_max_len = 128;
  Live<int64_t> latency_monitor_threshold = 0;   ///< ms; 0 = LATENCY events off
  Live<bool> latency_tracking = true;            ///< per-command latency histograms
  /// latency-tracking-info-percentiles, as given (space-separated, each 0..100); read under
  /// the options mutex.
  std::string latency_tracking_info_percentiles = "50 99 99.9";

  bool standalone() const { return etcd_endpoints.empty(); }
};

/// Parses argv (and the --config file) through the config registry (config_registry.h).
/// Returns nullopt after printing --help/--version (exit 0) or an error (then `exit_code` is
/// 1).
std::optional<Config> ParseCommandLine(int argc, char** argv, int* exit_code);

const char* IsolationName(keyspace::Isolation i);

}  // namespace petacore::config
