// src/keyspace/types/set.h — Redis sets on a TxnView: meta key (type 'S', payload = member
// count) plus one subkey per member, meta + kSetMemberTag + member -> "" (encoding.h). Members
// are kept in byte order; a missing key reads as an empty set. Every change rewrites the meta
// key (collection.h). No command parsing or replies (set_family.cc does those).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyspace/types/collection.h"

namespace petacore::keyspace::types {

/// Reads the set at `meta_key` (recorded read of the meta key).
inline KeyRead ReadSet(TxnView& txn, std::string meta_key) {
  return ReadKey(txn, std::move(meta_key), ValueType::kSet);
}

/// Number of members (O(1): the meta payload).
int64_t SetCard(TxnView& txn, const KeyRead& s);
/// Whether `member` is in the set (recorded read of its subkey).
bool SetIsMember(TxnView& txn, const KeyRead& s, std::string_view member);
/// Every member in byte order; empty for a missing set.
std::vector<std::string> SetMembers(TxnView& txn, const KeyRead& s);

/// Adds `members`, creating the set if missing; returns how many were new.
int64_t SetAdd(TxnView& txn, const KeyRead& s, std::span<const std::string_view> members);
/// Removes `members`; the set goes with its last member. Returns how many were there.
int64_t SetRemove(TxnView& txn, const KeyRead& s, std::span<const std::string_view> members);
/// Removes up to `count` random members and returns them (all of them when count >= size).
/// Each popped member is read and deleted through the view, so two nodes never pop the same.
std::vector<std::string> SetPop(TxnView& txn, const KeyRead& s, int64_t count);
/// Moves `member` from `src` to `dst` (both read as sets); returns whether src held it.
bool SetMove(TxnView& txn, const KeyRead& src, const KeyRead& dst, std::string_view member);

/// The intersection of `sets` (missing ones are empty), in byte order, stopping at `limit`
/// members (0 = no limit). Walks the smallest set and probes the others.
std::vector<std::string> SetInter(TxnView& txn, std::vector<KeyRead> sets, int64_t limit);
/// The union of `sets`, in byte order.
std::vector<std::string> SetUnion(TxnView& txn, const std::vector<KeyRead>& sets);
/// The members of sets[0] in none of the others, in byte order.
std::vector<std::string> SetDiff(TxnView& txn, const std::vector<KeyRead>& sets);
/// Replaces whatever `dst_meta` holds (any type) by a set of `members` (distinct); an empty
/// list deletes it.
void SetStore(TxnView& txn, const std::string& dst_meta, const std::vector<std::string>& members);

}  // namespace petacore::keyspace::types
