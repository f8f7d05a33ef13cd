// src/keyspace/types/zset.h — Redis sorted sets on a TxnView.
//
// Layout (encoding.h, docs/encoding.md): the meta key (type 'z', payload = member count in
// decimal), meta + kZSetMemberTag + member -> SortableDouble(score), and the score index
// meta + kZSetScoreTag + SortableDouble(score) + member -> "", whose byte order is Redis's
// (score, member) order. Every change (a new member, a score change, a removal) rewrites the
// meta key once, as for every collection (collection.h), so ZCARD is O(1) and WATCH sees
// every change. A sorted set written before the count was kept (empty meta payload) is
// counted once by scanning its members; the next change stores the count.
// No command parsing or replies (zset_family.cc does those).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keyspace/types/collection.h"

namespace petacore::keyspace::types {

/// One member of a sorted set.
struct ZEntry {
  std::string member;
  double score = 0;
};

/// Reads the sorted set at `meta_key` (recorded read of the meta key).
inline KeyRead ReadZSet(TxnView& txn, std::string meta_key) {
  return ReadKey(txn, std::move(meta_key), ValueType::kZSet);
}

/// Number of members: O(1) from the meta payload (a scan for a set without a stored count).
int64_t ZSetCard(TxnView& txn, const KeyRead& z);

/// Every member in (score, member) order, from the score index (not recorded as reads).
/// `base`: where the set's subkeys live (KeyRead::elements, or ElementsOf).
std::vector<ZEntry> ZSetSorted(TxnView& txn, std::string_view base);

/// The score of `member` (recorded read: the commit compares it); nullopt when absent.
/// `base` as ZSetSorted.
std::optional<double> ZSetScore(TxnView& txn, std::string_view base, std::string_view member);

/// ZADD's flags (Redis 7.0 semantics; the caller has rejected the incompatible combinations).
struct ZAddFlags {
  bool nx = false, xx = false, gt = false, lt = false, incr = false;
};
/// What ZSetAdd did.
struct ZAddResult {
  int64_t added = 0;      ///< new members
  int64_t updated = 0;    ///< existing members whose score changed
  int64_t processed = 0;  ///< members added or updated (INCR: whether the one pair was)
  double last_score = 0;  ///< the score the last processed member ended with
  bool nan = false;       ///< INCR produced NaN: nothing was written
};
/// Adds or updates (score, member) pairs as ZADD/ZINCRBY do, creating the set if missing;
/// rewrites the meta key (with the new count) once if anything changed.
ZAddResult ZSetAdd(TxnView& txn, const KeyRead& z, ZAddFlags flags, std::span<const double> scores,
                   std::span<const std::string_view> members);

/// Removes those of `members` present (each read first, so the commit fails if another node
/// changed it meanwhile); deletes the key when nothing is left. Returns how many it removed.
int64_t ZSetRemove(TxnView& txn, const KeyRead& z, std::span<const std::string> members);
/// As ZSetRemove, for entries the caller selected (their scores are re-read).
int64_t ZSetRemoveEntries(TxnView& txn, const KeyRead& z, const std::vector<ZEntry>& entries);

/// Removes and returns up to `count` lowest (or, with `max`, highest) members, in pop order.
std::vector<ZEntry> ZSetPop(TxnView& txn, const KeyRead& z, bool max, int64_t count);

/// Replaces whatever `dst_meta` holds (any type) with a sorted set of `entries` (distinct
/// members; deleted when empty), as the *STORE commands do.
void ZSetStore(TxnView& txn, const std::string& dst_meta, const std::vector<ZEntry>& entries);

/// Reads a *STORE / ZUNION input at `meta_key`: a sorted set, or a set whose members score 1
/// (missing: nothing). Every member subkey is read through the view, so the commit fails if a
/// source changed meanwhile. Returns false for a key of another type.
bool ZSetLoadSource(TxnView& txn, const std::string& meta_key, std::vector<ZEntry>* out);

}  // namespace petacore::keyspace::types
