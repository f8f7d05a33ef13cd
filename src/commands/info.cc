// info.cc — INFO [section ...]: Redis's sections (server, clients, memory, stats, keyspace)
// plus "petacore": the replication state (mode, etcd endpoints, revisions, watch lag).
#include "commands/info.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "commands/context.h"
#include "commands/scan_cursor.h"
#include "commands/table.h"
#include "keyspace/encoding.h"

namespace petacore::commands {

namespace {

int64_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, rss = 0;
  f >> pages >> rss;
  return rss * sysconf(_SC_PAGESIZE);
}

std::string Human(int64_t bytes) {
  char buf[32];
  double b = static_cast<double>(bytes);
  if (b >= 1 << 30) {
    snprintf(buf, sizeof(buf), "%.2fG", b / (1 << 30));
  } else if (b >= 1 << 20) {
    snprintf(buf, sizeof(buf), "%.2fM", b / (1 << 20));
  } else if (b >= 1 << 10) {
    snprintf(buf, sizeof(buf), "%.2fK", b / (1 << 10));
  } else {
    snprintf(buf, sizeof(buf), "%lldB", static_cast<long long>(bytes));
  }
  return buf;
}

void Line(std::string& s, std::string_view name, const std::string& value) {
  s.append(name).append(":").append(value).append("\r\n");
}

}  // namespace

void Info(CommandContext& ctx) {
  const config::Config& config = ctx.server.Options();  // Live<> options and fixed ones
  const ServerStats st = ctx.server.Stats();
  auto wants = [&](std::string_view section) {
    if (ctx.args.size() == 1) return true;
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      if (EqualsIgnoreCase(ctx.args[i], section) || EqualsIgnoreCase(ctx.args[i], "all") ||
          EqualsIgnoreCase(ctx.args[i], "everything") || EqualsIgnoreCase(ctx.args[i], "default")) {
        return true;
      }
    }
    return false;
  };
  std::string s;
  int64_t now = keyspace::NowMs();
  if (wants("server")) {
    utsname u{};
    uname(&u);
    s += "# Server\r\n";
    Line(s, "redis_version", "7.0.0");
    Line(s, "petacore_version", PETACORE_VERSION);
    Line(s, "redis_mode", "standalone");
    Line(s, "os", std::string(u.sysname) + " " + u.release + " " + u.machine);
    Line(s, "arch_bits", "64");
    Line(s, "multiplexing_api", "epoll");
    Line(s, "process_id", std::to_string(getpid()));
    Line(s, "tcp_port", std::to_string(config.port));
    Line(s, "uptime_in_seconds", std::to_string((now - st.start_ms) / 1000));
    Line(s, "uptime_in_days", std::to_string((now - st.start_ms) / 86400000));
    Line(s, "io_threads_active", std::to_string(config.threads));
    s += "\r\n";
  }
  if (wants("clients")) {
    s += "# Clients\r\n";
    Line(s, "connected_clients", std::to_string(st.connected_clients));
    Line(s, "blocked_clients", std::to_string(st.blocked_clients));
    Line(s, "maxclients", std::to_string(config.maxclients));
    s += "\r\n";
  }
  if (wants("memory")) {
    int64_t rss = RssBytes();
    s += "# Memory\r\n";
    Line(s, "used_memory", std::to_string(st.store.bytes));
    Line(s, "used_memory_human", Human(static_cast<int64_t>(st.store.bytes)));
    Line(s, "used_memory_rss", std::to_string(rss));
    Line(s, "used_memory_rss_human", Human(rss));
    Line(s, "maxmemory", std::to_string(config.maxmemory));
    Line(s, "maxmemory_policy", "noeviction");
    Line(s, "mvcc_versions", std::to_string(st.store.versions));
    Line(s, "mvcc_index_keys", std::to_string(st.store.index_keys));
    Line(s, "mvcc_live_keys", std::to_string(st.store.live_keys));
    s += "\r\n";
  }
  if (wants("stats")) {
    s += "# Stats\r\n";
    Line(s, "total_connections_received", std::to_string(st.total_connections));
    Line(s, "total_commands_processed", std::to_string(st.total_commands));
    Line(s, "rejected_connections", std::to_string(st.rejected_connections));
    Line(s, "commit_retries", std::to_string(st.commit_retries));
    Line(s, "acks_before_visible", std::to_string(st.acks_before_visible));
    // Cluster-wide, as PUBSUB CHANNELS / NUMPAT / SHARDCHANNELS count them.
    Line(s, "pubsub_channels", std::to_string(ctx.server.PubSubChannels(false, {}).size()));
    Line(s, "pubsub_patterns", std::to_string(ctx.server.PubSubNumPat()));
    Line(s, "pubsubshard_channels", std::to_string(ctx.server.PubSubChannels(true, {}).size()));
    Line(s, "client_output_buffer_limit_disconnections",
         std::to_string(st.output_limit_disconnections));
    s += ctx.server.InfoLines("stats");
    s += "\r\n";
  }
  // commandstats, errorstats, latencystats (server/observability.h): only when named, or
  // with "all" / "everything", as Redis (not in the default set).
  auto named = [&](std::string_view section) {
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      if (EqualsIgnoreCase(ctx.args[i], section) || EqualsIgnoreCase(ctx.args[i], "all") ||
          EqualsIgnoreCase(ctx.args[i], "everything")) {
        return true;
      }
    }
    return false;
  };
  for (auto [section, title] : {std::pair<std::string_view, std::string_view>{"commandstats", "Commandstats"},
                                {"errorstats", "Errorstats"},
                                {"latencystats", "Latencystats"}}) {
    if (!named(section)) continue;
    s.append("# ").append(title).append("\r\n").append(ctx.server.InfoLines(section)).append("\r\n");
  }
  if (wants("keyspace")) {
    s += "# Keyspace\r\n";
    for (int db = 0; db < keyspace::kNumDatabases; ++db) {
      int64_t keys = 0, expires = 0;
      ForEachKey(ctx.txn, keyspace::DbStart(db), keyspace::DbEnd(db),
                 [&](std::string_view, std::string_view value) {
                   ++keys;
                   auto v = keyspace::DecodeValue(value);
                   if (v && v->expire_at_ms != 0) ++expires;
                   return true;
                 });
      if (keys > 0) {
        Line(s, "db" + std::to_string(db), "keys=" + std::to_string(keys) +
                                               ",expires=" + std::to_string(expires) +
                                               ",avg_ttl=0");
      }
    }
    s += "\r\n";
  }
  if (wants("petacore")) {
    s += "# PetaCore\r\n";
    Line(s, "mode", config.standalone() ? "standalone" : "replicated");
    Line(s, "txn_isolation", config::IsolationName(config.txn_isolation));
    Line(s, "applied_revision", std::to_string(st.applied_revision));
    Line(s, "compacted_revision", std::to_string(st.compacted_revision));
    Line(s, "apply_waiters", std::to_string(st.apply_waiters));
    s += ctx.server.InfoLines("petacore");
    s += "\r\n";
  }
  if (!s.empty()) s.resize(s.size() - 2);  // no blank line after the last section
  ctx.out.Verbatim("txt", s);  // a verbatim string in RESP3, as Redis's INFO
}

}  // namespace petacore::commands
