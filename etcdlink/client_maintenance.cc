// client_maintenance.cc — Client's per-member Maintenance calls (Status of one member,
// Defragment), aimed at one member's channel instead of the round-robin pick.
#include <utility>

#include "etcdlink/client.h"
#include "etcdlink/client_impl.h"
#include "etcdlink/convert.h"

namespace petacore::etcdlink {

namespace {

/// Clears Member::busy when a Defragment ends, however it ends.
class BusyMark {
 public:
  explicit BusyMark(internal::Member& member) : member_(member) {
    member_.busy.store(true, std::memory_order_release);
  }
  ~BusyMark() { member_.busy.store(false, std::memory_order_release); }
  BusyMark(const BusyMark&) = delete;
  BusyMark& operator=(const BusyMark&) = delete;

 private:
  internal::Member& member_;
};

}  // namespace

size_t Client::member_count() const { return impl_->members->size(); }

std::string Client::member_endpoint(size_t member) const {
  return impl_->members->at(member).address;
}

bool Client::member_responsive(size_t member) const {
  return impl_->members->at(member).responsive.load(std::memory_order_acquire);
}

absl::StatusOr<MemberStatus> Client::StatusOf(size_t member) {
  if (member >= impl_->members->size()) {
    return absl::InvalidArgumentError("etcdlink: no member " + std::to_string(member));
  }
  internal::Member& m = impl_->members->at(member);
  etcdserverpb::StatusRequest request;
  etcdserverpb::StatusResponse response;
  grpc::ClientContext ctx;
  // No hasleader (as Status()); not wait-for-ready: a member that is down fails at once.
  ctx.set_deadline(std::chrono::system_clock::now() + impl_->options.call_timeout);
  std::string token;
  if (impl_->auth) {
    grpc::Status status = impl_->auth->AddTo(&ctx, &token);
    if (!status.ok()) return internal::ToAbsl(status);
  }
  m.Begin(&ctx);
  grpc::Status status = m.maintenance->Status(&ctx, request, &response);
  if (m.Done(&ctx)) status = impl_->members->SilencedError(m);
  if (!status.ok()) return internal::ToAbsl(status);
  return internal::FromProto(response, m.address);
}

absl::Status Client::Defragment(size_t member, std::chrono::milliseconds timeout) {
  if (member >= impl_->members->size()) {
    return absl::InvalidArgumentError("etcdlink: no member " + std::to_string(member));
  }
  internal::Member& m = impl_->members->at(member);
  etcdserverpb::DefragmentRequest request;
  etcdserverpb::DefragmentResponse response;
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    std::string token;
    if (impl_->auth) {
      grpc::Status status = impl_->auth->AddTo(&ctx, &token);
      if (!status.ok()) return internal::ToAbsl(status);
    }
    // Not registered with Begin: the member may miss probes while it defragments, and its
    // silence must not cancel the call that made it busy.
    BusyMark busy(m);
    grpc::Status status = m.maintenance->Defragment(&ctx, request, &response);
    if (!impl_->auth || attempt > 0 || !internal::IsTokenError(status)) {
      return internal::ToAbsl(status);
    }
    impl_->auth->Invalidate(token);
  }
}

}  // namespace petacore::etcdlink
