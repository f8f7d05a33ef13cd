// etcdlink/convert.h — INTERNAL: conversions between the plain mirror types (types.h,
// watcher.h) and the generated etcdserverpb/mvccpb messages. Only etcdlink's own .cc files
// include this, so generated headers never reach the rest of PetaCore.
#pragma once

#include "etcdlink/proto/kv.pb.h"
#include "etcdlink/proto/rpc.pb.h"
#include "etcdlink/types.h"
#include "etcdlink/watcher.h"

namespace petacore::etcdlink::internal {

KeyValue FromProto(const mvccpb::KeyValue& kv);
WatchEvent FromProto(const mvccpb::Event& event);
RangeResponse FromProto(const etcdserverpb::RangeResponse& response);
/// Recursive: nested Txn responses become OpResponse::txn.
TxnResponse FromProto(const etcdserverpb::TxnResponse& response);
/// Maintenance.Status's reply, answered by the member at `endpoint` ("ip:port").
MemberStatus FromProto(const etcdserverpb::StatusResponse& response, std::string endpoint);

void ToProto(const Compare& compare, etcdserverpb::Compare* out);
/// Recursive: Op::Kind::kTxn becomes request_txn (a null Op::txn is sent as an empty Txn).
void ToProto(const Op& op, etcdserverpb::RequestOp* out);
void ToProto(const TxnRequest& request, etcdserverpb::TxnRequest* out);

}  // namespace petacore::etcdlink::internal
