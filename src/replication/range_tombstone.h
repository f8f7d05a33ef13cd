// src/replication/range_tombstone.h — deleting a large range of keys as one small write: a
// range tombstone whose mod_revision deletes, logically, every key of its range written
// before it (FLUSHDB, FLUSHALL, DEL of a collection of thousands of elements).
//
// A DeleteRange of a million keys makes etcd apply a million deletes in one Raft entry (4–7 s
// on the 2-core test machine, during which etcd answers nothing, health probes included) and
// send every node a million delete events; a PetaCore write waiting for it fails with
// "Deadline Exceeded". Instead the command puts
//   store key 0xFF "tombstone/" <start>   value <end>
// and its mod_revision R means: every key in [start, end) whose mod_revision is below R is
// deleted. Every reader of etcd's data applies that rule:
//   - a node applying revision R (watch, or LocalCommitter in standalone mode) deletes its
//     replica's keys of the range in that same revision, except the ones R itself writes
//     (ExpandRangeTombstones);
//   - a node loading etcd's data skips the keys a tombstone deleted (DropTombstonedKeys);
//   - a compare "key absent" (mod_revision 0) of a key under a tombstone accepts a key below
//     R too (KeyRevision::absent_below), since etcd may still hold the stale version;
// and expiry::TombstoneCleaner removes the stale keys from etcd in the background, each page
// guarded by a compare that it is still below R, then the tombstone itself.
// docs/encoding.md "Internal keys", docs/architecture.md "Range tombstones".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/store.h"
#include "replication/committer.h"

namespace petacore::replication {

/// Ranges of more keys than this are deleted by a range tombstone, not an etcd DeleteRange
/// (etcd applies a DeleteRange of 4,096 keys in ~17 ms on the 2-core test machine).
inline constexpr size_t kTombstoneMinKeys = 4096;

/// The write deleting [start, end) as `snapshot` holds it: a DeleteRange, or, above
/// kTombstoneMinKeys keys, the put of the range's tombstone. For deletes built outside a
/// keyspace::TxnView (active expiry, eviction); reads at most kTombstoneMinKeys + 1 keys.
WriteOp RangeDelete(const mvcc::Snapshot& snapshot, std::string_view start,
                    std::string_view end);

/// One range tombstone: keys in [start, end) below `revision` are deleted.
struct RangeTombstone {
  std::string start;
  std::string end;
  int64_t revision = 0;  ///< the tombstone key's mod_revision
};

/// The tombstone's store key for a range starting at `start` (its value is the range's end).
std::string TombstoneKey(std::string_view start);
/// [TombstonesStart(), TombstonesEnd()) holds every tombstone key.
std::string TombstonesStart();
std::string TombstonesEnd();
/// The range start a tombstone key names; nullopt for any other key.
std::optional<std::string_view> TombstoneStart(std::string_view store_key);

/// Every tombstone in `snapshot`, in key order (few: the cleaner deletes each when done).
std::vector<RangeTombstone> Tombstones(const mvcc::Snapshot& snapshot);
/// The largest revision of the tombstones in `tombstones` whose range holds `key`; 0 if none.
int64_t TombstonedBelow(const std::vector<RangeTombstone>& tombstones, std::string_view key);

/// Whether `batch` puts a tombstone (a first-byte check per mutation: cheap on the hot path).
bool HasRangeTombstone(const std::vector<mvcc::Mutation>& batch);

/// Before `batch` is applied to the store `snapshot` reads (the revision just before): for
/// every tombstone put in it, prepends a delete of every key of its range that the snapshot
/// holds and the batch does not write itself (an EXEC's writes after its FLUSHDB stay).
/// Returns the deletes added. Thread-compatible.
size_t ExpandRangeTombstones(const mvcc::Snapshot& snapshot, std::vector<mvcc::Mutation>* batch);

/// On a full load of etcd's data (mutations carrying etcd's mod_revisions): removes every key
/// a tombstone in `loaded` deleted. Returns how many.
size_t DropTombstonedKeys(std::vector<mvcc::Mutation>* loaded);

}  // namespace petacore::replication
