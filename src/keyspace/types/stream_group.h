// src/keyspace/types/stream_group.h — consumer groups of a stream on a TxnView: the groups,
// their pending entries lists (PEL) and their consumers, as subkeys of the stream's key:
//   meta + kStreamGroupTag + group                        -> last-delivered ID(16) +
//                                                            entries-read(8, ~0 = invalid)
//   meta + kStreamPelTag + len(group, 4) + group + ID(16)  -> delivery time ms(8) +
//                                                            delivery count(8) + consumer
//   meta + kStreamConsumerTag + len(group, 4) + group + consumer -> seen-time ms(8)
// The group name is length-prefixed so one group's PEL (or consumers) is one contiguous range
// in ID (or name) order. Redis keeps a second, per-consumer PEL; here a consumer's pending
// entries are the group PEL's entries naming it (filtered on a scan).
// Ordering without the meta key (stream.h): XREADGROUP reads (so the commit compares) the
// group subkey and rewrites it with the new last-delivered ID — two nodes delivering from one
// group conflict there and one re-runs, so an entry is handed out once; XACK compares the
// PEL entries it deletes; XCLAIM / XAUTOCLAIM compare the PEL entries they rewrite (XCLAIM
// also the group); XGROUP subcommands compare the group / consumer subkey they change. A
// command that creates subkeys compares the group, so none can outlive a DEL or a DESTROY. Also the
// lag / entries-read arithmetic of Redis 7.0 (t_stream.c). Not thread-safe (one TxnView).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyspace/types/stream.h"

namespace petacore::keyspace::types {

/// Redis's SCG_INVALID_ENTRIES_READ.
inline constexpr int64_t kInvalidEntriesRead = -1;

/// A consumer group's own state.
struct StreamGroup {
  StreamId last_id;                            ///< last-delivered ID
  int64_t entries_read = kInvalidEntriesRead;  ///< logical read counter, or invalid
};

/// One PEL entry: delivered, not acknowledged.
struct StreamPending {
  StreamId id;
  std::string consumer;
  int64_t delivery_ms = 0;      ///< last delivery time, Unix ms
  uint64_t delivery_count = 0;  ///< deliveries so far
};

std::optional<StreamGroup> GetGroup(TxnView& txn, std::string_view meta_key,
                                    std::string_view group);
void PutGroup(TxnView& txn, std::string_view meta_key, std::string_view group,
              const StreamGroup& g);
/// Deletes the group, its PEL and its consumers (three range deletes); returns whether it
/// existed.
bool DeleteGroup(TxnView& txn, std::string_view meta_key, std::string_view group);
/// Every group in name byte order.
std::vector<std::pair<std::string, StreamGroup>> AllGroups(TxnView& txn, std::string_view meta_key);

/// The consumer's seen-time (Unix ms), or nullopt when it does not exist.
std::optional<int64_t> GetConsumer(TxnView& txn, std::string_view meta_key, std::string_view group,
                                   std::string_view consumer);
void PutConsumer(TxnView& txn, std::string_view meta_key, std::string_view group,
                 std::string_view consumer, int64_t seen_ms);
/// Deletes the consumer and its PEL entries; returns how many PEL entries it had, or nullopt
/// when it did not exist.
std::optional<int64_t> DeleteConsumer(TxnView& txn, std::string_view meta_key,
                                      std::string_view group, std::string_view consumer);
/// Every consumer (name, seen-time) of the group in name byte order.
std::vector<std::pair<std::string, int64_t>> AllConsumers(TxnView& txn, std::string_view meta_key,
                                                          std::string_view group);

std::optional<StreamPending> GetPending(TxnView& txn, std::string_view meta_key,
                                        std::string_view group, StreamId id);
void PutPending(TxnView& txn, std::string_view meta_key, std::string_view group,
                const StreamPending& p);
bool DeletePending(TxnView& txn, std::string_view meta_key, std::string_view group, StreamId id);
/// Visits the group's PEL entries with start <= ID <= end in ID order until fn returns false.
void ScanPending(TxnView& txn, std::string_view meta_key, std::string_view group, StreamId start,
                 StreamId end, const std::function<bool(const StreamPending&)>& fn);

/// Whether entry `id` exists (Redis's streamEntryExists).
bool StreamEntryExists(TxnView& txn, std::string_view meta_key, StreamId id);

/// Redis 7.0's streamEstimateDistanceFromFirstEverEntry: the logical read counter of `id`,
/// or kInvalidEntriesRead when it cannot be known. `first` is the first entry's ID (0-0 when
/// the stream is empty).
int64_t EstimateEntriesRead(const StreamMeta& m, StreamId first, StreamId id);
/// Redis 7.0's streamRangeHasTombstones for [start, +inf].
bool RangeHasTombstones(const StreamMeta& m, StreamId first, StreamId start);
/// The group's lag as XINFO shows it, or nullopt (a null reply) when it cannot be known.
std::optional<int64_t> GroupLag(const StreamMeta& m, StreamId first, const StreamGroup& g);
/// What delivering `id` (greater than g->last_id) does to the group, as Redis's
/// streamReplyWithRange: last_id moves and entries_read counts on, or is re-estimated.
void AdvanceGroup(const StreamMeta& m, StreamId first, StreamId id, StreamGroup* g);

}  // namespace petacore::keyspace::types
