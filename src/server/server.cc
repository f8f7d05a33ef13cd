#include "server/server.h"

#include <unistd.h>

#include <utility>

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "commands/lua_busy.h"
#include "commands/table.h"
#include "etcdlink/client.h"
#include "expiry/access_reporter.h"
#include "expiry/active_expiry.h"
#include "keyspace/encoding.h"
#include "keyspace/messages.h"
#include "replication/etcd_committer.h"
#include "replication/local_committer.h"
#include "expiry/chunk_cleaner.h"
#include "expiry/tombstone_cleaner.h"
#include "expiry/remote_access.h"
#include "keyspace/chunked_value.h"
#include "server/stored_format.h"
#include "replication/sync.h"
#include "server/allocator_trim.h"
#include "server/connection.h"
#include "server/driver.h"
#include "server/etcd_compactor.h"
#include "server/etcd_defragmenter.h"
#include "server/etcd_options.h"
#include "server/fd_limit.h"
#include "server/node_registry.h"
#include "server/pubsub_lease.h"
#include "server/replica_lag.h"
#include "server/stack_thread.h"
#include "server/tls.h"

namespace petacore::server {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

/// As Redis's acceptCommonHandler: with maxclients clients connected, a new one is sent
/// "-ERR max number of clients reached" and closed (counted in INFO rejected_connections).
bool RejectOverMaxclients(tcp::socket& socket, ServerState& state) {
  {
    std::lock_guard lock(state.clients_mu);
    if (state.clients.size() < static_cast<size_t>(state.config.maxclients)) return false;
  }
  static constexpr std::string_view kError = "-ERR max number of clients reached\r\n";
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);  // best effort, as Redis: never wait on this client
  socket.write_some(asio::buffer(kError), ignored);
  socket.close(ignored);
  state.rejected_connections.fetch_add(1, std::memory_order_relaxed);
  return true;
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor,
                             std::vector<std::unique_ptr<asio::io_context>>& contexts,
                             ServerState& state, Driver& driver) {
  size_t next = 0;
  for (;;) {
    auto& ctx = *contexts[next++ % contexts.size()];
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(
        ctx, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::warn("accept: {}", ec.message());
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
        // Out of descriptors: the connection stays in the backlog and accept() would fail
        // again at once; pause instead of spinning until a client goes away.
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      continue;
    }
    if (RejectOverMaxclients(socket, state)) continue;
    auto conn = std::make_shared<Connection>(std::move(socket), state, driver);
    asio::co_spawn(ctx, conn->Run(conn), asio::detached);
  }
}

/// Lets a busy script on this io thread serve the thread's other connections from its hook
/// (commands/lua_busy.h, docs/architecture.md "Busy scripts"): runs up to 64 ready handlers
/// of `ctx` — Boost.Asio's scheduler supports poll_one nested in a handler of the same
/// io_context — and reports whether `ctx` is still running.
void InstallBusyScriptPump(asio::io_context& ctx) {
  commands::lua::SetThreadEventPump([&ctx] {
    for (int i = 0; i < 64 && ctx.poll_one() > 0; ++i) {
    }
    return !ctx.stopped();
  });
}

/// The "host:port" this node publishes in the node registry: --bind and --port (the TLS
/// port when --port is 0); a wildcard bind publishes the host name instead.
std::string AdvertisedAddress(const config::Config& config) {
  std::string host = config.bind;
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "*") {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) == 0) host = name;
  }
  return host + ":" + std::to_string(config.port != 0 ? config.port : config.tls_port);
}

/// Whether this node samples its accesses for the access summary: maxmemory is set and the
/// policy ranks keys by access (LRU or LFU).
bool AccessSamplingWanted(ServerState& state) {
  if (state.config.maxmemory.get() == 0) return false;
  std::lock_guard lock(state.config_mu);
  const std::string& p = state.config.maxmemory_policy;
  return p.ends_with("-lru") || p.ends_with("-lfu");
}

/// Whether it publishes the summary: the data's memory is at half of maxmemory or more, so
/// a summary is in etcd well before eviction starts, and a node far from its limit writes
/// none.
bool AccessSummaryWanted(ServerState& state) {
  return state.store.stats().bytes * 2 >= state.config.maxmemory.get();
}

}  // namespace

