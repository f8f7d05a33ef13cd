// etcdlink/security_impl.h — INTERNAL: channel credentials and the etcd auth token cache.
//
// Includes gRPC and the generated code, so only etcdlink's .cc files may include it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "etcdlink/client.h"
#include "etcdlink/proto/rpc.grpc.pb.h"

namespace petacore::etcdlink::internal {

/// Metadata key of the etcd auth token (etcd v3 clientv3 sends it on every call and stream;
/// the HTTP gateway uses "authorization" instead).
inline constexpr char kTokenKey[] = "token";

/// Whether TLS is on: ClientTls::enabled, or any endpoint written as "https://...".
bool TlsWanted(const ClientOptions& options);

/// SslCredentials from options.tls when TlsWanted, else InsecureChannelCredentials. With TLS
/// it also sets the name checked against the server certificate to the first endpoint's host
/// as written (the channel target is a list of resolved IPs, which is no name to check).
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const ClientOptions& options,
                                                                 grpc::ChannelArguments* args);

/// Whether a failed call was refused for its token, so that re-authenticating and retrying it
/// once is right and safe (etcd rejects these before applying anything; facts §3.11/§4):
/// UNAUTHENTICATED "etcdserver: invalid auth token" (expired simple token, --auth-token-ttl),
/// INVALID_ARGUMENT "etcdserver: user name is empty" (no token sent) and "etcdserver: revision
/// of auth store is old". Watch create refusals carry the same texts in cancel_reason.
bool IsTokenError(const grpc::Status& status);
bool IsTokenErrorText(std::string_view message);

/// The current etcd auth token of one Client: fetched with Auth.Authenticate on first use,
/// shared by every call, dropped when a call reports it stale (Invalidate) and fetched again
/// by the next Token(). Thread-safe; Authenticate runs under the lock, so concurrent callers
/// that all saw the same stale token cause one re-authentication, not a burst (etcd hashes
/// the password with bcrypt on every Authenticate).
class AuthToken {
 public:
  AuthToken(std::string user, std::string password, std::chrono::milliseconds timeout,
            std::shared_ptr<grpc::Channel> channel);

  /// The token to send, authenticating first when there is none. "" when etcd answered that
  /// auth is not enabled (then calls go without a token). Errors are the Authenticate call's
  /// (e.g. INVALID_ARGUMENT "etcdserver: authentication failed, invalid user ID or password",
  /// or UNAVAILABLE/DEADLINE_EXCEEDED when etcd cannot be reached within `timeout`).
  grpc::Status Token(std::string* token);

  /// Forgets `stale` if it is still the current token (a concurrent caller may have replaced it
  /// already), so the next Token() authenticates again.
  void Invalidate(const std::string& stale);

  /// Adds the token to `ctx` (nothing when it is ""); returns Token()'s status.
  grpc::Status AddTo(grpc::ClientContext* ctx, std::string* token);

  /// Tokens dropped by Invalidate so far (each leads to one re-authentication).
  int64_t refreshes() const { return refreshes_.load(); }

 private:
  const std::string user_;
  const std::string password_;
  const std::chrono::milliseconds timeout_;
  std::unique_ptr<etcdserverpb::Auth::Stub> stub_;
  std::mutex mu_;
  bool have_token_ = false;  // guarded by mu_
  std::string token_;        // guarded by mu_
  std::atomic<int64_t> refreshes_{0};
};

}  // namespace petacore::etcdlink::internal
