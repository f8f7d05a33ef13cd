#include "server/etcd_options.h"

#include <utility>

namespace petacore::server {

absl::StatusOr<etcdlink::ClientOptions> EtcdClientOptions(const config::Config& config) {
  etcdlink::ClientOptions options;
  options.endpoints = config.etcd_endpoints;
  options.call_timeout = config.etcd_timeout;
  options.keepalive = config.etcd_keepalive;
  options.member_timeout = config.etcd_member_timeout;
  auto tls = etcdlink::LoadClientTls(config.etcd_cacert, config.etcd_cert, config.etcd_key);
  if (!tls.ok()) return tls.status();
  options.tls = std::move(*tls);
  if (config.etcd_user.empty() && !config.etcd_password.empty()) {
    return absl::InvalidArgumentError("an etcd password was given without --etcd-user");
  }
  options.user = config.etcd_user;
  options.password = config.etcd_password;
  return options;
}

}  // namespace petacore::server
