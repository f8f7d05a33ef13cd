// src/keyspace/types/stream_trim.h — XTRIM and XADD's MAXLEN / MINID on a TxnView.
//
// The entries to remove are always a prefix of the entry range (the oldest IDs), so trimming
// is one DeleteRange of [first entry, cut) whatever its size: a stream of 1M entries trimmed
// to 1,000 is one etcd operation, within any Txn limit. Finding the cut walks the local
// replica: MAXLEN n walks the entries to remove forwards or the n to keep backwards,
// whichever are fewer (XADD MAXLEN's steady state removes one: one step); MINID needs no walk
// (the cut is the ID itself), and a LIMIT walks at most LIMIT entries forward.
//
// Approximate trimming (`~`): Redis removes only whole radix-tree nodes (100 entries by
// default), so it usually keeps more than asked. PetaCore has no nodes: `~` trims exactly to
// the threshold, but removes at most LIMIT entries per call (default 10,000, Redis's
// 100 * stream-node-max-entries). Both keep at least what was asked, which is all Redis
// promises for `~`. Not thread-safe (one TxnView).
#pragma once

#include <cstdint>
#include <string>

#include "keyspace/types/stream.h"

namespace petacore::keyspace::types {

/// Parsed MAXLEN / MINID / LIMIT arguments (Redis's streamAddTrimArgs).
struct StreamTrimArgs {
  enum class Strategy { kNone, kMaxLen, kMinId };
  Strategy strategy = Strategy::kNone;
  bool approx = false;
  /// Entries removed at most per call; 0 = no limit. Redis sets 10,000 for `~` without LIMIT.
  int64_t limit = 0;
  int64_t maxlen = 0;
  StreamId minid;
};

/// Entries per radix-tree node in Redis (stream-node-max-entries' default): an approximate
/// MAXLEN trim removes whole multiples of it, as Redis frees whole nodes.
inline constexpr uint64_t kStreamApproxNodeEntries = 100;

/// Default LIMIT of an approximate trim (Redis: 100 * stream-node-max-entries, 100).
inline constexpr int64_t kStreamDefaultTrimLimit = 10000;

/// Removes the oldest entries of the stream at `meta_key` as `args` says; updates
/// `meta->length` (the caller writes the meta key). Returns how many entries went.
int64_t StreamTrim(TxnView& txn, const std::string& meta_key, StreamMeta* meta,
                   const StreamTrimArgs& args);

}  // namespace petacore::keyspace::types
