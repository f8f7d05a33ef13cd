// info_data.cc — INFO's persistence, stats and keyspace sections (info_sections.h), with
// Redis 7.0.15's field names and order (server.c genRedisInfoString). Persistence reports the
// saves of persistence_family.cc (etcd holds the data: no fork, no file, always "ok").
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

#include "commands/info_sections.h"
#include "commands/persistence.h"
#include "commands/scan_cursor.h"
#include "keyspace/encoding.h"

namespace petacore::commands::info {
namespace {

// Redis's instantaneous_* figures: the rate of a counter per second between two INFO calls
// at least 100 ms apart (Redis samples every 100 ms in its cron); the last rate computed
// otherwise. Thread-safe (one mutex per figure).
class Rate {
 public:
  double PerSecond(int64_t total, int64_t now_ms) {
    std::lock_guard lock(mu_);
    if (last_ms_ != 0 && now_ms - last_ms_ >= 100 && total >= last_total_) {
      rate_ = double(total - last_total_) * 1000 / double(now_ms - last_ms_);
    }
    if (last_ms_ == 0 || now_ms - last_ms_ >= 100) {
      last_ms_ = now_ms;
      last_total_ = total;
    }
    return rate_;
  }

 private:
  std::mutex mu_;
  int64_t last_ms_ = 0, last_total_ = 0;
  double rate_ = 0;
};

std::string Kbps(double bytes_per_second) {
  char buf[48];
  snprintf(buf, sizeof(buf), "%.2f", bytes_per_second / 1024);
  return buf;
}

// "name:value\r\n" lines into a map (what other layers add to a section).
std::map<std::string, std::string, std::less<>> ParseLines(const std::string& text) {
  std::map<std::string, std::string, std::less<>> fields;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\r\n", pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      fields.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
    }
    pos = end + 2;
  }
  return fields;
}

}  // namespace

void Persistence(CommandContext& ctx, std::string& s) {
  const ServerStats st = ctx.server.Stats();
  const SaveRecord save = LastSave();
  s += "# Persistence\r\n";
  for (auto name : {"loading", "async_loading", "current_cow_peak", "current_cow_size",
                    "current_cow_size_age"}) {
    Field(s, name, 0);
  }
  Field(s, "current_fork_perc", "0.00");
  Field(s, "current_save_keys_processed", 0);
  Field(s, "current_save_keys_total", 0);
  // etcd revisions since the last save (each commit is one); before any, since etcd began.
  Field(s, "rdb_changes_since_last_save", std::max<int64_t>(0, st.applied_revision - save.revision));
  Field(s, "rdb_bgsave_in_progress", 0);
  Field(s, "rdb_last_save_time", save.time_s != 0 ? save.time_s : st.start_ms / 1000);
  Field(s, "rdb_last_bgsave_status", "ok");
  Field(s, "rdb_last_bgsave_time_sec", save.saves > 0 ? 0 : -1);
  Field(s, "rdb_current_bgsave_time_sec", -1);
  Field(s, "rdb_saves", save.saves);
  for (auto name : {"rdb_last_cow_size", "rdb_last_load_keys_expired",
                    "rdb_last_load_keys_loaded", "aof_enabled", "aof_rewrite_in_progress",
                    "aof_rewrite_scheduled"}) {
    Field(s, name, 0);
  }
  Field(s, "aof_last_rewrite_time_sec", save.aof_rewrites > 0 ? 0 : -1);
  Field(s, "aof_current_rewrite_time_sec", -1);
  Field(s, "aof_last_bgrewrite_status", "ok");
  Field(s, "aof_rewrites", save.aof_rewrites);
  Field(s, "aof_rewrites_consecutive_failures", 0);
  Field(s, "aof_last_write_status", "ok");
  for (auto name : {"aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size"}) {
    Field(s, name, 0);
  }
}

