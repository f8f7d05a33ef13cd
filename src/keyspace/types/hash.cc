#include "keyspace/types/hash.h"

namespace petacore::keyspace::types {
namespace {
std::string FieldKey(const KeyRead& h, std::string_view field) {
  return SubKey(h.elements, kHashFieldTag, field);
}
}  // namespace

std::optional<std::string_view> HashGet(TxnView& txn, const KeyRead& h, std::string_view field) {
  if (!h.ok()) return std::nullopt;
  return txn.Get(FieldKey(h, field));
}

int64_t HashLen(TxnView& txn, const KeyRead& h) { return Count(txn, h, kHashFieldTag); }

int64_t HashSet(TxnView& txn, const KeyRead& h, std::span<const std::string_view> field_values) {
  int64_t n = HashLen(txn, h);  // before any write: the count as read
  int64_t added = 0;
  for (size_t i = 0; i + 1 < field_values.size(); i += 2) {
    std::string key = FieldKey(h, field_values[i]);
    if (!txn.Get(key)) ++added;
    txn.Put(key, std::string(field_values[i + 1]));
  }
  SetCount(txn, h, ValueType::kHash, n + added);
  return added;
}

bool HashSetNx(TxnView& txn, const KeyRead& h, std::string_view field, std::string_view value) {
  std::string key = FieldKey(h, field);
  if (txn.Get(key)) return false;
  int64_t n = HashLen(txn, h);
  txn.Put(key, std::string(value));
  SetCount(txn, h, ValueType::kHash, n + 1);
  return true;
}

int64_t HashDelete(TxnView& txn, const KeyRead& h, std::span<const std::string_view> fields) {
  if (!h.ok()) return 0;
  int64_t n = HashLen(txn, h);
  int64_t removed = 0;
  for (auto field : fields) {
    if (txn.Delete(FieldKey(h, field))) ++removed;
  }
  if (removed > 0) SetCount(txn, h, ValueType::kHash, n - removed);
  return removed;
}

std::vector<std::pair<std::string, std::string>> HashGetAll(TxnView& txn, const KeyRead& h) {
  if (!h.ok()) return {};
  return AllElements(txn, h.elements, kHashFieldTag);
}

}  // namespace petacore::keyspace::types
