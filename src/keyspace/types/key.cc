#include "keyspace/types/key.h"

#include <utility>
#include <vector>

#include "keyspace/chunked_value.h"
#include "keyspace/incarnation.h"

namespace petacore::keyspace::types {

KeyRead ReadKey(TxnView& txn, std::string meta_key, ValueType type) {
  KeyRead r;
  r.meta_key = std::move(meta_key);
  auto raw = txn.Get(r.meta_key);
  if (!raw) {
    r.elements = r.meta_key;
    return r;
  }
  auto v = DecodeValue(*raw);
  if (!v || v->type != type) {
    r.state = KeyRead::State::kWrongType;
    r.elements = r.meta_key;
    return r;
  }
  r.state = KeyRead::State::kOk;
  r.value = *v;
  r.elements = ElementBase(r.meta_key, *v);
  return r;
}

std::string ElementsOf(TxnView& txn, std::string_view meta_key) {
  if (auto raw = txn.Get(meta_key)) {
    if (auto v = DecodeValue(*raw)) return ElementBase(meta_key, *v);
  }
  return std::string(meta_key);
}

std::optional<ValueType> KeyType(TxnView& txn, std::string_view meta_key) {
  auto raw = txn.Get(meta_key);
  if (!raw) return std::nullopt;
  auto v = DecodeValue(*raw);
  if (!v) return std::nullopt;
  return v->type;
}

bool DeleteKey(TxnView& txn, const std::string& meta_key) {
  auto type = KeyType(txn, meta_key);
  if (!type) return false;
  if (*type == ValueType::kString) return txn.Delete(meta_key);
  txn.DeleteRange(meta_key, KeyEnd(meta_key));
  return true;
}

void ScanSubkeys(TxnView& txn, std::string_view base, char tag,
                 const std::function<bool(std::string_view, std::string_view)>& fn) {
  ScanSubkeysAfter(txn, base, tag, std::nullopt, fn);
}

void ScanSubkeysAfter(TxnView& txn, std::string_view base, char tag,
                      const std::optional<std::string>& after,
                      const std::function<bool(std::string_view, std::string_view)>& fn) {
  std::string start = SubKeyStart(base, tag);
  size_t skip = start.size();
  if (after) {
    start.append(*after);
    start.push_back('\0');  // the first subkey after it
  }
  txn.Range(start, SubKeyEnd(base, tag), [&](std::string_view key, std::string_view value) {
    return fn(key.substr(skip), value);
  });
}

bool HasSubkey(TxnView& txn, std::string_view key) {
  bool found = false;
  std::string end(key);
  end.push_back('\0');  // [key, key + "\0") holds exactly `key`
  txn.Range(key, end, [&](std::string_view, std::string_view) {
    found = true;
    return false;
  });
  return found;
}

int64_t CurrentExpireAt(TxnView& txn, std::string_view meta_key) {
  auto raw = txn.Get(meta_key);  // an expired key reads as absent
  if (!raw) return 0;
  auto v = DecodeValue(*raw);
  return v ? v->expire_at_ms : 0;
}

void WriteMeta(TxnView& txn, const std::string& meta_key, ValueType type,
               std::string_view payload) {
  int64_t expire_at = 0;
  std::string incarnation;
  if (auto raw = txn.Get(meta_key)) {  // an expired key reads as absent
    if (auto v = DecodeValue(*raw)) {
      expire_at = v->expire_at_ms;
      if (v->type == type) incarnation = v->incarnation;
    }
  }
  txn.Put(meta_key, EncodeValue(type, payload, expire_at, incarnation));
}

std::optional<int64_t> ReadExpireAt(TxnView& txn, std::string_view meta_key) {
  auto raw = txn.Get(meta_key);
  if (!raw) return std::nullopt;
  auto v = DecodeValue(*raw);
  if (!v) return std::nullopt;
  return v->expire_at_ms;
}

bool SetExpireAt(TxnView& txn, const std::string& meta_key, int64_t expire_at_ms) {
  auto raw = txn.Get(meta_key);
  if (!raw || !DecodeValue(*raw)) return false;
  if (expire_at_ms != 0 && expire_at_ms <= txn.now_ms()) {
    txn.DeleteRange(meta_key, KeyEnd(meta_key));
    return true;
  }
  txn.Put(meta_key, WithExpire(*raw, expire_at_ms));
  return true;
}

namespace {
/// Every store key of [start, end) with its value, copied out of the view.
std::vector<std::pair<std::string, std::string>> CollectRange(TxnView& txn, std::string_view start,
                                                              std::string_view end) {
  std::vector<std::pair<std::string, std::string>> kvs;
  txn.Range(start, end, [&](std::string_view key, std::string_view value) {
    kvs.emplace_back(key, value);
    return true;
  });
  return kvs;
}
}  // namespace

void CopyKey(TxnView& txn, const std::string& src_meta, const std::string& dst_meta, bool move,
             size_t min_subkeys) {
  auto raw = txn.Get(src_meta);  // recorded: the commit compares the source
  if (!raw) return;
  auto v = DecodeValue(*raw);
  if (!v) return;
  if (!v->incarnation.empty() && move) {  // the destination takes the elements over
    txn.Put(dst_meta, std::string(*raw));
    return;
  }
  const ValueType type = v->type;
  const int64_t expire_at = v->expire_at_ms;
  const std::string payload(v->payload);
  const bool chunked = v->chunked;
  const std::string stored(*raw);
  // The source's subkeys as (bytes after the element base, value); an incarnation's markers
  // are not elements.
  std::vector<std::pair<std::string, std::string>> subkeys;
  std::string src_base = ElementBase(src_meta, *v);
  const bool own_range = v->incarnation.empty();
  const std::string src_end = own_range ? KeyEnd(src_meta) : ChunkIdEnd(v->incarnation);
  txn.Range(src_base, src_end, [&](std::string_view key, std::string_view value) {
    if (key.size() <= src_base.size()) return true;  // the meta key itself
    if (IsIncarnationMarker(key, src_base.size())) return true;
    subkeys.emplace_back(key.substr(src_base.size()), value);
    return true;
  });
  if (own_range) txn.GuardRange(src_meta, src_end);  // an element added meanwhile re-runs us
  const bool stage = subkeys.size() > min_subkeys &&
                     (type == ValueType::kHash || type == ValueType::kSet ||
                      type == ValueType::kZSet || type == ValueType::kList);
  std::string dst_base = dst_meta;
  if (stage) {
    std::string id = NewWriteId();
    dst_base = IncarnationBase(id);
    txn.Put(dst_meta, EncodeValue(type, payload, expire_at, id));
    txn.StageIncarnation(std::move(id));
  } else if (chunked || v->incarnation.empty()) {
    txn.Put(dst_meta, stored);  // a string (its chunk reference too), or a plain collection
  } else {
    txn.Put(dst_meta, EncodeValue(type, payload, expire_at));  // into its own range
  }
  for (auto& [suffix, value] : subkeys) {
    std::string key = dst_base;
    key.append(suffix);
    if (own_range && !stage) txn.Get(src_base + suffix);  // stream groups are compared alone
    txn.Put(key, std::move(value));
  }
}

bool SwapDatabases(TxnView& txn, int a, int b, size_t max_store_keys) {
  int dbs[2] = {a, b};
  std::vector<std::pair<std::string, std::string>> kvs[2];
  for (int i = 0; i < 2; ++i) kvs[i] = CollectRange(txn, DbStart(dbs[i]), DbEnd(dbs[i]));
  if (kvs[0].size() + kvs[1].size() > max_store_keys) return false;
  for (int i = 0; i < 2; ++i) {
    for (const auto& kv : kvs[i]) txn.Get(kv.first);  // compared at commit
    txn.GuardRange(DbStart(dbs[i]), DbEnd(dbs[i]));   // and no key added meanwhile
    txn.DeleteRange(DbStart(dbs[i]), DbEnd(dbs[i]));
  }
  for (int i = 0; i < 2; ++i) {
    char other = static_cast<char>(dbs[1 - i]);
    for (auto& [key, value] : kvs[i]) {
      key[0] = other;  // the db byte leads every store key
      txn.Put(key, std::move(value));
    }
  }
  return true;
}

}  // namespace petacore::keyspace::types