void Stats(CommandContext& ctx, std::string& s) {
  const ServerStats st = ctx.server.Stats();
  auto extra = ParseLines(ctx.server.InfoLines("stats"));  // active expiry's figures
  auto take = [&](std::string_view name, std::string_view fallback) {
    auto it = extra.find(name);
    if (it == extra.end()) return std::string(fallback);
    std::string v = it->second;
    extra.erase(it);
    return v;
  };
  s += "# Stats\r\n";
  Field(s, "total_connections_received", st.total_connections);
  Field(s, "total_commands_processed", st.total_commands);
  static Rate ops, input, output;
  const int64_t now_ms = keyspace::NowMs();
  Field(s, "instantaneous_ops_per_sec",
        static_cast<int64_t>(ops.PerSecond(st.total_commands, now_ms)));
  // Client connections' bytes (server/connection.cc); no Redis replication traffic here.
  Field(s, "total_net_input_bytes", st.net_input_bytes);
  Field(s, "total_net_output_bytes", st.net_output_bytes);
  Field(s, "total_net_repl_input_bytes", 0);
  Field(s, "total_net_repl_output_bytes", 0);
  Field(s, "instantaneous_input_kbps", Kbps(input.PerSecond(st.net_input_bytes, now_ms)));
  Field(s, "instantaneous_output_kbps", Kbps(output.PerSecond(st.net_output_bytes, now_ms)));
  for (auto name : {"instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps"}) {
    Field(s, name, "0.00");
  }
  Field(s, "rejected_connections", st.rejected_connections);
  for (auto name : {"sync_full", "sync_partial_ok", "sync_partial_err"}) Field(s, name, 0);
  Field(s, "expired_keys", take("expired_keys", "0"));
  Field(s, "expired_stale_perc", take("expired_stale_perc", "0.00"));
  for (auto name : {"expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds",
                    "evicted_keys", "evicted_clients", "total_eviction_exceeded_time",
                    "current_eviction_exceeded_time", "keyspace_hits", "keyspace_misses"}) {
    Field(s, name, take(name, "0"));
  }
  // Cluster-wide, as PUBSUB CHANNELS / NUMPAT / SHARDCHANNELS count them.
  Field(s, "pubsub_channels", static_cast<int64_t>(ctx.server.PubSubChannels(false, {}).size()));
  Field(s, "pubsub_patterns", ctx.server.PubSubNumPat());
  Field(s, "pubsubshard_channels",
        static_cast<int64_t>(ctx.server.PubSubChannels(true, {}).size()));
  for (auto name : {"latest_fork_usec", "total_forks", "migrate_cached_sockets",
                    "slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses",
                    "active_defrag_key_hits", "active_defrag_key_misses",
                    "total_active_defrag_time", "current_active_defrag_time"}) {
    Field(s, name, take(name, "0"));
  }
  Field(s, "tracking_total_keys", st.tracking_keys);
  Field(s, "tracking_total_items", st.tracking_items);
  Field(s, "tracking_total_prefixes", st.tracking_prefixes);
  for (auto name : {"unexpected_error_replies", "total_error_replies",
                    "dump_payload_sanitizations"}) {
    Field(s, name, take(name, "0"));
  }
  Field(s, "total_reads_processed", st.reads_processed);
  Field(s, "total_writes_processed", st.writes_processed);
  for (auto name : {"io_threaded_reads_processed", "io_threaded_writes_processed",
                    "reply_buffer_shrinks", "reply_buffer_expands"}) {
    Field(s, name, take(name, "0"));
  }
  // PetaCore's own.
  Field(s, "commit_retries", st.commit_retries);
  Field(s, "commit_conflict_revision_fetches", st.conflict_revision_fetches);
  Field(s, "acks_before_visible", st.acks_before_visible);
  Field(s, "write_ack_fence_waits", st.write_ack_fence_waits);
  Field(s, "client_output_buffer_limit_disconnections", st.output_limit_disconnections);
  for (const auto& [name, value] : extra) Field(s, name, value);
}

// dbN:keys=K,expires=E,avg_ttl=T for each non-empty database; avg_ttl is exact here: the mean
// remaining TTL (ms) of the keys with one (0 when none), where Redis keeps an estimate.
void Keyspace(CommandContext& ctx, std::string& s) {
  s += "# Keyspace\r\n";
  const int64_t now = keyspace::NowMs();
  for (int db = 0; db < keyspace::kNumDatabases; ++db) {
    int64_t keys = 0, expires = 0, ttl_sum = 0;
    ForEachKey(ctx.txn, keyspace::DbStart(db), keyspace::DbEnd(db),
               [&](std::string_view, std::string_view value) {
                 ++keys;
                 auto v = keyspace::DecodeValue(value);
                 if (v && v->expire_at_ms != 0) {
                   ++expires;
                   ttl_sum += std::max<int64_t>(0, v->expire_at_ms - now);
                 }
                 return true;
               });
    if (keys > 0) {
      Field(s, "db" + std::to_string(db), "keys=" + std::to_string(keys) +
                                              ",expires=" + std::to_string(expires) +
                                              ",avg_ttl=" +
                                              std::to_string(expires ? ttl_sum / expires : 0));
    }
  }
}

}  // namespace petacore::commands::info
