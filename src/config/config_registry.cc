// config_registry.cc — the option table (see config_registry.h) and its typed entries.
#include "config/config_registry.h"

#include "keyspace/access.h"
#include "keyspace/messages.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "config/client_limits.h"

namespace petacore::config {
namespace {

using Setter = std::function<std::string(Config*, std::string_view)>;
using Getter = std::function<std::string(const Config&)>;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int64_t kIntMin = std::numeric_limits<int>::min();

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string RangeError(int64_t min, int64_t max) {
  return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
         " inclusive";
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

// An integer within [min, max] into *out; returns "" or Redis's reason.
std::string ParseInRange(std::string_view text, int64_t min, int64_t max, int64_t* out) {
  auto v = ParseInteger(text);
  if (!v) return "argument couldn't be parsed into an integer";
  if (*v < min || *v > max) return RangeError(min, max);
  *out = *v;
  return "";
}

std::optional<bool> ParseYesNo(std::string_view text) {
  std::string v = Lower(text);
  if (v == "yes" || v == "true" || v == "on" || v == "1") return true;
  if (v == "no" || v == "false" || v == "off" || v == "0") return false;
  return std::nullopt;
}

// Typed entries over a Config member: M is the member's type (T or Live<T>).
template <typename M>
ConfigOption Integer(std::string_view name, M Config::*member, int64_t min, int64_t max,
                     uint32_t flags, std::string_view help) {
  ConfigOption o{name, "", "", help, flags, nullptr, nullptr};
  o.set = [member, min, max](Config* c, std::string_view text) -> std::string {
    int64_t v;
    if (auto error = ParseInRange(text, min, max, &v); !error.empty()) return error;
    c->*member = v;
    return "";
  };
  o.get = [member](const Config& c) { return std::to_string(static_cast<int64_t>(c.*member)); };
  return o;
}

template <typename M>
ConfigOption Memory(std::string_view name, M Config::*member, uint64_t min, uint32_t flags,
                    std::string_view help) {
  ConfigOption o{name, "", "", help, flags, nullptr, nullptr};
  o.set = [member, min](Config* c, std::string_view text) -> std::string {
    auto v = ParseMemorySize(text);
    if (!v) return "argument must be a memory value";
    if (*v < min) return RangeError(static_cast<int64_t>(min), kInt64Max);
    c->*member = *v;
    return "";
  };
  o.get = [member](const Config& c) { return std::to_string(static_cast<uint64_t>(c.*member)); };
  return o;
}

template <typename M>
ConfigOption YesNo(std::string_view name, M Config::*member, uint32_t flags,
                   std::string_view help) {
  ConfigOption o{name, "", "", help, flags, nullptr, nullptr};
  o.set = [member](Config* c, std::string_view text) -> std::string {
    auto v = ParseYesNo(text);
    if (!v) return "argument must be 'yes' or 'no'";
    c->*member = *v;
    return "";
  };
  o.get = [member](const Config& c) { return static_cast<bool>(c.*member) ? "yes" : "no"; };
  return o;
}

ConfigOption Text(std::string_view name, std::string Config::*member, uint32_t flags,
                  std::string_view help) {
  ConfigOption o{name, "", "", help, flags, nullptr, nullptr};
  o.set = [member](Config* c, std::string_view text) -> std::string {
    c->*member = std::string(text);
    return "";
  };
  o.get = [member](const Config& c) { return c.*member; };
  return o;
}

// One of `choices` (case-insensitive), stored lower-case.
ConfigOption Choice(std::string_view name, std::string Config::*member,
                    std::vector<std::string> choices, uint32_t flags, std::string_view help) {
  ConfigOption o{name, "", "", help, flags, nullptr, nullptr};
  o.set = [member, choices](Config* c, std::string_view text) -> std::string {
    std::string v = Lower(text);
    for (const auto& ch : choices) {
      if (v == ch) {
        c->*member = v;
        return "";
      }
    }
    std::string list;
    for (const auto& ch : choices) list += (list.empty() ? "" : ", ") + ch;
    return "argument(s) must be one of the following: " + list;
  };
  o.get = [member](const Config& c) { return c.*member; };
  return o;
}

ConfigOption Custom(std::string_view name, uint32_t flags, std::string_view help, Setter set,
                    Getter get) {
  return ConfigOption{name, "", "", help, flags, std::move(set), std::move(get)};
}

ConfigOption Aliased(ConfigOption o, std::string_view redis_alias, std::string_view flag_alias) {
  o.redis_alias = redis_alias;
  o.flag_alias = flag_alias;
  return o;
}

// notify-keyspace-events, as Redis's notify.c: classes g$lshzxetd (A = all of them), n (new
// keys), K/E (keyspace/keyevent channels), m (key misses); shown in Redis's canonical order.
constexpr std::string_view kEventClasses = "g$lshzxetd";
std::optional<std::string> NormalizeKeyspaceEvents(std::string_view text) {
  bool all = false, n = false, k = false, e = false, m = false;
  std::string classes;
  for (char ch : text) {
    if (ch == 'A') {
      all = true;
    } else if (kEventClasses.find(ch) != std::string_view::npos) {
      if (classes.find(ch) == std::string::npos) classes += ch;
    } else if (ch == 'n') {
      n = true;
    } else if (ch == 'K') {
      k = true;
    } else if (ch == 'E') {
      e = true;
    } else if (ch == 'm') {
      m = true;
    } else {
      return std::nullopt;
    }
  }
  std::string out;
  if (all || classes.size() == kEventClasses.size()) {
    out = "A";
  } else {
    for (char ch : kEventClasses) {
      if (classes.find(ch) != std::string::npos) out += ch;
    }
    if (n) out += 'n';
  }
  if (k) out += 'K';
  if (e) out += 'E';
  if (m) out += 'm';
  return out;
}

// loglevel: Redis's names (debug, verbose, notice, warning) and spdlog's; stored as spdlog's.
std::string SetLogLevel(Config* c, std::string_view text) {
  static const std::map<std::string, std::string> kLevels = {
      {"debug", "debug"},   {"verbose", "debug"}, {"notice", "info"}, {"warning", "warn"},
      {"trace", "trace"},   {"info", "info"},     {"warn", "warn"},   {"error", "error"},
      {"nothing", "error"}};
  auto it = kLevels.find(Lower(text));
  if (it == kLevels.end()) {
    return "argument(s) must be one of the following: debug, verbose, notice, warning";
  }
  c->log_level = it->second;
  return "";
}

std::string GetLogLevel(const Config& c) {
  if (c.log_level == "trace" || c.log_level == "debug") return "debug";
  if (c.log_level == "info") return "notice";
  return "warning";
}

std::vector<ConfigOption> BuildTable() {
  constexpr uint32_t kImm = kConfigImmutable;
  std::vector<ConfigOption> t;
  // --- the node: listeners and clients (Redis's names) ---
  t.push_back(Text("bind", &Config::bind, kImm, "address to listen on"));
  t.push_back(Integer("port", &Config::port, 0, 65535, kImm, "TCP port for RESP clients"));
  t.push_back(Aliased(
      Custom("io-threads", kImm, "io threads (0 = number of cores)",
             [](Config* c, std::string_view text) -> std::string {
               int64_t v;
               if (auto error = ParseInRange(text, 0, 128, &v); !error.empty()) return error;
               c->threads = static_cast<int>(v);
               return "";
             },
             [](const Config& c) { return std::to_string(c.threads); }),
      "", "threads"));
  t.push_back(Custom(
      "maxclients", 0,
      "most clients connected at once; more get '-ERR max number of clients reached'",
      [](Config* c, std::string_view text) -> std::string {
        int64_t v;  // Redis's maxclients is an unsigned int
        if (auto error = ParseInRange(text, 1, 4294967295LL, &v); !error.empty()) return error;
        c->maxclients = static_cast<int>(std::min<int64_t>(v, kIntMax));
        return "";
      },
      [](const Config& c) { return std::to_string(c.maxclients.get()); }));
  t.push_back(Custom(
      "dir", kImm, "accepted and ignored: PetaCore writes no data files (CONFIG GET: the cwd)",
      [](Config*, std::string_view) { return std::string(); },
      [](const Config&) {
        char buf[4096];
        return std::string(getcwd(buf, sizeof(buf)) ? buf : "");
      }));
  t.push_back(Integer("tracking-table-max-keys", &Config::tracking_table_max_keys, 0, kInt64Max, 0,
                      "keys CLIENT TRACKING remembers on this node before evicting random ones "
                      "(their clients get an invalidation); 0 = no limit"));
  t.push_back(Integer("replica-max-lag-ms", &Config::replica_max_lag_ms, 0, kInt64Max, 0,
                      "local reads answer MASTERDOWN while this node's replica is more than "
                      "this many ms behind a revision etcd reported, or etcd has not answered "
                      "for as long (0 = never; needs --etcd-member-timeout-ms > 0)"));
  t.push_back(Integer("timeout", &Config::timeout_seconds, 0, kIntMax, 0,
                      "close a client idle for this many seconds (0 = never; clients connected "
                      "before a CONFIG SET keep the old value)"));
  // --- observability (node-local; server/observability.h) ---
  t.push_back(Integer("slowlog-log-slower-than", &Config::slowlog_log_slower_than, -1, kInt64Max,
                      0, "SLOWLOG: commands taking at least this many µs (-1 = off, 0 = all)"));
  t.push_back(Integer("slowlog-max-len", &Config::slowlog_max_len, 0, kInt64Max, 0,
                      "SLOWLOG: entries kept on this node"));
  t.push_back(Integer("latency-monitor-threshold", &Config::latency_monitor_threshold, 0,
                      kInt64Max, 0, "LATENCY: events of at least this many ms (0 = off)"));
  t.push_back(YesNo("latency-tracking", &Config::latency_tracking, 0,
                    "per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats)"));
  t.push_back(Custom(
      "latency-tracking-info-percentiles", 0, "INFO latencystats percentiles (0..100 each)",
      [](Config* c, std::string_view text) -> std::string {
        std::string normalized;
        size_t i = 0;
        while (i < text.size()) {
          while (i < text.size() && text[i] == ' ') ++i;
          size_t j = text.find(' ', i);
          if (j == std::string_view::npos) j = text.size();
          if (j == i) break;
          std::string word(text.substr(i, j - i));
          char* end = nullptr;
          double v = std::strtod(word.c_str(), &end);
          if (end != word.c_str() + word.size()) {
            return "Invalid latency-tracking-info-percentiles parameters";
          }
          if (v < 0.0 || v > 100.0) {
            return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
          }
          char buf[64];
          std::snprintf(buf, sizeof(buf), "%f", v);
          std::string w = buf;
          while (w.back() == '0') w.pop_back();
          if (w.back() == '.') w.pop_back();
          normalized += (normalized.empty() ? "" : " ") + w;
          i = j;
        }
        c->latency_tracking_info_percentiles = normalized;
        return "";
      },
      [](const Config& c) { return c.latency_tracking_info_percentiles; }));
  t.push_back(Memory("client-query-buffer-limit", &Config::client_query_buffer_limit,
                     1024 * 1024, 0,
                     "unparsed input of one client (bytes, or 1gb/512mb...); over it the client "
                     "is closed"));
  t.push_back(Custom(
      "client-output-buffer-limit", 0,
      "'<class> <hard> <soft> <seconds>'... (class normal or pubsub): pending reply bytes over "
      "<hard>, or over <soft> for <seconds>, close the client (0 = no limit)",
      [](Config* c, std::string_view text) -> std::string {
        std::string error;
        OutputBufferLimit normal = c->client_output_buffer_limit.load();
        OutputBufferLimit pubsub = c->client_output_buffer_limit_pubsub.load();
        if (!ParseOutputBufferLimits(text, &normal, &pubsub, &error)) return error;
        c->client_output_buffer_limit.store(normal);
        c->client_output_buffer_limit_pubsub.store(pubsub);
        return "";
      },
      [](const Config& c) {
        return FormatOutputBufferLimits(c.client_output_buffer_limit.load(),
                                        c.client_output_buffer_limit_pubsub.load());
      }));
  t.push_back(Memory("proto-max-bulk-len", &Config::proto_max_bulk_len, 1024 * 1024, 0,
                     "largest bulk string a client may send (bytes)"));
  t.push_back(Memory("maxmemory", &Config::maxmemory, 0, 0,
                     "data memory limit (bytes, or 100mb/2gb...): over it, write commands get "
                     "-OOM; 0 = none"));
  t.push_back(Aliased(Custom("loglevel", 0, "debug | verbose | notice | warning", SetLogLevel,
                             GetLogLevel),
                      "", "log-level"));
  t.push_back(Text("requirepass", &Config::requirepass, kImm,
                   "password of the 'default' user (until a stored ACL SETUSER default "
                   "replaces it; at run time use ACL SETUSER default)"));
  t.push_back(Text("aclfile", &Config::aclfile, kImm,
                   "node-local ACL file (Redis's format) that ACL LOAD reads into the cluster's "
                   "users and ACL SAVE writes; not read at start-up"));
  t.push_back(YesNo("protected-mode", &Config::protected_mode, 0,
                    "yes | no: with yes and no password for the default user, serve loopback "
                    "clients only"));
  // --- TLS (Redis's names) ---
  t.push_back(Integer("tls-port", &Config::tls_port, 0, 65535, kImm,
                      "TCP port for RESP clients over TLS (0 = none)"));
  t.push_back(Text("tls-cert-file", &Config::tls_cert_file, kImm,
                   "server certificate chain (PEM)"));
  t.push_back(Text("tls-key-file", &Config::tls_key_file, kImm,
                   "private key of --tls-cert-file (PEM)"));
  t.push_back(Text("tls-ca-cert-file", &Config::tls_ca_cert_file, kImm,
                   "CA certificates that client certificates must chain to (PEM)"));
  t.push_back(Choice("tls-auth-clients", &Config::tls_auth_clients, {"yes", "no", "optional"},
                     kImm, "client certificates on the TLS port: yes (required) | optional | no"));
  // --- cluster-wide: the data's options, stored in etcd ---
  constexpr uint32_t kCl = kConfigCluster;
  t.push_back(Choice("maxmemory-policy", &Config::maxmemory_policy,
                     {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                      "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"},
                     kCl, "Redis's eight policies: over maxmemory the expiry leader evicts keys "
                     "(src/expiry/evictor.h); noeviction refuses writes with -OOM"));
  // Key access data (keyspace/access.h): the LFU counter's growth and decay, as Redis.
  t.push_back(Integer("lfu-log-factor", &Config::lfu_log_factor, 0, kIntMax, kCl,
                      "LFU counter growth: an access increments it with probability "
                      "1/((counter-5)*factor+1)"));
  t.push_back(Integer("lfu-decay-time", &Config::lfu_decay_time, 0, kIntMax, kCl,
                      "minutes per decrement of an idle key's LFU counter (0 = never)"));
  // Eviction (issue 17, src/expiry/evictor.h), as Redis.
  t.push_back(Integer("maxmemory-samples", &Config::maxmemory_samples, 1, 64, kCl,
                      "keys sampled per eviction round (default 5)"));
  t.push_back(Integer("maxmemory-eviction-tenacity", &Config::maxmemory_eviction_tenacity, 0,
                      100, kCl,
                      "time one eviction cycle may run: 0..10 = 50 us per step, then x1.15 per "
                      "step, 100 = unlimited (default 10)"));
  t.push_back(Aliased(Integer("hash-max-listpack-entries", &Config::hash_max_listpack_entries, 0,
                              kInt64Max, kCl, "OBJECT ENCODING threshold, as Redis"),
                      "hash-max-ziplist-entries", ""));
  t.push_back(Aliased(Integer("hash-max-listpack-value", &Config::hash_max_listpack_value, 0,
                              kInt64Max, kCl, "OBJECT ENCODING threshold, as Redis"),
                      "hash-max-ziplist-value", ""));
  t.push_back(Aliased(Integer("zset-max-listpack-entries", &Config::zset_max_listpack_entries, 0,
                              kInt64Max, kCl, "OBJECT ENCODING threshold, as Redis"),
                      "zset-max-ziplist-entries", ""));
  t.push_back(Aliased(Integer("zset-max-listpack-value", &Config::zset_max_listpack_value, 0,
                              kInt64Max, kCl, "OBJECT ENCODING threshold, as Redis"),
                      "zset-max-ziplist-value", ""));
  t.push_back(Integer("set-max-intset-entries", &Config::set_max_intset_entries, 0, kInt64Max,
                      kCl, "OBJECT ENCODING threshold, as Redis"));
  t.push_back(Aliased(Integer("list-max-listpack-size", &Config::list_max_listpack_size, kIntMin,
                              kIntMax, kCl, "list node size, as Redis (no effect here)"),
                      "list-max-ziplist-size", ""));
  t.push_back(Memory("hll-sparse-max-bytes", &Config::hll_sparse_max_bytes, 0, kCl,
                     "a sparse HyperLogLog growing past this many bytes turns dense, as Redis"));
  t.push_back(Aliased(Integer("busy-reply-threshold", &Config::busy_reply_threshold_ms, 0,
                              kInt64Max, kCl, "script time (ms) before BUSY replies"),
                      "lua-time-limit", ""));
  t.push_back(Custom(
      "notify-keyspace-events", kCl, "keyspace notification classes, as Redis",
      [](Config* c, std::string_view text) -> std::string {
        auto v = NormalizeKeyspaceEvents(text);
        if (!v) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
        c->notify_keyspace_events = *v;
        // From the text as given: Redis shows "KEAn" as "AKE" but keeps n.
        c->notify_keyspace_flags = keyspace::notify::ParseFlags(text);
        return "";
      },
      [](const Config& c) { return c.notify_keyspace_events; }));
  t.back().store = [](const Config& c) {
    // Every class spelled out, so n survives the trip through etcd.
    std::string text;
    const int flags = c.notify_keyspace_flags;
    static constexpr std::pair<char, int> kLetters[] = {
        {'g', keyspace::notify::kGeneric}, {'$', keyspace::notify::kString},
        {'l', keyspace::notify::kList},    {'s', keyspace::notify::kSet},
        {'h', keyspace::notify::kHash},    {'z', keyspace::notify::kZSet},
        {'x', keyspace::notify::kExpired}, {'e', keyspace::notify::kEvicted},
        {'t', keyspace::notify::kStream},  {'d', keyspace::notify::kModule},
        {'n', keyspace::notify::kNew},     {'K', keyspace::notify::kKeyspace},
        {'E', keyspace::notify::kKeyevent}, {'m', keyspace::notify::kKeyMiss}};
    for (auto [letter, bit] : kLetters) {
      if (flags & bit) text += letter;
    }
    return text;
  };
  t.push_back(Custom(
      "acl-pubsub-default", kCl, "channels of new ACL users: resetchannels | allchannels",
      [](Config* c, std::string_view text) -> std::string {
        std::string v = Lower(text);
        if (v != "allchannels" && v != "resetchannels") {
          return "argument(s) must be one of the following: allchannels, resetchannels";
        }
        c->acl_pubsub_allchannels = v == "allchannels";
        return "";
      },
      [](const Config& c) -> std::string {
        return c.acl_pubsub_allchannels ? "allchannels" : "resetchannels";
      }));
  // --- etcd housekeeping (issue 21): cluster-wide, run by the expiry leader ---
  t.push_back(YesNo("etcd-compaction", &Config::etcd_compaction, kCl,
                    "compact etcd's history below what every live node still needs (yes/no); "
                    "no when the etcd is shared with other users"));
  t.push_back(Integer("etcd-compaction-interval-ms", &Config::etcd_compaction_interval_ms, 10,
                      kInt64Max, kCl, "shortest time (ms) between two etcd compactions"));
  t.push_back(Integer("etcd-compaction-window", &Config::etcd_compaction_window, 0, kInt64Max,
                      kCl, "etcd revisions kept below the oldest revision any live node needs"));
  t.push_back(YesNo("etcd-defrag", &Config::etcd_defrag, kCl,
                    "defragment etcd members one at a time when their file is mostly free "
                    "pages (yes/no)"));
  t.push_back(Integer("etcd-defrag-ratio-percent", &Config::etcd_defrag_ratio_percent, 100,
                      kInt64Max, kCl,
                      "defragment a member when dbSize > dbSizeInUse * this / 100 ..."));
  t.push_back(Memory("etcd-defrag-min-bytes", &Config::etcd_defrag_min_bytes, 0, kCl,
                     "... and dbSize - dbSizeInUse > this"));
  t.push_back(Integer("etcd-defrag-interval-ms", &Config::etcd_defrag_interval_ms, 0, kInt64Max,
                      kCl, "shortest time (ms) between two defragmentations"));
  // --- PetaCore's own: the etcd link, transactions, expiry ---
  t.push_back(Custom(
      "etcd-endpoints", kImm, "HOST:PORT[,HOST:PORT...] of etcd; none = standalone mode",
      [](Config* c, std::string_view text) -> std::string {
        c->etcd_endpoints.clear();
        std::stringstream ss{std::string(text)};
        for (std::string e; std::getline(ss, e, ',');) {
          if (!e.empty()) c->etcd_endpoints.push_back(e);
        }
        return "";
      },
      [](const Config& c) {
        std::string out;
        for (const auto& e : c.etcd_endpoints) out += (out.empty() ? "" : ",") + e;
        return out;
      }));
  t.push_back(Text("etcd-prefix", &Config::etcd_prefix, kImm,
                   "etcd key prefix of this PetaCore cluster"));
  t.push_back(Custom(
      "etcd-timeout-ms", kImm, "deadline of each etcd call; a write fails with an error after it",
      [](Config* c, std::string_view text) -> std::string {
        int64_t v;
        if (auto error = ParseInRange(text, 1, kIntMax, &v); !error.empty()) return error;
        c->etcd_timeout = std::chrono::milliseconds(v);
        return "";
      },
      [](const Config& c) { return std::to_string(c.etcd_timeout.count()); }));
  t.push_back(Custom(
      "etcd-keepalive-ms", kImm,
      "gRPC keepalive ping interval towards etcd (0 = off; else >= 10000, etcd's ping policy)",
      [](Config* c, std::string_view text) -> std::string {
        int64_t v;
        if (auto error = ParseInRange(text, 0, kIntMax, &v); !error.empty()) return error;
        if (v != 0 && v < 10000) return "argument must be 0 or at least 10000";
        c->etcd_keepalive = std::chrono::milliseconds(v);
        return "";
      },
      [](const Config& c) { return std::to_string(c.etcd_keepalive.count()); }));
  t.push_back(Custom(
      "etcd-member-timeout-ms", kImm,
      "an etcd member that answers no health probe for this long gets no new requests, and "
      "requests in flight on it end as 'may or may not have been applied' (0 = no probes)",
      [](Config* c, std::string_view text) -> std::string {
        int64_t v;
        if (auto error = ParseInRange(text, 0, kIntMax, &v); !error.empty()) return error;
        c->etcd_member_timeout = std::chrono::milliseconds(v);
        return "";
      },
      [](const Config& c) { return std::to_string(c.etcd_member_timeout.count()); }));
  t.push_back(Custom(
      "txn-isolation", kImm, "MULTI/EXEC isolation: serializable | snapshot | read-committed",
      [](Config* c, std::string_view text) -> std::string {
        std::string v = Lower(text);
        if (v == "serializable") {
          c->txn_isolation = keyspace::Isolation::kSerializable;
        } else if (v == "snapshot") {
          c->txn_isolation = keyspace::Isolation::kSnapshot;
        } else if (v == "read-committed") {
          c->txn_isolation = keyspace::Isolation::kReadCommitted;
        } else {
          return "argument(s) must be one of the following: serializable, snapshot, "
                 "read-committed";
        }
        return "";
      },
      [](const Config& c) { return std::string(IsolationName(c.txn_isolation)); }));
  t.push_back(Integer("max-commit-retries", &Config::max_commit_retries, 0, kIntMax, 0,
                      "conflict retries of one command before it fails"));
  t.push_back(Integer("etcd-max-txn-ops", &Config::etcd_max_txn_ops, 8, kInt64Max, kImm,
                      "etcd's --max-txn-ops: a group commit never exceeds it"));
  t.push_back(Integer("etcd-max-request-bytes", &Config::etcd_max_request_bytes, 1, kInt64Max,
                      kImm, "etcd's --max-request-bytes: a group commit never exceeds it"));
  t.push_back(Integer("etcd-max-inflight-txns", &Config::etcd_max_inflight_txns, 1, kIntMax, kImm,
                      "etcd Txns in flight at once; writes arriving meanwhile are batched into "
                      "the next"));
  // Issue 18: merge the two cohorts of busy writers into one etcd Txn (etcd_committer.h).
  t.push_back(Integer("etcd-commit-linger-us", &Config::etcd_commit_linger_us, 0, 1000000, kImm,
                      "after a batch of 8+ writes completes, the next etcd Txn waits up to this "
                      "many microseconds for those writers to come back (0 = never waits)"));
  t.push_back(Custom(
      "read-consistency", 0,
      "reads: local (from this node's replica) | linearizable (wait for etcd's revision)",
      [](Config* c, std::string_view text) -> std::string {
        auto rc = client::ParseReadConsistency(text);
        if (!rc) return "argument(s) must be one of the following: local, linearizable";
        c->read_consistency = *rc;
        return "";
      },
      [](const Config& c) { return std::string(client::ReadConsistencyName(c.read_consistency)); }));
  // Issue 18: acknowledge a write on etcd's response, fence this node's later reads on it.
  t.push_back(Custom(
      "write-ack", 0,
      "replicated writes: applied (reply once this node applied the write) | committed "
      "(reply on etcd's response; this node's later reads wait for it)",
      [](Config* c, std::string_view text) -> std::string {
        std::string v = Lower(text);
        if (v == "applied" || v == "committed") {
          c->write_ack_committed = v == "committed";
          return "";
        }
        return "argument(s) must be one of the following: applied, committed";
      },
      [](const Config& c) -> std::string {
        return c.write_ack_committed ? "committed" : "applied";
      }));
  // Issue 18 (linearizable reads): etcd revision fetches in flight at once
  // (replication/read_barrier.h); 1 measured best on a 2-core machine shared with etcd.
  t.push_back(Integer("read-barrier-max-inflight", &Config::read_barrier_max_inflight, 1, 64,
                      kImm,
                      "linearizable reads: etcd revision fetches in flight at once; readers "
                      "arriving while all are in flight share the next"));
  t.push_back(Text("etcd-cacert", &Config::etcd_cacert, kImm,
                   "verify etcd's TLS certificate with this CA bundle (PEM); turns TLS on"));
  t.push_back(Text("etcd-cert", &Config::etcd_cert, kImm, "TLS client certificate for etcd (PEM)"));
  t.push_back(Text("etcd-key", &Config::etcd_key, kImm, "private key of --etcd-cert (PEM)"));
  t.push_back(Text("etcd-user", &Config::etcd_user, kImm,
                   "etcd auth user, as NAME or NAME:PASSWORD (etcdctl --user)"));
  t.push_back(Text("etcd-password", &Config::etcd_password, kImm | kConfigSecret,
                   "password of --etcd-user"));
  t.push_back(Custom(
      "etcd-password-file", kImm | kConfigFlagOnly,
      "read the password of --etcd-user from the first line of FILE",
      [](Config* c, std::string_view path) -> std::string {
        std::ifstream f{std::string(path)};
        if (!f) return "cannot read " + std::string(path);
        std::getline(f, c->etcd_password);
        if (!c->etcd_password.empty() && c->etcd_password.back() == '\r') {
          c->etcd_password.pop_back();
        }
        return "";
      },
      [](const Config&) { return std::string(); }));
  t.push_back(Text("node-id", &Config::node_id, kImm,
                   "this node's name in the expiry election (default <hostname>:<port>)"));
  t.push_back(YesNo("active-expiry", &Config::active_expiry, kImm,
                    "delete expired keys in the background (yes/no); no = only on access"));
  t.push_back(Integer("pubsub-lease-ttl", &Config::pubsub_lease_ttl_s, 2, kIntMax, kImm,
                      "TTL (s) of the etcd lease of this node's pub/sub subscriptions: how long "
                      "a dead node's subscribers are still counted"));
  t.push_back(Integer("expiry-lease-ttl", &Config::expiry_lease_ttl_s, 1, kIntMax, kImm,
                      "TTL (s) of the expiry leader's etcd lease: how long a crashed leader "
                      "blocks takeover"));
  t.push_back(Integer("node-report-interval-ms", &Config::node_report_interval_ms, 10, kInt64Max,
                      0,
                      "shortest time (ms) between two publishes of this node's registry record "
                      "after data changes (WAIT's asks publish at once)"));
  // Large values (issue 18, keyspace/chunked_value.h): the chunk cleaner's pace.
  t.push_back(Integer("chunk-cleaner-interval-ms", &Config::chunk_cleaner_interval_ms, 10,
                      kInt64Max, 0,
                      "time (ms) between two rounds of the chunk cleaner and of the flush "
                      "cleaner (expiry leader only)"));
  t.push_back(Integer("chunk-orphan-grace-ms", &Config::chunk_orphan_grace_ms, 0, kInt64Max, 0,
                      "how long (ms) an unreferenced chunked write that was never switched in "
                      "(an orphan) must stay unchanged before the cleaner deletes it"));
  t.push_back(Integer("incarnation-min-subkeys", &Config::incarnation_min_subkeys, 0, kInt64Max,
                      0,
                      "RENAME, MOVE and COPY of a hash, set, sorted set or list of more subkeys "
                      "than this stage it into an incarnation (keyspace/incarnation.h)"));
  t.push_back(Integer("allocator-trim-interval-ms", &Config::allocator_trim_interval_ms, 0,
                      kInt64Max, 0,
                      "time (ms) between two forced returns of the allocator's free pages to "
                      "the system (jemalloc purge, or malloc_trim); 0 = never"));
  t.push_back(Integer("expiry-max-inflight", &Config::expiry_max_inflight, 1, kInt64Max, kImm,
                      "expiry deletes queued or in flight at once: bounds how long a burst of "
                      "expiring keys delays client writes"));
  return t;
}

bool NameIs(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || b.empty()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::span<const ConfigOption> ConfigOptions() {
  static const std::vector<ConfigOption> table = BuildTable();
  return table;
}

const ConfigOption* FindConfigOption(std::string_view name) {
  for (const auto& o : ConfigOptions()) {
    if (NameIs(name, o.name) || NameIs(name, o.redis_alias) || NameIs(name, o.flag_alias)) {
      return &o;
    }
  }
  return nullptr;
}

const InertOption* FindInertOption(std::string_view name) {
  for (const auto& o : InertOptions()) {
    if (NameIs(name, o.name)) return &o;
  }
  return nullptr;
}

std::string ClusterConfigKey(std::string_view name) {
  return std::string(kClusterConfigPrefix) + std::string(name);
}

std::optional<std::vector<std::pair<std::string, std::string>>> ReadConfigFile(
    const std::string& path, std::string* error) {
  std::ifstream f(path);
  if (!f) {
    *error = "cannot read config file " + path;
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string line; std::getline(f, line);) {
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    size_t e = line.find_last_not_of(" \t\r");
    line = line.substr(b, e - b + 1);
    size_t cut = line.find_first_of(" \t=");
    std::string name = line.substr(0, cut);
    std::string value;
    if (cut != std::string::npos) {
      size_t v = line.find_first_not_of(" \t=", cut);
      if (v != std::string::npos) value = line.substr(v);
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    out.emplace_back(Lower(name), value);
  }
  return out;
}

std::string RewriteConfigFile(const std::string& path, const Config& current) {
  std::ifstream in(path);
  if (!in) return "cannot read config file " + path;
  const Config defaults;
  std::vector<std::string> lines;
  std::map<std::string_view, bool> written;
  auto quote = [](const std::string& v) {
    return v.empty() || v.find_first_of(" \t") != std::string::npos ? "\"" + v + "\"" : v;
  };
  for (std::string line; std::getline(in, line);) {
    size_t b = line.find_first_not_of(" \t\r");
    if (b != std::string::npos && line[b] != '#') {
      size_t cut = line.find_first_of(" \t=", b);
      const ConfigOption* o = FindConfigOption(line.substr(b, cut - b));
      if (o != nullptr && !(o->flags & (kConfigSecret | kConfigFlagOnly))) {
        if (written[o->name]) continue;  // one line per option
        written[o->name] = true;
        line = std::string(o->name) + " " + quote(o->get(current));
      }
    }
    lines.push_back(line);
  }
  for (const auto& o : ConfigOptions()) {
    if (written[o.name] || (o.flags & (kConfigSecret | kConfigFlagOnly))) continue;
    if (o.get(current) == o.get(defaults)) continue;
    lines.push_back(std::string(o.name) + " " + quote(o.get(current)));
  }
  std::string tmp = path + ".rewrite." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return "cannot write " + tmp;
    for (const auto& l : lines) out << l << "\n";
    out.flush();
    if (!out) return "cannot write " + tmp;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return "cannot replace " + path;
  }
  return "";
}

void ClusterConfig::OnApplied(std::span<const mvcc::Mutation> batch) {
  for (const auto& m : batch) {
    if (m.key.compare(0, kClusterConfigPrefix.size(), kClusterConfigPrefix) != 0) continue;
    if (m.kind != mvcc::Mutation::Kind::kPut) continue;
    std::string_view name = std::string_view(m.key).substr(kClusterConfigPrefix.size());
    const ConfigOption* o = FindConfigOption(name);
    if (o == nullptr || !(o->flags & kConfigCluster)) {
      spdlog::warn("stored config '{}' is not a cluster-wide option here; ignored", name);
      continue;
    }
    std::lock_guard lock(*mu_);
    if (auto error = o->set(config_, m.value); !error.empty()) {
      spdlog::warn("stored config {} '{}' refused: {}", name, m.value, error);
    }
    PublishAccessSettings(*config_);
  }
}

void PublishAccessSettings(const Config& c) {
  keyspace::SetAccessSettings(
      {.lfu = c.maxmemory_policy == "allkeys-lfu" || c.maxmemory_policy == "volatile-lfu",
       .lfu_log_factor = static_cast<int>(c.lfu_log_factor.get()),
       .lfu_decay_time = static_cast<int>(c.lfu_decay_time.get())});
}

}  // namespace petacore::config
