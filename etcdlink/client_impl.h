// etcdlink/client_impl.h — INTERNAL: the state behind Client, shared with Watcher.
//
// Holds one channel per member (members.h: new calls go to members that answer) and one
// round_robin channel over all of them for authentication. Including this
// pulls in gRPC and the generated code, so only etcdlink's .cc files may include it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "etcdlink/client.h"
#include "etcdlink/members.h"
#include "etcdlink/proto/rpc.grpc.pb.h"
#include "etcdlink/security_impl.h"

namespace petacore::etcdlink {

namespace internal {

struct AsyncTxnCall;

/// grpc::Status -> absl::Status; the numeric codes are identical by design of both libraries.
absl::Status ToAbsl(const grpc::Status& status);

/// The endpoints as "ip:port" (IPv4). Host names are resolved once, here (as clientv3 and
/// etcd-cpp-apiv3 do); "localhost" is 127.0.0.1 so no IPv6 surprise; "http://" and
/// "https://" prefixes are dropped; no endpoint means 127.0.0.1:2379 (etcd's default).
std::vector<std::string> ResolveEndpoints(const std::vector<std::string>& endpoints);

/// "ipv4:a:p1,b:p2" for gRPC's static ipv4 resolver, from ResolveEndpoints.
std::string BuildTarget(const std::vector<std::string>& endpoints);

/// Metadata that makes an etcd member refuse (UNAVAILABLE "etcdserver: no leader") instead of
/// stalling when it has lost its leader, and end streams when leadership is lost.
inline constexpr char kHasLeaderKey[] = "hasleader";
inline constexpr char kHasLeaderValue[] = "true";

}  // namespace internal

struct Client::Impl {
  explicit Impl(ClientOptions opts);
  ~Impl();

  /// Deadline = now + call_timeout, wait_for_ready (a call waits for a connection rather than
  /// failing fast on a reconnecting channel), optional hasleader.
  void PrepareUnary(grpc::ClientContext* ctx, bool require_leader) const;

  /// One unary call: `call(ctx, member)` runs on a context from PrepareUnary plus the auth
  /// token, towards a member Members::Pick chose; a call cancelled because its member went
  /// silent returns Members::SilencedError. When etcd refuses the token it re-authenticates
  /// and runs `call` once more on a new context (safe for writes: such a request was
  /// rejected before being applied).
  template <typename Call>
  grpc::Status Unary(bool require_leader, Call&& call) const {
    for (int attempt = 0;; ++attempt) {
      grpc::ClientContext ctx;
      PrepareUnary(&ctx, require_leader);
      std::string token;
      if (auth) {
        grpc::Status status = auth->AddTo(&ctx, &token);
        if (!status.ok()) return status;
      }
      internal::Member& member = members->Pick();
      member.Begin(&ctx);
      grpc::Status status = call(&ctx, member);
      if (member.Done(&ctx)) status = members->SilencedError(member);
      if (!auth || attempt > 0 || !internal::IsTokenError(status)) return status;
      auth->Invalidate(token);
    }
  }

  /// Sends one attempt of an async Txn (new context with the call's first deadline, auth
  /// token) and registers it in `inflight`; its completion runs on cq_thread. Returns false,
  /// with call->status set, when it could not be sent (auth failed, shutting down): the caller
  /// then completes the call.
  bool SendTxnAttempt(internal::AsyncTxnCall* call);

  /// On the completion thread, for a finished attempt or back-off alarm of `call`: sends it
  /// again if etcd refused it before Raft (retry_policy.h; after RetryBackoff, while its
  /// retry deadline allows) or refused its auth token (once, at once); returns true when the
  /// call goes on, false when it is complete.
  bool RetryAsyncTxn(internal::AsyncTxnCall* call);

  ClientOptions options;
  std::shared_ptr<grpc::Channel> channel;  // round_robin over every member: authentication
  std::unique_ptr<internal::Members> members;
  std::unique_ptr<internal::AuthToken> auth;  // null when options.user is empty

  // TxnAsync machinery: one completion queue drained by one thread owned by the client.
  grpc::CompletionQueue cq;
  std::mutex mu;
  bool shutting_down = false;                            // guarded by mu
  std::unordered_set<internal::AsyncTxnCall*> inflight;  // guarded by mu
  std::thread cq_thread;
};

}  // namespace petacore::etcdlink
