#include "keyspace/types/key.h"

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

}  // namespace petacore::keyspace::types