int RunServer(const config::Config& config) {
  auto started = std::chrono::steady_clock::now();
  ServerState state;
  state.config = config;
  config::PublishAccessSettings(state.config);  // key access data follows the policy
  int maxclients = state.config.maxclients;
  if (!AdjustOpenFilesLimit(&maxclients)) return 1;
  state.config.maxclients = maxclients;
  state.start_ms = keyspace::NowMs();
  commands::Table();  // build the command table before any thread uses it
  state.acl.Configure(config.requirepass);

  std::unique_ptr<etcdlink::Client> client;
  std::unique_ptr<replication::Sync> sync;
  std::unique_ptr<ReplicaLag> replica_lag;  // after sync: stopped before it
  replication::EtcdCommitter* etcd_committer = nullptr;
  keyspace::ChunkingCommitter* chunking = nullptr;
  int64_t keys_loaded = 0;
  const std::string record_prefix = keyspace::MessageRecordPrefix(config.node_id);
  std::unique_ptr<PubSubLease> pubsub_lease;
  std::function<std::string()> cleaner_lines;  // the chunk cleaner's INFO, once it runs
  std::unique_ptr<NodeRegistry> node_registry;
  if (config.standalone()) {
    state.committer =
        std::make_unique<replication::LocalCommitter>(state.store, 10000, record_prefix);
  } else {
    auto client_options = EtcdClientOptions(config);
    if (!client_options.ok()) {
      spdlog::error("etcd link: {}", std::string(client_options.status().message()));
      return 1;
    }
    client = std::make_unique<etcdlink::Client>(std::move(*client_options));
    // This node's subscriptions live under a lease of its own (server/pubsub_lease.h).
    pubsub_lease = std::make_unique<PubSubLease>(
        *client, config.pubsub_lease_ttl_s,
        [&state] {
          std::lock_guard lock(state.clients_mu);
          for (auto& [id, s] : state.clients) {
            if (s->sub_count + s->psub_count + s->ssub_count > 0 && s->disconnect) s->disconnect();
          }
          // The node's registry record went with the old lease: publish it again.
          if (auto* r = state.node_registry.load(std::memory_order_acquire)) r->MarkDirty();
        },
        [&state] { state.RetrySubscriptionDrops(); });
    auto committer = std::make_unique<replication::EtcdCommitter>(
        *client, config.etcd_prefix,
        replication::GroupCommitOptions{
            .max_txn_ops = config.etcd_max_txn_ops,
            .max_request_bytes = config.etcd_max_request_bytes,
            .max_in_flight = config.etcd_max_inflight_txns,
            .linger_us = config.etcd_commit_linger_us,
            .message_record_prefix = record_prefix,
            .leased_prefix = std::string(keyspace::kSubscriptionPrefix),
            .lease = [l = pubsub_lease.get()] { return l->id(); }});
    etcd_committer = committer.get();
    // Large values: strings above one etcd request are staged in chunks (chunked_value.h);
    // the decorator owns the EtcdCommitter it wraps.
    chunking = new keyspace::ChunkingCommitter(
        std::move(committer), state.store,
        {.chunk_bytes = keyspace::ChunkBytesFor(config.etcd_max_request_bytes),
         .max_request_bytes = config.etcd_max_request_bytes});
    state.committer.reset(chunking);
    sync = std::make_unique<replication::Sync>(*client, state.store, config.etcd_prefix);
    // Linearizable reads ask etcd for its revision with a Range of a key nobody writes
    // (docs/encoding.md, internal keys).
    state.read_barrier = std::make_unique<replication::ReadBarrier>(
        replication::EtcdRevisionFetch(*client, config.etcd_prefix + "\xff" "read-barrier"),
        config.read_barrier_max_inflight);
    // The stored-format marker (stored_format.h): refuse data this build cannot read.
    for (int attempt = 1;; ++attempt) {
      auto format = CheckStoredFormat(*client, config.etcd_prefix);
      if (format.ok()) break;
      if (etcdlink::IsAuthFailure(format)) {
        spdlog::error("etcd refused user '{}': {}", config.etcd_user,
                      std::string(format.message()));
        return 1;
      }
      if (format.code() == absl::StatusCode::kFailedPrecondition) {
        spdlog::error("{}", std::string(format.message()));
        return 1;
      }
      spdlog::warn("stored-format check failed (attempt {}): {}; retrying", attempt,
                   format.ToString());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    for (int attempt = 1;; ++attempt) {
      auto loaded = sync->Start();
      if (loaded.ok()) {
        keys_loaded = *loaded;
        break;
      }
      if (etcdlink::IsAuthFailure(loaded.status())) {
        // Retrying a wrong user or password cannot help: say so and stop.
        spdlog::error("etcd refused user '{}': {}", config.etcd_user,
                      std::string(loaded.status().message()));
        return 1;
      }
      spdlog::warn("initial load from etcd failed (attempt {}): {}; retrying", attempt,
                   loaded.status().ToString());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    state.reloading = [s = sync.get()] { return s->reloading(); };
    pubsub_lease->Start();
    replica_lag = std::make_unique<ReplicaLag>(*client, state.store,
                                               state.config.replica_max_lag_ms,
                                               [s = sync.get()] { s->ReconnectWatch(); });
    replica_lag->Start();
    state.replica_lag = replica_lag.get();
    // This node's record in the node registry (WAIT, ROLE), under the pub/sub lease.
    node_registry = std::make_unique<NodeRegistry>(
        *client, state.store,
        NodeRegistry::Options{
            .etcd_prefix = config.etcd_prefix,
            .process = state.pubsub.process(),
            .addr = AdvertisedAddress(config),
            .started_ms = state.start_ms,
            .interval_ms = [&state] { return state.config.node_report_interval_ms.get(); },
            .lease = [l = pubsub_lease.get()] { return l->id(); }});
    state.node_registry.store(node_registry.get(), std::memory_order_release);
    node_registry->Start();
    state.replication_info = [s = sync.get(), c = etcd_committer, b = state.read_barrier.get(),
                              cl = client.get(), lag = replica_lag.get(), chunks = chunking,
                              &cleaner_lines] {
      auto line = [](std::string_view k, int64_t v) {
        return std::string(k) + ":" + std::to_string(v) + "\r\n";
      };
      return s->InfoLines() + line("etcd_txns", c->txns()) +
             line("etcd_commit_requests", c->requests()) +
             line("etcd_commit_conflicts", c->conflicts()) + line("etcd_commit_errors", c->errors()) +
             line("etcd_compares_merged", c->compares_merged()) +
             line("etcd_compares_checked", c->compares_checked()) +
             line("etcd_commit_linger_merged", c->linger_merged()) +
             line("etcd_commit_linger_expired", c->linger_expired()) +
             b->InfoLines() +
             line("etcd_auth_refreshes", cl->auth_refreshes()) +
             line("etcd_member_silences", cl->member_silences()) + "etcd_members:" +
             cl->DescribeMembers() + "\r\n" + lag->InfoLines() + chunks->InfoLines() +
             (cleaner_lines ? cleaner_lines() : std::string());
    };
  }

  // After the initial load: the expiry index already holds every key with a TTL.
  expiry::ActiveExpiry active_expiry(
      state.expiry_index, *state.committer, state.store, client.get(),
      {config.active_expiry, config.etcd_prefix, config.node_id, config.expiry_lease_ttl_s,
       config.expiry_max_inflight});
  // Active expiry's "expired" notifications follow notify-keyspace-events as this node has it.
  active_expiry.SetNotifyFlags([&state] { return state.config.notify_keyspace_flags.get(); });
  active_expiry.Start();
  // Large values: the chunk cleaner runs on the expiry leader (expiry/chunk_cleaner.h).
  std::unique_ptr<expiry::ChunkCleaner> chunk_cleaner;
  std::unique_ptr<expiry::TombstoneCleaner> tombstone_cleaner;
  // Standalone too: a RENAME of a big collection leaves an incarnation there as well.
  chunk_cleaner = std::make_unique<expiry::ChunkCleaner>(
      *state.committer, state.store, state.chunk_references,
      expiry::ChunkCleaner::Options{
          .interval_ms = [&state] { return state.config.chunk_cleaner_interval_ms.get(); },
          .grace_ms = [&state] { return state.config.chunk_orphan_grace_ms.get(); },
          .leader = [&active_expiry] { return active_expiry.active(); }});
  chunk_cleaner->Start();
  cleaner_lines = [c = chunk_cleaner.get()] { return c->InfoLines(); };
  if (config.standalone()) {
    state.replication_info = [&cleaner_lines] { return cleaner_lines(); };  // INFO petacore
  } else {
    // Range tombstones' stale keys (replication/range_tombstone.h), also on the leader.
    tombstone_cleaner = std::make_unique<expiry::TombstoneCleaner>(
        *client, state.store,
        expiry::TombstoneCleaner::Options{
            .prefix = config.etcd_prefix,
            .interval_ms = [&state] { return state.config.chunk_cleaner_interval_ms.get(); },
            .leader = [&active_expiry] { return active_expiry.active(); },
            .max_txn_ops = config.etcd_max_txn_ops});
    tombstone_cleaner->Start();
    cleaner_lines = [c = chunk_cleaner.get(), f = tombstone_cleaner.get()] {
      return c->InfoLines() + f->InfoLines();
    };
  }
  state.expiry_info = [&active_expiry](std::string_view section) {
    return active_expiry.InfoLines(section);
  };
  // etcd compaction and defragmentation (issue 21): on the expiry leader only.
  std::unique_ptr<EtcdCompactor> etcd_compactor;
  std::unique_ptr<EtcdDefragmenter> etcd_defragmenter;
  if (client) {
    auto leader = [&active_expiry] { return active_expiry.active(); };
    const config::Config& live = state.config;
    etcd_compactor = std::make_unique<EtcdCompactor>(
        *client, state.store,
        EtcdCompactor::Options{
            .is_leader = leader,
            .enabled = [&live] { return live.etcd_compaction.get(); },
            .interval_ms = [&live] { return live.etcd_compaction_interval_ms.get(); },
            .window = [&live] { return live.etcd_compaction_window.get(); },
            .own_oldest = [r = node_registry.get()] { return r->OldestNeeded(); }});
    etcd_defragmenter = std::make_unique<EtcdDefragmenter>(
        *client, EtcdDefragmenter::Options{
                     .is_leader = leader,
                     .enabled = [&live] { return live.etcd_defrag.get(); },
                     .ratio_percent = [&live] { return live.etcd_defrag_ratio_percent.get(); },
                     .min_bytes = [&live] { return live.etcd_defrag_min_bytes.get(); },
                     .interval_ms = [&live] { return live.etcd_defrag_interval_ms.get(); }});
    etcd_compactor->Start();
    etcd_defragmenter->Start();
    state.etcd_housekeeping_info = [c = etcd_compactor.get(), d = etcd_defragmenter.get()] {
      return c->InfoLines() + d->InfoLines();
    };
  }
  // Free heap pages back to the system (issue 21: RSS follows the data after a burst).
  AllocatorTrim allocator_trim(
      [&state] { return state.config.allocator_trim_interval_ms.get(); });
  allocator_trim.Start();
  state.allocator_info = [&allocator_trim] { return allocator_trim.InfoLines(); };
  // Eviction (issue 17): decided by the expiry lease holder (standalone: always), reading the
  // cluster-wide options at every cycle.
  const bool standalone = client == nullptr;
  expiry::Evictor evictor(
      state.store, state.expiry_index, *state.committer,
      [&active_expiry, standalone] { return standalone || active_expiry.active(); },
      [&state] {
        expiry::EvictionSettings s;
        s.maxmemory = state.config.maxmemory.get();
        s.samples = static_cast<int>(state.config.maxmemory_samples.get());
        s.tenacity = static_cast<int>(state.config.maxmemory_eviction_tenacity.get());
        std::lock_guard lock(state.config_mu);
        s.policy = state.config.maxmemory_policy;
        return s;
      });
  evictor.SetNotifyFlags([&state] { return state.config.notify_keyspace_flags.get(); });
  // Cluster-wide access (issue 17): every node publishes the keys it accessed while its memory
  // nears maxmemory under an LRU/LFU policy; the decider ranks by every node's accesses.
  std::unique_ptr<expiry::AccessReporter> access_reporter;
  std::unique_ptr<expiry::RemoteAccessView> remote_access;
  if (!standalone) {
    access_reporter = std::make_unique<expiry::AccessReporter>(
        *client, state.store,
        expiry::AccessReporter::Options{
            .etcd_prefix = config.etcd_prefix,
            .process = state.pubsub.process(),
            .lease = [l = pubsub_lease.get()] { return l->id(); },
            .sample = [&state] { return AccessSamplingWanted(state); },
            .publish = [&state] { return AccessSummaryWanted(state); },
            .interval_ms = [] { return int64_t{1000}; }});
    access_reporter->Start();
    remote_access =
        std::make_unique<expiry::RemoteAccessView>(state.store, state.pubsub.process());
    evictor.SetRemoteAccess([v = remote_access.get()](std::string_view meta_key) {
      return v->Lookup(meta_key, keyspace::NowMs());
    });
    state.access_summary_info = [r = access_reporter.get(), v = remote_access.get()] {
      return "access_summaries_published:" + std::to_string(r->published()) + "\r\n" +
             "access_summary_remote_keys:" + std::to_string(v->keys()) + "\r\n";
    };
  }
  evictor.Start();
  state.evictor.store(&evictor, std::memory_order_release);

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int i = 0; i < config.threads; ++i) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
  }
  Driver driver(state);
  tcp::acceptor acceptor(*contexts[0]);
  if (config.port != 0) try {  // --port 0: TLS clients only, as Redis
    tcp::endpoint ep(asio::ip::make_address(config.bind), static_cast<uint16_t>(config.port));
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    spdlog::error("cannot listen on {}:{}: {}", config.bind, config.port, e.what());
    return 1;
  }
  asio::signal_set signals(*contexts[0], SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;  // cancelled
    spdlog::info("signal {}: shutting down", sig);
    for (auto& ctx : contexts) ctx->stop();
  });
  // SHUTDOWN: the same stop as SIGTERM, posted so the command's own thread returns first.
  state.shutdown = [&contexts] {
    asio::post(*contexts[0], [&contexts] {
      spdlog::info("SHUTDOWN: shutting down");
      for (auto& ctx : contexts) ctx->stop();
    });
  };
  if (config.port != 0) {
    asio::co_spawn(*contexts[0], Accept(acceptor, contexts, state, driver), asio::detached);
  }
  std::unique_ptr<TlsListener> tls_listener;
  if (config.tls_port != 0) {
    auto listener = TlsListener::Start(config, contexts, state, driver);
    if (!listener.ok()) {
      spdlog::error("TLS: {}", std::string(listener.status().message()));
      return 1;
    }
    tls_listener = std::move(*listener);
  }

  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string endpoints;
  for (const auto& e : config.etcd_endpoints) endpoints += (endpoints.empty() ? "" : ",") + e;
  spdlog::info(
      "petacore-server {} mode={} listening={}:{} threads={} etcd_endpoints={} prefix={} "
      "revision={} keys_loaded={} load_time={:.3f}s isolation={} read_consistency={}",
      PETACORE_VERSION, config.standalone() ? "standalone" : "replicated", config.bind,
      config.port, config.threads, endpoints.empty() ? "-" : endpoints, config.etcd_prefix,
      state.store.applied_revision(), keys_loaded, load_s, config::IsolationName(config.txn_isolation),
      config.standalone() ? "linearizable (standalone)"
                          : client::ReadConsistencyName(config.read_consistency));

  // Every io context runs on a thread of its own with a large stack (stack_thread.h); the
  // main thread waits for them.
  std::vector<StackThread> threads;
  threads.reserve(contexts.size());
  for (size_t i = 0; i < contexts.size(); ++i) {
    threads.emplace_back(kIoThreadStackBytes, [&ctx = *contexts[i]] {
      auto guard = asio::make_work_guard(ctx);
      InstallBusyScriptPump(ctx);
      ctx.run();
    });
  }
  for (auto& t : threads) t.Join();
  if (chunk_cleaner) chunk_cleaner->Stop();
  if (tombstone_cleaner) tombstone_cleaner->Stop();
  if (etcd_compactor) etcd_compactor->Stop();
  if (etcd_defragmenter) etcd_defragmenter->Stop();
  state.allocator_info = nullptr;
  allocator_trim.Stop();
  state.evictor.store(nullptr, std::memory_order_release);
  evictor.Stop();
  state.access_summary_info = nullptr;
  if (access_reporter) access_reporter->Stop();
  active_expiry.Stop();  // hands the expiry leadership over at once (lease revoked)
  if (node_registry) node_registry->Stop();  // its record goes with the pub/sub lease below
  if (pubsub_lease) pubsub_lease->Stop();  // this node's subscriptions vanish at once
  // Connections still suspended hold Jobs pointing at them; leave them to process exit.
  std::quick_exit(0);
}

}  // namespace petacore::server
