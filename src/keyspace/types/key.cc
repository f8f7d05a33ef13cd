#include "keyspace/types/key.h"

#include <utility>
#include <vector>

namespace petacore::keyspace::types {

KeyRead ReadKey(TxnView& txn, std::string meta_key, ValueType type) {
  KeyRead r;
  r.meta_key = std::move(meta_key);
  auto raw = txn.Get(r.meta_key);
  if (!raw) return r;
  auto v = DecodeValue(*raw);
  if (!v || v->type != type) {
    r.state = KeyRead::State::kWrongType;
    return r;
  }
  r.state = KeyRead::State::kOk;
  r.value = *v;
  return r;
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

void ScanSubkeys(TxnView& txn, std::string_view meta_key, char tag,
                 const std::function<bool(std::string_view, std::string_view)>& fn) {
  ScanSubkeysAfter(txn, meta_key, tag, std::nullopt, fn);
}

void ScanSubkeysAfter(TxnView& txn, std::string_view meta_key, char tag,
                      const std::optional<std::string>& after,
                      const std::function<bool(std::string_view, std::string_view)>& fn) {
  std::string start = SubKeyStart(meta_key, tag);
  size_t skip = start.size();
  if (after) {
    start.append(*after);
    start.push_back('\0');  // the first subkey after it
  }
  txn.Range(start, SubKeyEnd(meta_key, tag), [&](std::string_view key, std::string_view value) {
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
  txn.Put(meta_key, EncodeValue(type, payload, CurrentExpireAt(txn, meta_key)));
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

void CopyKey(TxnView& txn, const std::string& src_meta, const std::string& dst_meta) {
  auto kvs = CollectRange(txn, src_meta, KeyEnd(src_meta));
  txn.GuardRange(src_meta, KeyEnd(src_meta));  // an element added meanwhile re-runs us
  for (auto& [key, value] : kvs) {
    txn.Get(key);
    std::string dst = dst_meta;
    dst.append(key, src_meta.size());
    txn.Put(dst, std::move(value));
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
