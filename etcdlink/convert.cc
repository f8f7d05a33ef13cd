// convert.cc — mirror types <-> generated protos. Keys and values are bytes: they are always
// copied with their length (std::string or data+size), never as C strings, so '\0' survives.
#include "etcdlink/convert.h"

namespace petacore::etcdlink::internal {

KeyValue FromProto(const mvccpb::KeyValue& kv) {
  KeyValue out;
  out.key.assign(kv.key().data(), kv.key().size());
  out.value.assign(kv.value().data(), kv.value().size());
  out.create_revision = kv.create_revision();
  out.mod_revision = kv.mod_revision();
  out.version = kv.version();
  out.lease = kv.lease();
  return out;
}

WatchEvent FromProto(const mvccpb::Event& event) {
  WatchEvent out;
  out.type =
      event.type() == mvccpb::Event::DELETE ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
  out.kv = FromProto(event.kv());
  return out;
}

RangeResponse FromProto(const etcdserverpb::RangeResponse& response) {
  RangeResponse out;
  out.revision = response.header().revision();
  out.more = response.more();
  out.count = response.count();
  out.kvs.reserve(response.kvs_size());
  for (const auto& kv : response.kvs()) out.kvs.push_back(FromProto(kv));
  return out;
}

namespace {

OpResponse OpFromProto(const etcdserverpb::ResponseOp& op) {
  OpResponse out;
  switch (op.response_case()) {
    case etcdserverpb::ResponseOp::kResponseRange: {
      out.kind = Op::Kind::kRange;
      out.count = op.response_range().count();
      out.kvs.reserve(op.response_range().kvs_size());
      for (const auto& kv : op.response_range().kvs()) out.kvs.push_back(FromProto(kv));
      break;
    }
    case etcdserverpb::ResponseOp::kResponsePut:
      out.kind = Op::Kind::kPut;
      break;
    case etcdserverpb::ResponseOp::kResponseDeleteRange:
      out.kind = Op::Kind::kDeleteRange;
      out.deleted = op.response_delete_range().deleted();
      break;
    case etcdserverpb::ResponseOp::kResponseTxn:
      out.kind = Op::Kind::kTxn;
      out.txn = std::make_shared<TxnResponse>(FromProto(op.response_txn()));
      break;
    case etcdserverpb::ResponseOp::RESPONSE_NOT_SET:
      break;
  }
  return out;
}

}  // namespace

TxnResponse FromProto(const etcdserverpb::TxnResponse& response) {
  TxnResponse out;
  out.revision = response.header().revision();
  out.succeeded = response.succeeded();
  out.responses.reserve(response.responses_size());
  for (const auto& op : response.responses()) out.responses.push_back(OpFromProto(op));
  return out;
}

void ToProto(const Compare& compare, etcdserverpb::Compare* out) {
  out->set_result(static_cast<etcdserverpb::Compare::CompareResult>(compare.result));
  out->set_target(static_cast<etcdserverpb::Compare::CompareTarget>(compare.target));
  out->set_key(compare.key.data(), compare.key.size());
  if (!compare.range_end.empty()) {
    out->set_range_end(compare.range_end.data(), compare.range_end.size());
  }
  // etcd reads only the oneof member named by `target`; set exactly that one.
  switch (compare.target) {
    case Compare::Target::kVersion:
      out->set_version(compare.number);
      break;
    case Compare::Target::kCreate:
      out->set_create_revision(compare.number);
      break;
    case Compare::Target::kMod:
      out->set_mod_revision(compare.number);
      break;
    case Compare::Target::kValue:
      out->set_value(compare.value.data(), compare.value.size());
      break;
    case Compare::Target::kLease:
      out->set_lease(compare.number);
      break;
  }
}

void ToProto(const Op& op, etcdserverpb::RequestOp* out) {
  switch (op.kind) {
    case Op::Kind::kRange: {
      auto* range = out->mutable_request_range();
      range->set_key(op.key.data(), op.key.size());
      if (!op.range_end.empty()) range->set_range_end(op.range_end.data(), op.range_end.size());
      range->set_limit(op.limit);
      range->set_revision(op.revision);
      break;
    }
    case Op::Kind::kPut: {
      auto* put = out->mutable_request_put();
      put->set_key(op.key.data(), op.key.size());
      put->set_value(op.value.data(), op.value.size());
      put->set_lease(op.lease);
      if (op.ignore_value) put->set_ignore_value(true);
      break;
    }
    case Op::Kind::kDeleteRange: {
      auto* del = out->mutable_request_delete_range();
      del->set_key(op.key.data(), op.key.size());
      if (!op.range_end.empty()) del->set_range_end(op.range_end.data(), op.range_end.size());
      break;
    }
    case Op::Kind::kTxn: {
      auto* txn = out->mutable_request_txn();
      if (op.txn) ToProto(*op.txn, txn);
      break;
    }
  }
}

void ToProto(const TxnRequest& request, etcdserverpb::TxnRequest* out) {
  out->mutable_compare()->Reserve(static_cast<int>(request.compare.size()));
  for (const auto& c : request.compare) ToProto(c, out->add_compare());
  out->mutable_success()->Reserve(static_cast<int>(request.success.size()));
  for (const auto& op : request.success) ToProto(op, out->add_success());
  out->mutable_failure()->Reserve(static_cast<int>(request.failure.size()));
  for (const auto& op : request.failure) ToProto(op, out->add_failure());
}

MemberStatus FromProto(const etcdserverpb::StatusResponse& response, std::string endpoint) {
  MemberStatus out;
  out.version = response.version();
  out.db_size = response.db_size();
  out.db_size_in_use = response.db_size_in_use();
  out.endpoint = std::move(endpoint);
  out.leader = response.leader();
  out.member_id = response.header().member_id();
  out.revision = response.header().revision();
  out.raft_index = response.raft_index();
  out.errors.assign(response.errors().begin(), response.errors().end());
  return out;
}

}  // namespace petacore::etcdlink::internal
