// src/keyspace/types/collection.h — what every collection type (hash, set, zset) shares: the
// element count in the meta key, whole-collection reads, and random sampling (HRANDFIELD,
// SRANDMEMBER, SPOP).
//
// The rule of the meta key (docs/encoding.md, "Collections"): EVERY command that changes a
// collection — adds, removes or rewrites an element — rewrites its meta key once, even when
// the count stays the same (HSET of an existing field, ZINCRBY, LSET). The meta key's
// mod_revision therefore moves with every change: WATCH compares it, a concurrent writer's
// commit compares it, and element reads in multi-key commands (SINTER, ZUNIONSTORE, ...) need
// not be recorded one by one. Removing the last element deletes the key's whole range.
// Hash, set and zset keep their element count in the meta payload (decimal ASCII), so HLEN,
// SCARD and ZCARD are O(1); a list keeps head and tail (list.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyspace/types/key.h"

namespace petacore::keyspace::types {

/// The count in a meta payload: nullopt when the payload holds none (a sorted set written
/// before counts were kept: empty payload) or is not a non-negative decimal.
std::optional<int64_t> ParseCount(std::string_view payload);

/// The element count of the collection `r` read (0 when missing or of another type). A
/// payload without a count is counted once by scanning the `tag` subkeys.
int64_t Count(TxnView& txn, const KeyRead& r, char tag);

/// Stores `n` as the count of the collection `r` names: rewrites the meta key (keeping the
/// expire-at of an existing key) when n > 0, deletes the whole key (meta key and any subkey
/// left) when n <= 0. Call it once per changing command: it is what the rule above needs.
void SetCount(TxnView& txn, const KeyRead& r, ValueType type, int64_t n);

/// Every element (and value) of a collection, in byte order. `base` here and below: where the
/// collection's subkeys live (KeyRead::elements).
std::vector<std::pair<std::string, std::string>> AllElements(TxnView& txn,
                                                             std::string_view base, char tag);

/// Random elements of a non-empty collection of `size` elements, as Redis's
/// SRANDMEMBER/HRANDFIELD with a count: count >= 0 gives min(count, size) distinct elements,
/// count < 0 gives -count elements that may repeat. In random order. Thread-safe (a
/// thread-local generator).
std::vector<std::pair<std::string, std::string>> RandomElements(TxnView& txn,
                                                                std::string_view base, char tag,
                                                                int64_t size, int64_t count);

/// One random element (and value) of a non-empty collection of `size` elements.
std::pair<std::string, std::string> RandomElement(TxnView& txn, std::string_view base, char tag,
                                                  int64_t size);

}  // namespace petacore::keyspace::types
