// src/server/server.h — the PetaCore node: io threads, the listener, and the replication
// side (standalone LocalCommitter, or etcd client + EtcdCommitter + Sync).
#pragma once

#include <memory>

#include "config/config.h"

namespace petacore::server {

/// Runs a node until SIGINT/SIGTERM. Returns the process exit code.
int RunServer(const config::Config& config);

}  // namespace petacore::server
