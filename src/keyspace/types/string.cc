#include "keyspace/types/string.h"

#include <cstdio>

#include "keyspace/chunked_value.h"

namespace petacore::keyspace::types {

StringRead ReadString(TxnView& txn, std::string_view store_key) {
  StringRead r;
  auto raw = txn.Get(store_key);
  if (!raw) return r;
  auto v = DecodeValue(*raw);
  if (!v || v->type != ValueType::kString) {
    r.state = StringRead::State::kWrongType;
    return r;
  }
  r.state = StringRead::State::kOk;
  r.value = v->payload;
  if (v->chunked) {
    // A string above one etcd request: its bytes are in chunk keys (keyspace/chunked_value.h),
    // immutable and switched in before the meta key, so the snapshot that shows the meta key
    // holds them all; they are not recorded as reads (the meta key's read covers them).
    auto ref = DecodeChunkRef(v->payload);
    auto bytes = ref ? AssembleChunks(txn.snapshot(), *ref) : std::nullopt;
    r.value = bytes ? txn.Hold(std::move(*bytes)) : std::string_view();
  }
  return r;
}

bool WriteString(TxnView& txn, const std::string& store_key, std::string_view value,
                 bool keep_ttl) {
  int64_t expire_at = keep_ttl ? CurrentExpireAt(txn, store_key) : 0;
  return WriteStringExpire(txn, store_key, value, expire_at);
}

bool WriteStringExpire(TxnView& txn, const std::string& store_key, std::string_view value,
                       int64_t expire_at_ms) {
  // A blind write (issue 18): when the caller has not read the key and no keyspace event
  // needs to know what was there ("new", "expired"), the key's whole range [meta, KeyEnd)
  // is deleted and the meta key put without reading either: no compare, so the request
  // joins a group-commit batch as flat ops. Whatever the key held (a collection from any
  // node, an expired value) is gone in the same revision; etcd serializes this write with a
  // concurrent HSET, whose own compare on the meta key then fails and re-runs it.
  // Not over what this node sees as a collection: there the read path below deletes its
  // subkeys by a range tombstone when they are many (TxnView::DeleteRange), where a blind
  // DeleteRange would make etcd delete them one by one in this Txn (seconds for a million).
  const auto seen = txn.Peek(store_key);
  const bool collection_seen =
      seen && !seen->empty() && static_cast<ValueType>((*seen)[0]) != ValueType::kString;
  if (txn.notify_flags() == 0 && !txn.Touched(store_key) && !collection_seen) {
    txn.TouchWithoutRead(store_key);  // as Redis's setKey -> lookupKeyWrite
    txn.DeleteRangeBlind(store_key, KeyEnd(store_key));
    txn.Put(store_key, EncodeValue(ValueType::kString, value, expire_at_ms));
    return false;  // unknown, and only the "new" event (off here) would ask
  }
  // SET over a collection replaces it: its subkeys must go too, or they would resurface when
  // the key becomes a collection again. Reading the type also makes the write compare the
  // meta key, so a concurrent HSET from another node cannot slip subkeys in meanwhile.
  auto type = KeyType(txn, store_key);
  if (type && *type != ValueType::kString) txn.DeleteRange(store_key, KeyEnd(store_key));
  txn.Put(store_key, EncodeValue(ValueType::kString, value, expire_at_ms));
  return !type.has_value();
}

std::string FormatLongDouble(long double v) {
  char buf[5120];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n <= 0 || n >= static_cast<int>(sizeof(buf))) return "0";
  std::string s(buf, n);
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

}  // namespace petacore::keyspace::types
