// client_lease.cc — Client's Lease and Maintenance calls.
#include <utility>

#include "etcdlink/client.h"
#include "etcdlink/client_impl.h"
#include "etcdlink/convert.h"

namespace petacore::etcdlink {

absl::StatusOr<std::pair<int64_t, int64_t>> Client::LeaseGrant(int64_t ttl_seconds, int64_t id) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  request.set_id(id);
  etcdserverpb::LeaseGrantResponse response;
  auto status =
      internal::ToAbsl(impl_->Unary(true, [&](grpc::ClientContext* ctx, internal::Member& m) {
        return m.lease->LeaseGrant(ctx, request, &response);
      }));
  if (!status.ok()) return status;
  // etcd 3.4 reports grant failures as gRPC errors; `error` is a legacy field, kept as a guard.
  if (!response.error().empty()) return absl::UnknownError(response.error());
  return std::make_pair(response.id(), response.ttl());
}

absl::Status Client::LeaseRevoke(int64_t id) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(id);
  etcdserverpb::LeaseRevokeResponse response;
  return internal::ToAbsl(impl_->Unary(true, [&](grpc::ClientContext* ctx, internal::Member& m) {
    return m.lease->LeaseRevoke(ctx, request, &response);
  }));
}

absl::StatusOr<int64_t> Client::LeaseKeepAliveOnce(int64_t id) {
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(id);
  etcdserverpb::LeaseKeepAliveResponse response;
  bool got = false;
  // The whole round trip shares the unary deadline, so a dead member cannot stall it.
  auto status =
      internal::ToAbsl(impl_->Unary(true, [&](grpc::ClientContext* ctx, internal::Member& m) {
        auto stream = m.lease->LeaseKeepAlive(ctx);
        got = stream->Write(request) && stream->WritesDone() && stream->Read(&response);
        if (got) {
          // The server ends its side once it has seen our half-close; drain that so Finish is
          // quick.
          etcdserverpb::LeaseKeepAliveResponse extra;
          while (stream->Read(&extra)) {
          }
        }
        return stream->Finish();
      }));
  if (!got) {
    if (!status.ok()) return status;
    return absl::UnavailableError("etcdlink: keep-alive stream closed without a response");
  }
  return response.ttl();
}

absl::StatusOr<int64_t> Client::LeaseTimeToLive(int64_t id) {
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(id);
  etcdserverpb::LeaseTimeToLiveResponse response;
  auto status =
      internal::ToAbsl(impl_->Unary(true, [&](grpc::ClientContext* ctx, internal::Member& m) {
        return m.lease->LeaseTimeToLive(ctx, request, &response);
      }));
  if (!status.ok()) return status;
  return response.ttl();
}

absl::StatusOr<MemberStatus> Client::Status() {
  etcdserverpb::StatusRequest request;
  etcdserverpb::StatusResponse response;
  // No hasleader: Status is how one diagnoses a member that lost its leader.
  std::string endpoint;
  auto status =
      internal::ToAbsl(impl_->Unary(false, [&](grpc::ClientContext* ctx, internal::Member& m) {
        endpoint = m.address;
        return m.maintenance->Status(ctx, request, &response);
      }));
  if (!status.ok()) return status;
  return internal::FromProto(response, std::move(endpoint));
}

}  // namespace petacore::etcdlink
