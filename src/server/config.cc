#include "server/config.h"

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace petacore::server {

namespace po = boost::program_options;

namespace {

// The limit flags given as text (memory units, Redis's output-buffer-limit syntax) into `c`;
// false after printing what is wrong.
bool ApplyLimitOptions(const std::string& query_buffer_limit,
                       const std::string& output_buffer_limit, const std::string& maxmemory,
                       const std::string& maxmemory_policy, Config* c) {
  auto qbl = ParseMemorySize(query_buffer_limit);
  // Redis refuses a query buffer limit under 1mb: smaller ones would cut ordinary commands.
  if (!qbl || *qbl < 1024 * 1024) {
    std::cerr << "petacore-server: --client-query-buffer-limit must be a size of at least 1mb\n";
    return false;
  }
  c->client_query_buffer_limit = *qbl;
  std::string error;
  auto obl = ParseOutputBufferLimit(output_buffer_limit, &error);
  if (!obl) {
    std::cerr << "petacore-server: --client-output-buffer-limit: " << error << "\n";
    return false;
  }
  c->client_output_buffer_limit = *obl;
  auto mm = ParseMemorySize(maxmemory);
  if (!mm) {
    std::cerr << "petacore-server: --maxmemory must be a size (bytes, or e.g. 100mb)\n";
    return false;
  }
  c->maxmemory = *mm;
  if (maxmemory_policy != "noeviction") {
    std::cerr << "petacore-server: --maxmemory-policy: only noeviction is supported (the data "
                 "lives in etcd; a node cannot evict it on its own)\n";
    return false;
  }
  if (c->maxclients < 1) {
    std::cerr << "petacore-server: --maxclients must be at least 1\n";
    return false;
  }
  if (c->timeout_seconds < 0) {
    std::cerr << "petacore-server: --timeout must be 0 or more seconds\n";
    return false;
  }
  return true;
}

}  // namespace

const char* IsolationName(keyspace::Isolation i) {
  switch (i) {
    case keyspace::Isolation::kSerializable:
      return "serializable";
    case keyspace::Isolation::kSnapshot:
      return "snapshot";
    case keyspace::Isolation::kReadCommitted:
      return "read-committed";
  }
  return "?";
}

std::optional<Config> ParseCommandLine(int argc, char** argv, int* exit_code) {
  Config c;
  std::string endpoints, isolation = "serializable", config_file;
  int64_t etcd_timeout_ms = c.etcd_timeout.count();
  std::string query_buffer_limit = "1gb", output_buffer_limit = "normal 1gb 64mb 60";
  std::string maxmemory = "0", maxmemory_policy = "noeviction";
  po::options_description opts("petacore-server options");
  opts.add_options()
      ("help,h", "print this help and exit")
      ("version,v", "print the version and exit")
      ("config", po::value(&config_file), "read options from FILE (lines of name=value)")
      ("bind", po::value(&c.bind)->default_value(c.bind), "address to listen on")
      ("port", po::value(&c.port)->default_value(c.port), "TCP port for RESP clients")
      ("etcd-endpoints", po::value(&endpoints),
       "HOST:PORT[,HOST:PORT...] of etcd; none = standalone (in-memory) mode")
      ("etcd-prefix", po::value(&c.etcd_prefix)->default_value(c.etcd_prefix),
       "etcd key prefix of this PetaCore cluster")
      ("etcd-timeout-ms", po::value(&etcd_timeout_ms)->default_value(etcd_timeout_ms),
       "deadline of each etcd call; a write fails with an error after it")
      ("threads", po::value(&c.threads)->default_value(0), "io threads (0 = number of cores)")
      ("txn-isolation", po::value(&isolation)->default_value(isolation),
       "MULTI/EXEC isolation: serializable | snapshot | read-committed")
      ("max-commit-retries", po::value(&c.max_commit_retries)->default_value(c.max_commit_retries),
       "conflict retries of one command before it fails")
      ("etcd-max-txn-ops", po::value(&c.etcd_max_txn_ops)->default_value(c.etcd_max_txn_ops),
       "etcd's --max-txn-ops: a group commit never exceeds it")
      ("etcd-max-request-bytes",
       po::value(&c.etcd_max_request_bytes)->default_value(c.etcd_max_request_bytes),
       "etcd's --max-request-bytes: a group commit never exceeds it")
      ("etcd-max-inflight-txns",
       po::value(&c.etcd_max_inflight_txns)->default_value(c.etcd_max_inflight_txns),
       "etcd Txns in flight at once; writes arriving meanwhile are batched into the next")
      ("proto-max-bulk-len", po::value(&c.proto_max_bulk_len)->default_value(c.proto_max_bulk_len),
       "largest bulk string a client may send (bytes)")
      ("log-level", po::value(&c.log_level)->default_value(c.log_level),
       "trace | debug | info | warn | error")
      ("maxclients", po::value(&c.maxclients)->default_value(c.maxclients),
       "most clients connected at once; more get '-ERR max number of clients reached'")
      ("client-query-buffer-limit",
       po::value(&query_buffer_limit)->default_value(query_buffer_limit),
       "unparsed input of one client (bytes, or 1gb/512mb...); over it the client is closed")
      ("client-output-buffer-limit",
       po::value(&output_buffer_limit)->default_value(output_buffer_limit),
       "'[normal] <hard> <soft> <seconds>': pending reply bytes over <hard>, or over <soft> for "
       "<seconds>, close the client (0 = no limit)")
      ("timeout", po::value(&c.timeout_seconds)->default_value(c.timeout_seconds),
       "close a client idle for this many seconds (0 = never)")
      ("maxmemory", po::value(&maxmemory)->default_value(maxmemory),
       "data memory limit (bytes, or 100mb/2gb...): over it, write commands get -OOM; 0 = none")
      ("maxmemory-policy", po::value(&maxmemory_policy)->default_value(maxmemory_policy),
       "only noeviction (writes refused over maxmemory, reads served)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("config")) {
      std::ifstream f(vm["config"].as<std::string>());
      if (!f) throw po::error("cannot read config file " + vm["config"].as<std::string>());
      po::store(po::parse_config_file(f, opts), vm);  // flags stored first win
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "petacore-server: " << e.what() << "\n" << opts << "\n";
    *exit_code = 1;
    return std::nullopt;
  }
  if (vm.count("help")) {
    std::cout << "Usage: petacore-server [options]\n" << opts << "\n";
    *exit_code = 0;
    return std::nullopt;
  }
  if (vm.count("version")) {
    std::cout << "petacore-server " << PETACORE_VERSION << "\n";
    *exit_code = 0;
    return std::nullopt;
  }
  std::stringstream ss(endpoints);
  for (std::string e; std::getline(ss, e, ',');) {
    if (!e.empty()) c.etcd_endpoints.push_back(e);
  }
  if (isolation == "serializable") {
    c.txn_isolation = keyspace::Isolation::kSerializable;
  } else if (isolation == "snapshot") {
    c.txn_isolation = keyspace::Isolation::kSnapshot;
  } else if (isolation == "read-committed") {
    c.txn_isolation = keyspace::Isolation::kReadCommitted;
  } else {
    std::cerr << "petacore-server: --txn-isolation must be serializable, snapshot or "
                 "read-committed\n";
    *exit_code = 1;
    return std::nullopt;
  }
  if (c.threads <= 0) c.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  c.etcd_timeout = std::chrono::milliseconds(etcd_timeout_ms);
  if (c.etcd_max_inflight_txns < 1) c.etcd_max_inflight_txns = 1;
  if (c.etcd_max_txn_ops < 8) c.etcd_max_txn_ops = 8;
  if (!ApplyLimitOptions(query_buffer_limit, output_buffer_limit, maxmemory, maxmemory_policy,
                         &c)) {
    *exit_code = 1;
    return std::nullopt;
  }
  if (c.port <= 0 || c.port > 65535) {
    std::cerr << "petacore-server: --port out of range\n";
    *exit_code = 1;
    return std::nullopt;
  }
  return c;
}

}  // namespace petacore::server
