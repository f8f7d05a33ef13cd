// etcdlink/ — PetaCore's etcd v3 client over gRPC (a wire-compatible subset of etcd 3.4's API).
//
// This header holds plain C++ mirrors of the etcd messages the rest of PetaCore uses, so that
// no generated protobuf header leaks out of etcdlink/. Field meanings are etcd's own
// (etcdserverpb / mvccpb in etcd v3.4 rpc.proto and kv.proto).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace petacore::etcdlink {

/// mvccpb.KeyValue.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

/// etcdserverpb.Compare. Only the member matching `target` is sent (etcd reads only that one).
struct Compare {
  enum class Target { kVersion = 0, kCreate = 1, kMod = 2, kValue = 3, kLease = 4 };
  enum class Result { kEqual = 0, kGreater = 1, kLess = 2, kNotEqual = 3 };
  Result result = Result::kEqual;
  Target target = Target::kMod;
  std::string key;
  std::string range_end;  ///< non-empty: compare every key in [key, range_end)
  int64_t number = 0;     ///< version / create_revision / mod_revision / lease
  std::string value;      ///< for kValue

  /// mod_revision(key) == rev; rev 0 means "key absent" (etcd compares a missing key as 0).
  static Compare ModEquals(std::string key, int64_t rev) {
    Compare c;
    c.key = std::move(key);
    c.number = rev;
    return c;
  }
};

struct TxnRequest;
struct TxnResponse;

/// etcdserverpb.RequestOp: one of Range, Put, DeleteRange or a nested Txn.
struct Op {
  enum class Kind { kRange, kPut, kDeleteRange, kTxn };
  Kind kind = Kind::kPut;
  std::string key;
  std::string range_end;            ///< Range / DeleteRange: empty = just `key`
  std::string value;                ///< Put
  int64_t lease = 0;                ///< Put
  bool ignore_value = false;        ///< Put: keep the key's value (etcd refuses it if absent)
  int64_t limit = 0;                ///< Range
  int64_t revision = 0;             ///< Range: read at this revision (0 = the newest)
  std::shared_ptr<TxnRequest> txn;  ///< kTxn

  static Op Put(std::string key, std::string value, int64_t lease = 0) {
    Op o;
    o.kind = Kind::kPut;
    o.key = std::move(key);
    o.value = std::move(value);
    o.lease = lease;
    return o;
  }
  static Op Delete(std::string key, std::string range_end = {}) {
    Op o;
    o.kind = Kind::kDeleteRange;
    o.key = std::move(key);
    o.range_end = std::move(range_end);
    return o;
  }
  static Op Get(std::string key, std::string range_end = {}) {
    Op o;
    o.kind = Kind::kRange;
    o.key = std::move(key);
    o.range_end = std::move(range_end);
    return o;
  }
  static Op Nested(std::shared_ptr<TxnRequest> txn) {
    Op o;
    o.kind = Kind::kTxn;
    o.txn = std::move(txn);
    return o;
  }
};

/// etcdserverpb.TxnRequest.
struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<Op> success;
  std::vector<Op> failure;
};

/// etcdserverpb.ResponseOp (the parts PetaCore reads).
struct OpResponse {
  Op::Kind kind = Op::Kind::kPut;
  std::vector<KeyValue> kvs;         ///< kRange
  int64_t count = 0;                 ///< kRange
  int64_t deleted = 0;               ///< kDeleteRange
  std::shared_ptr<TxnResponse> txn;  ///< kTxn
};

/// etcdserverpb.TxnResponse; `revision` is header.revision (the revision the Txn produced
/// when it wrote, else the member's current revision).
struct TxnResponse {
  int64_t revision = 0;
  bool succeeded = false;
  std::vector<OpResponse> responses;
};

/// One page or the whole of a Range: header.revision, kvs, more, count.
struct RangeResponse {
  int64_t revision = 0;
  std::vector<KeyValue> kvs;
  bool more = false;
  int64_t count = 0;
};

/// Maintenance.Status, member-local.
struct MemberStatus {
  std::string version;         ///< e.g. "3.4.23"
  int64_t db_size = 0;         ///< bytes
  int64_t db_size_in_use = 0;  ///< bytes of db_size holding data (the rest: free pages)
  std::string endpoint;        ///< "ip:port" of the member that answered
  uint64_t leader = 0;
  uint64_t member_id = 0;
  int64_t revision = 0;
  uint64_t raft_index = 0;
  std::vector<std::string> errors;  ///< e.g. "memberID:… alarm:NOSPACE "
};

/// The end of a prefix range as etcd's clientv3.GetPrefixRangeEnd: drop trailing 0xFF bytes,
/// increment the last byte; all-0xFF (or empty) gives "\0" = no upper bound.
std::string PrefixEnd(std::string_view prefix);

}  // namespace petacore::etcdlink
