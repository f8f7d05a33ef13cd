// src/server/config.h — petacore-server's command line and config file.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "keyspace/txn_view.h"

namespace petacore::server {

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
  int max_commit_retries = 100;              ///< conflict retries before an error reply
  // Group commit: limits of one etcd Txn as the etcd cluster enforces them (its own flags).
  size_t etcd_max_txn_ops = 128;             ///< etcd --max-txn-ops
  size_t etcd_max_request_bytes = 1536 * 1024;  ///< etcd --max-request-bytes
  int etcd_max_inflight_txns = 1;            ///< Txns in flight before requests queue up
  size_t proto_max_bulk_len = 512ull * 1024 * 1024;
  std::string log_level = "info";
  std::string requirepass;     ///< the default user's password until ACL SETUSER default
  bool protected_mode = true;  ///< Redis's protected-mode (src/auth/protected_mode.h)

  bool standalone() const { return etcd_endpoints.empty(); }
};

/// Parses argv. Returns nullopt after printing --help/--version (exit 0) or an error
/// (then `exit_code` is 1).
std::optional<Config> ParseCommandLine(int argc, char** argv, int* exit_code);

const char* IsolationName(keyspace::Isolation i);

}  // namespace petacore::server
