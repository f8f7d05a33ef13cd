// src/keyspace/types/hash.h — Redis hashes on a TxnView: meta key (type 'h', payload = field
// count) plus one subkey per field, meta + kHashFieldTag + field -> value (encoding.h). Fields
// are kept in byte order. Every change rewrites the meta key (collection.h). No command
// parsing or replies (hash_family.cc does those).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyspace/types/collection.h"

namespace petacore::keyspace::types {

/// Reads the hash at `meta_key` (recorded read of the meta key).
inline KeyRead ReadHash(TxnView& txn, std::string meta_key) {
  return ReadKey(txn, std::move(meta_key), ValueType::kHash);
}

/// The value of `field`, or nullopt (also for a missing hash). Recorded read of the field.
std::optional<std::string_view> HashGet(TxnView& txn, const KeyRead& h, std::string_view field);

/// Number of fields (O(1): the meta payload).
int64_t HashLen(TxnView& txn, const KeyRead& h);

/// Sets the fields of `field_values` (field, value, field, value, ...; a field named twice
/// keeps its last value), creating the hash if missing. Returns how many fields are new.
int64_t HashSet(TxnView& txn, const KeyRead& h, std::span<const std::string_view> field_values);

/// Sets `field` only if absent; returns whether it did.
bool HashSetNx(TxnView& txn, const KeyRead& h, std::string_view field, std::string_view value);

/// Deletes `fields`; the hash goes when its last field does. Returns how many existed.
int64_t HashDelete(TxnView& txn, const KeyRead& h, std::span<const std::string_view> fields);

/// Every (field, value) in field byte order; empty for a missing hash.
std::vector<std::pair<std::string, std::string>> HashGetAll(TxnView& txn, const KeyRead& h);

}  // namespace petacore::keyspace::types
