// etcdlink/members.h — INTERNAL: one gRPC channel per etcd member, and a prober that tells
// the members that answer from the ones that went silent (a frozen process, a paused VM, a
// black-holed link), so that new requests go only to members that answer.
//
// Why not one round_robin channel: gRPC's round_robin skips a member only once its connection
// breaks, and a frozen member keeps its TCP connection open — a third of the requests then
// wait for their deadline (issue 18). etcd 3.4's clientv3 keeps no health list either
// (facts §4.1); etcd 3.5's health balancer does, which is what this follows.
//
// Includes gRPC: only etcdlink's .cc files may include it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "etcdlink/proto/rpc.grpc.pb.h"

namespace petacore::etcdlink::internal {

/// One etcd member: its channel, its stubs, and whether it answers. The stubs are
/// thread-safe (gRPC's); `responsive` is written by the prober only.
struct Member {
  std::string address;  ///< "ip:port", as dialled
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
  /// False once the member has not answered a probe for the silence timeout; true again at
  /// its next answer.
  std::atomic<bool> responsive{true};
  /// True while this client defragments the member (Client::Defragment): etcd blocks its
  /// reads and writes meanwhile, so Pick() avoids it as if it were silent.
  std::atomic<bool> busy{false};

  /// Registers a call in flight on this member (until Done), so that the member going
  /// silent cancels it (Members::Silence). `ctx` must stay alive until Done(ctx).
  void Begin(grpc::ClientContext* ctx);
  /// Unregisters `ctx`; returns true when the member's silence cancelled it meanwhile (the
  /// caller then reports SilencedError instead of gRPC's CANCELLED).
  bool Done(grpc::ClientContext* ctx);

  // Guards `calls` and `cancelled`.
  std::mutex mu;
  std::unordered_set<grpc::ClientContext*> calls;
  std::unordered_set<grpc::ClientContext*> cancelled;

  // Prober thread only.
  bool probing = false;
  int64_t last_answer_ms = 0;  // steady-clock ms of the last answered probe
  std::unique_ptr<grpc::ClientContext> probe_ctx;
  etcdserverpb::StatusRequest probe_request;
  etcdserverpb::StatusResponse probe_response;
  grpc::Status probe_status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::StatusResponse>> probe_reader;
};

/// The members, dialled once each, and the prober. Thread-safe.
///
/// The prober sends each member a Maintenance.Status (unauthenticated in etcd 3.4, no
/// hasleader: a member without a leader still answers, and refuses leader-requiring requests
/// at once by itself) every `probe_interval`, at most one at a time per member. A member that
/// has answered none for `silence_timeout` is silent: Pick() stops choosing it, every call in
/// flight on it is cancelled (its caller gets SilencedError: a write may or may not have been
/// applied; a watch stream reconnects elsewhere). `silence_timeout` 0 turns
/// the prober off: every member always counts as responsive (gRPC keepalive is then the only
/// detector, as before).
class Members {
 public:
  Members(const std::vector<std::string>& addresses, const grpc::ChannelArguments& args,
          const std::shared_ptr<grpc::ChannelCredentials>& credentials,
          std::chrono::milliseconds probe_interval, std::chrono::milliseconds silence_timeout);
  /// Stops the prober (cancels its probes, joins its thread).
  ~Members();
  Members(const Members&) = delete;
  Members& operator=(const Members&) = delete;

  /// The next responsive, not busy member in round-robin order; when none is, the next
  /// responsive one, then the next one regardless (its calls then wait for their deadline as they
  /// would on one channel).
  Member& Pick();
  size_t size() const { return members_.size(); }
  Member& at(size_t i) { return *members_[i]; }

  /// The highest etcd revision a probe answer carried (StatusResponse.header.revision), 0
  /// before the first answer: what the cluster had committed, at most probe_interval ago.
  int64_t known_revision() const { return known_revision_.load(std::memory_order_acquire); }
  /// Steady-clock ms of the last probe answer from any member (the construction time before
  /// the first one).
  int64_t last_answer_ms() const { return last_any_answer_ms_.load(std::memory_order_acquire); }
  /// Whether the prober runs (silence_timeout > 0).
  bool probing() const { return silence_timeout_.count() > 0; }

  /// How many times a member went silent so far (INFO etcd_member_silences).
  int64_t silences() const { return silences_.load(std::memory_order_relaxed); }
  /// "ip:port=up|busy|silent,..." for INFO (busy: being defragmented).
  std::string Describe() const;

  /// The error a call cancelled by its member's silence reports: UNAVAILABLE (a read is
  /// sent again to another member; a write is not: retry_policy's NotApplied is false), with
  /// a text saying the write may or may not have been applied.
  grpc::Status SilencedError(const Member& member) const;

 private:
  void ProbeLoop();
  void Silence(Member& member);

  std::vector<std::unique_ptr<Member>> members_;
  const std::chrono::milliseconds probe_interval_;
  const std::chrono::milliseconds silence_timeout_;
  std::atomic<uint64_t> next_{0};
  std::atomic<int64_t> silences_{0};
  std::atomic<int64_t> known_revision_{0};
  std::atomic<int64_t> last_any_answer_ms_{0};

  grpc::CompletionQueue cq_;
  std::atomic<bool> stopping_{false};
  std::thread prober_;
};

}  // namespace petacore::etcdlink::internal
