#include "config/config.h"

#include "config/config_registry.h"

#include <boost/program_options.hpp>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace petacore::config {

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

namespace {

// Cross-option checks and derived values, after every option is set. Prints the error and
// returns false on a bad combination.
bool Finalize(Config* c) {
  // --etcd-user NAME:PASSWORD, as etcdctl (a --etcd-password or its file wins).
  if (const auto colon = c->etcd_user.find(':');
      colon != std::string::npos && c->etcd_password.empty()) {
    c->etcd_password = c->etcd_user.substr(colon + 1);
    c->etcd_user.resize(colon);
  }
  if (c->threads <= 0) {
    c->threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (c->port == 0 && c->tls_port == 0) {
    std::cerr << "petacore-server: --port 0 needs a --tls-port (no listener otherwise)\n";
    return false;
  }
  if (c->node_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    c->node_id = std::string(host) + ":" + std::to_string(c->port);
  }
  return true;
}

// Sets option `name` from `value` (the command line or the config file); prints the error.
bool SetOption(Config* c, const std::string& name, const std::string& value) {
  if (const ConfigOption* o = FindConfigOption(name)) {
    if (auto error = o->set(c, value); !error.empty()) {
      std::cerr << "petacore-server: --" << name << " '" << value << "': " << error << "\n";
      return false;
    }
    return true;
  }
  if (FindInertOption(name) != nullptr) {
    std::cerr << "petacore-server: '" << name << "' means nothing to PetaCore; ignored\n";
    return true;
  }
  std::cerr << "petacore-server: unknown option '" << name << "'\n";
  return false;
}

}  // namespace

std::optional<Config> ParseCommandLine(int argc, char** argv, int* exit_code) {
  Config c;
  po::options_description opts("petacore-server options (CONFIG GET/SET names)");
  opts.add_options()
      ("help,h", "print this help and exit")
      ("version,v", "print the version and exit")
      ("config", po::value<std::string>(),
       "read options from FILE (redis.conf syntax: 'name value', or 'name=value')");
  const Config defaults;
  for (const auto& o : ConfigOptions()) {
    std::string help(o.help);
    if (std::string d = o.get(defaults); !d.empty()) help += " [" + d + "]";
    if (o.flags & kConfigCluster) help += " (cluster-wide)";
    opts.add_options()(std::string(o.name).c_str(), po::value<std::string>(), help.c_str());
    if (!o.flag_alias.empty()) {
      opts.add_options()(std::string(o.flag_alias).c_str(), po::value<std::string>(),
                         ("same as --" + std::string(o.name)).c_str());
    }
    if (!o.redis_alias.empty()) {
      opts.add_options()(std::string(o.redis_alias).c_str(), po::value<std::string>(),
                         ("same as --" + std::string(o.name)).c_str());
    }
  }
  for (const auto& o : InertOptions()) {
    if (FindConfigOption(o.name) != nullptr) continue;
    opts.add_options()(std::string(o.name).c_str(), po::value<std::string>(),
                       "accepted and ignored (a Redis parameter with no meaning here)");
  }
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
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
  *exit_code = 1;
  if (vm.count("config")) {  // the file first: flags win over it
    c.config_file = vm["config"].as<std::string>();
    std::string error;
    auto lines = ReadConfigFile(c.config_file, &error);
    if (!lines) {
      std::cerr << "petacore-server: " << error << "\n";
      return std::nullopt;
    }
    for (const auto& [name, value] : *lines) {
      if (!SetOption(&c, name, value)) return std::nullopt;
    }
  }
  for (const auto& [name, value] : vm) {
    if (name == "help" || name == "version" || name == "config") continue;
    if (!SetOption(&c, name, value.as<std::string>())) return std::nullopt;
  }
  if (!Finalize(&c)) return std::nullopt;
  *exit_code = 0;
  return c;
}

}  // namespace petacore::config
