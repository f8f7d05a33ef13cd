// etcdlink/security.h — TLS and user/password settings of the etcd link.
//
// etcd v3 secures its client port with TLS (etcd --cert-file/--key-file, optionally
// --client-cert-auth --trusted-ca-file) and can require a user: Auth.Authenticate(name,
// password) returns a token that every later call carries as gRPC metadata "token".
// This header is gRPC-free; the channel credentials and the token cache live in
// security_impl.h, private to etcdlink.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace petacore::etcdlink {

/// TLS towards etcd, as PEM text (not file names). `enabled` false = plaintext h2c.
/// ca_pem empty = the system's trusted roots (gRPC's default); cert_pem/key_pem empty = no
/// client certificate (etcd --client-cert-auth then refuses the handshake). The server
/// certificate must be valid for the host of the first endpoint as written ("127.0.0.1" needs
/// subjectAltName IP:127.0.0.1), as gRPC checks one name for the whole channel.
struct ClientTls {
  bool enabled = false;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

/// Reads the PEM files named as etcdctl's --cacert, --cert and --key (any may be empty =
/// not given). TLS is enabled when at least one is given. Errors: NOT_FOUND/INVALID_ARGUMENT
/// naming the unreadable file, or INVALID_ARGUMENT when only one of cert/key is given.
absl::StatusOr<ClientTls> LoadClientTls(const std::string& ca_file, const std::string& cert_file,
                                        const std::string& key_file);

/// Whether `status` is etcd refusing the configured user/password (INVALID_ARGUMENT
/// "etcdserver: authentication failed, invalid user ID or password"), as opposed to a
/// transient failure: retrying it cannot help, so a caller at start-up should give up.
bool IsAuthFailure(const absl::Status& status);

}  // namespace petacore::etcdlink
