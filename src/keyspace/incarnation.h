// src/keyspace/incarnation.h — collections whose elements live under an incarnation id
// instead of under their own meta key (issue 18: RENAME / MOVE / COPY of any size).
//
// A collection's subkeys normally sit in its own key range (meta key + tag + element,
// encoding.h). A RENAME, MOVE or COPY whose elements do not fit one etcd request instead
// gives the destination an incarnation: a fresh write id (chunked_value.h's NewWriteId) kept in
// the destination's meta value (flags bit kIncarnation, encoding.h), its elements staged under
//   element base = "\xff" "chunk/" + id        (the chunk range: chunked_value.h)
//   subkey       = element base + tag + element
// by earlier unconditional Txns, invisible until the one Txn that switches the meta key
// commits (the ChunkingCommitter stages them as it stages a big string's chunks). From then
// on the collection is read and written through its element base (types::KeyRead::elements);
// RENAME and MOVE of it move the meta key alone — O(1) whatever its size — and DEL, expiry,
// eviction and FLUSHDB delete the meta key alone: the elements are then referenced by no meta
// key, and the chunk cleaner (expiry/chunk_cleaner.h) removes them in the background, as it
// removes the chunks of an overwritten big string.
//
// Every change of such a collection still rewrites its meta key (the meta key rule of
// collection.h), so the commit's compare of the meta key guards its elements too: reads of
// incarnation subkeys are never compared one by one (txn_view.cc drops their compares).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keyspace/encoding.h"

namespace petacore::keyspace {

/// Store-key prefix of chunk and incarnation keys (chunked_value.h's kChunkPrefix).
inline constexpr std::string_view kStagedKeyPrefix = "\xff" "chunk/";

/// The element base of incarnation `id`: kStagedKeyPrefix + id.
inline std::string IncarnationBase(std::string_view id) {
  std::string base(kStagedKeyPrefix);
  base.append(id);
  return base;
}

/// Whether `store_key` is a chunk or incarnation key (never a Redis key).
inline bool IsStagedKey(std::string_view store_key) {
  return store_key.substr(0, kStagedKeyPrefix.size()) == kStagedKeyPrefix;
}

/// Where the subkeys of the collection stored at `meta_key` with value `v` live: its meta key,
/// or its incarnation's element base.
inline std::string ElementBase(std::string_view meta_key, const ValueView& v) {
  if (v.incarnation.empty()) return std::string(meta_key);
  return IncarnationBase(v.incarnation);
}

/// End of the range holding every key under the element base `base` (its PrefixEnd: the
/// meta key's KeyEnd for a collection in its own range).
inline std::string ElementsEnd(std::string_view base) { return PrefixEnd(base); }

/// Whether `key`, a key of [base, ElementsEnd(base)) other than `base` itself, is one of an
/// incarnation's markers (its chunk-0 key, its claim marker: 0x00 or 0xFF where an element
/// has its type tag) rather than an element. Collections in their own range have no such key.
inline bool IsIncarnationMarker(std::string_view key, size_t base_size) {
  if (key.size() <= base_size) return false;
  const auto tag = static_cast<uint8_t>(key[base_size]);
  return tag == 0x00 || tag == 0xff;
}

/// Collections of more subkeys than this are moved or copied through a staged incarnation
/// (RENAME, MOVE, COPY); smaller ones are copied in the command's own Txn. The range-tombstone
/// threshold: a copy above it would also leave a range too big to delete at once.
inline constexpr size_t kIncarnationMinSubkeys = 4096;

}  // namespace petacore::keyspace
