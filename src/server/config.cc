#include "server/config.h"

#include <boost/program_options.hpp>
#include <unistd.h>

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

namespace {

// --etcd-user NAME:PASSWORD (as etcdctl) or --etcd-password-file; the file keeps the secret out
// of `ps`. Prints the error and returns false when the file cannot be read.
bool ResolveEtcdPassword(Config* c, const std::string& password_file) {
  if (const auto colon = c->etcd_user.find(':');
      colon != std::string::npos && c->etcd_password.empty()) {
    c->etcd_password = c->etcd_user.substr(colon + 1);
    c->etcd_user.resize(colon);
  }
  if (password_file.empty()) return true;
  std::ifstream f(password_file);
  if (!f) {
    std::cerr << "petacore-server: cannot read --etcd-password-file " << password_file << "\n";
    return false;
  }
  std::getline(f, c->etcd_password);
  if (!c->etcd_password.empty() && c->etcd_password.back() == '\r') c->etcd_password.pop_back();
  return true;
}

}  // namespace

std::optional<Config> ParseCommandLine(int argc, char** argv, int* exit_code) {
  Config c;
  std::string endpoints, isolation = "serializable", config_file, etcd_password_file;
  std::string read_consistency = "local", protected_mode = "yes";
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
      ("read-consistency", po::value(&read_consistency)->default_value(read_consistency),
       "reads: local (from this node's replica) | linearizable (wait for etcd's revision)")
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
       "only noeviction (writes refused over maxmemory, reads served)")
      ("etcd-cacert", po::value(&c.etcd_cacert),
       "verify etcd's TLS certificate with this CA bundle (PEM); turns TLS on")
      ("etcd-cert", po::value(&c.etcd_cert), "TLS client certificate for etcd (PEM)")
      ("etcd-key", po::value(&c.etcd_key), "private key of --etcd-cert (PEM)")
      ("etcd-user", po::value(&c.etcd_user),
       "etcd auth user, as NAME or NAME:PASSWORD (etcdctl --user)")
      ("etcd-password", po::value(&c.etcd_password), "password of --etcd-user")
      ("etcd-password-file", po::value(&etcd_password_file),
       "read the password of --etcd-user from the first line of FILE")
      ("tls-port", po::value(&c.tls_port)->default_value(c.tls_port),
       "TCP port for RESP clients over TLS (0 = none)")
      ("tls-cert-file", po::value(&c.tls_cert_file), "server certificate chain (PEM)")
      ("tls-key-file", po::value(&c.tls_key_file), "private key of --tls-cert-file (PEM)")
      ("tls-ca-cert-file", po::value(&c.tls_ca_cert_file),
       "CA certificates that client certificates must chain to (PEM)")
      ("tls-auth-clients", po::value(&c.tls_auth_clients)->default_value(c.tls_auth_clients),
       "client certificates on the TLS port: yes (required) | optional | no")
      ("node-id", po::value(&c.node_id),
       "this node's name in the expiry election (default <hostname>:<port>)")
      ("active-expiry", po::value(&c.active_expiry)->default_value(c.active_expiry),
       "delete expired keys in the background (yes/no); no = only on access")
      ("expiry-lease-ttl", po::value(&c.expiry_lease_ttl_s)->default_value(c.expiry_lease_ttl_s),
       "TTL (s) of the expiry leader's etcd lease: how long a crashed leader blocks takeover")
      ("expiry-max-inflight",
       po::value(&c.expiry_max_inflight)->default_value(c.expiry_max_inflight),
       "expiry deletes queued or in flight at once: bounds how long a burst of expiring keys "
       "delays client writes, and how fast the burst is cleared")
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
  if (auto rc = ParseReadConsistency(read_consistency)) {
    c.read_consistency = *rc;
  } else {
    std::cerr << "petacore-server: --read-consistency must be local or linearizable\n";
    *exit_code = 1;
    return std::nullopt;
  }
  if (!ResolveEtcdPassword(&c, etcd_password_file)) {
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
  if (!ApplyLimitOptions(query_buffer_limit, output_buffer_limit, maxmemory, maxmemory_policy,
                         &c)) {
    *exit_code = 1;
    return std::nullopt;
  }
  if (c.port < 0 || c.port > 65535 || c.tls_port < 0 || c.tls_port > 65535) {
    std::cerr << "petacore-server: --port/--tls-port out of range\n";
    *exit_code = 1;
    return std::nullopt;
  }
  if (c.port == 0 && c.tls_port == 0) {
    std::cerr << "petacore-server: --port 0 needs a --tls-port (no listener otherwise)\n";
    *exit_code = 1;
    return std::nullopt;
  }
  if (c.tls_auth_clients != "yes" && c.tls_auth_clients != "no" &&
      c.tls_auth_clients != "optional") {
    std::cerr << "petacore-server: --tls-auth-clients must be yes, no or optional\n";
    *exit_code = 1;
    return std::nullopt;
  }
  if (c.node_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    c.node_id = std::string(host) + ":" + std::to_string(c.port);
  }
  if (c.expiry_lease_ttl_s < 1) c.expiry_lease_ttl_s = 1;
  if (c.expiry_max_inflight < 1) c.expiry_max_inflight = 1;
  return c;
}

}  // namespace petacore::server
