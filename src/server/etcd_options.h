// src/server/etcd_options.h — etcdlink::ClientOptions from the server's Config.
#pragma once

#include "absl/status/statusor.h"
#include "config/config.h"
#include "etcdlink/client.h"

namespace petacore::server {

/// Endpoints, call deadline, TLS (reads the --etcd-cacert/--etcd-cert/--etcd-key files now, so
/// a missing or unreadable file is a start-up error naming it) and the etcd auth user.
/// Errors: LoadClientTls's; INVALID_ARGUMENT for --etcd-password without --etcd-user.
absl::StatusOr<etcdlink::ClientOptions> EtcdClientOptions(const config::Config& config);

}  // namespace petacore::server
