// src/config/config_registry.h — every option of petacore-server as one entry of one table:
// the command line, the --config file, CONFIG GET, CONFIG SET and CONFIG REWRITE are all
// driven by it (as Redis's config.c standardConfig table).
//
// An option has a name (Redis's where Redis has the option), possibly a Redis alias shown by
// CONFIG GET too (hash-max-ziplist-entries) and a flag alias accepted on the command line only
// (log-level), a parser that checks a text value and stores it in a Config, a formatter, and
// flags: whether CONFIG SET may change it at run time, and whether it is node-local or
// cluster-wide. Cluster-wide options describe the data, not the node: CONFIG SET stores them
// in etcd as internal keys ("\xff" "config/<name>" -> value text), and every node applies them
// from its watch (ClusterConfig::OnApplied), a restarted node from its initial load; a stored
// value wins over the node's command line.
//
// Redis 7.0 parameters that mean nothing here (save, appendonly, repl-*, ...) are "inert":
// CONFIG GET answers the value that says what PetaCore does, the command line and the config
// file accept them with a warning, and CONFIG SET accepts only that same value.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "mvcc/store.h"

namespace petacore::config {

/// Option flags.
enum ConfigFlags : uint32_t {
  kConfigImmutable = 1 << 0,  ///< set at start-up only (CONFIG SET: "can't set immutable config")
  kConfigCluster = 1 << 1,    ///< cluster-wide: stored in etcd, applied on every node
  kConfigSecret = 1 << 2,     ///< never shown by CONFIG GET nor written by CONFIG REWRITE
  kConfigFlagOnly = 1 << 3,   ///< a command-line switch, not a config parameter (etcd-password-file)
};

/// One option of the table. Immutable; lives as long as the process.
struct ConfigOption {
  std::string_view name;        ///< CONFIG GET/SET name and --name flag
  std::string_view redis_alias; ///< another name Redis 7.0 has for it (shown by CONFIG GET), or ""
  std::string_view flag_alias;  ///< an older --flag name of PetaCore's, or ""
  std::string_view help;        ///< one line for --help
  uint32_t flags = 0;           ///< ConfigFlags
  /// Checks `value` and stores it in *config. Returns "" or the reason it is refused, in
  /// Redis's words ("argument must be a memory value").
  std::function<std::string(Config* config, std::string_view value)> set;
  /// The value as CONFIG GET shows it (and the command line would take it).
  std::function<std::string(const Config& config)> get;
  /// Cluster-wide options: the text stored in etcd for the other nodes to `set`, when `get`
  /// loses information (notify-keyspace-events shows "AKE" for "KEAn", as Redis, yet keeps
  /// n); null = `get`.
  std::function<std::string(const Config& config)> store = nullptr;
};

/// A Redis 7.0 parameter PetaCore has no use for, and the value CONFIG GET answers.
struct InertOption {
  std::string_view name;
  std::string_view value;
};

/// The option table. Thread-safe (built once).
std::span<const ConfigOption> ConfigOptions();
/// The inert parameters (config_inert.cc).
std::span<const InertOption> InertOptions();
/// The option called `name` (case-insensitive; aliases too), or null.
const ConfigOption* FindConfigOption(std::string_view name);
/// The inert parameter called `name` (case-insensitive), or null.
const InertOption* FindInertOption(std::string_view name);

/// Store key of a cluster-wide option's stored value: "\xff" "config/<name>".
std::string ClusterConfigKey(std::string_view name);
/// Store key prefix of stored cluster-wide options.
inline constexpr std::string_view kClusterConfigPrefix =
    "\xff"
    "config/";

/// Reads "name value" / "name=value" lines (redis.conf syntax; '#' comments, double-quoted
/// values) into (name, value) pairs. Returns nullopt with *error set when the file cannot be
/// read.
std::optional<std::vector<std::pair<std::string, std::string>>> ReadConfigFile(
    const std::string& path, std::string* error);

/// CONFIG REWRITE: rewrites `path` in place (through a temporary file and rename) with the
/// current value of every option: lines of known options get the current value, options
/// whose value differs from the default and that have no line are appended; comments and
/// unknown lines stay. Returns "" or an error text.
std::string RewriteConfigFile(const std::string& path, const Config& current);

/// Applies stored cluster-wide options to a Config as the store applies them. Thread-safe:
/// OnApplied runs on the store's writer thread; CONFIG GET/SET hold `mu` while they read or
/// change a Config's string options.
/// Hands maxmemory-policy (LFU or not), lfu-log-factor and lfu-decay-time of `c` to the key
/// access records (keyspace::SetAccessSettings). Called with the live config at start-up and
/// whenever a cluster-wide option is applied.
void PublishAccessSettings(const Config& c);

class ClusterConfig {
 public:
  explicit ClusterConfig(Config* config, std::mutex* mu) : config_(config), mu_(mu) {
    PublishAccessSettings(*config);
  }
  /// Store apply observer: sets every option whose key `batch` puts (a stored value that no
  /// longer parses is logged and ignored); a deleted key leaves the value as it is.
  void OnApplied(std::span<const mvcc::Mutation> batch);

 private:
  Config* config_;
  std::mutex* mu_;
};

}  // namespace petacore::config
