#include "server/config.h"

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace petacore::server {

namespace po = boost::program_options;

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
  std::string endpoints, isolation = "serializable", config_file, protected_mode = "yes";
  int64_t etcd_timeout_ms = c.etcd_timeout.count();
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
      ("requirepass", po::value(&c.requirepass),
       "password of the 'default' user (until a stored ACL SETUSER default replaces it)")
      ("protected-mode", po::value(&protected_mode)->default_value(protected_mode),
       "yes | no: with yes and no password for the default user, serve loopback clients only");
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
  if (protected_mode == "yes" || protected_mode == "no") {
    c.protected_mode = protected_mode == "yes";
  } else {
    std::cerr << "petacore-server: --protected-mode must be yes or no\n";
    *exit_code = 1;
    return std::nullopt;
  }
  if (c.threads <= 0) c.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  c.etcd_timeout = std::chrono::milliseconds(etcd_timeout_ms);
  if (c.etcd_max_inflight_txns < 1) c.etcd_max_inflight_txns = 1;
  if (c.etcd_max_txn_ops < 8) c.etcd_max_txn_ops = 8;
  if (c.port <= 0 || c.port > 65535) {
    std::cerr << "petacore-server: --port out of range\n";
    *exit_code = 1;
    return std::nullopt;
  }
  return c;
}

}  // namespace petacore::server
