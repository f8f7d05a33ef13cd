// src/replication/flush_marker.h — FLUSHDB as one small write: a per-database marker whose
// mod_revision deletes, logically, every key of that database written before it.
//
// A DeleteRange of a database of a million keys makes etcd apply a million deletes in one
// Raft entry (4.2 s on the 2-core test machine, during which etcd answers nothing, health
// probes included) and send every node a million delete events. Instead FLUSHDB puts
//   store key 0xFF "flushdb/" <db byte>  (value empty)
// and its mod_revision R means: every key of database db whose mod_revision is below R is
// deleted. Every reader of etcd's data applies that rule, here:
//   - a node applying revision R (watch, or LocalCommitter in standalone mode) deletes its
//     replica's keys of db in the same revision (ExpandFlushMarkers);
//   - a node loading etcd's data skips the keys the markers deleted (DropFlushedKeys);
//   - a compare "key absent" (mod_revision 0) of a key of db accepts a key below R too
//     (KeyRevision::absent_below), since etcd may still hold the stale version;
// and expiry::FlushCleaner removes the stale keys from etcd in the background, each with a
// compare that it is still below R, so nothing written after the flush is ever removed.
// docs/encoding.md "Internal keys", docs/architecture.md "FLUSHDB".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/store.h"

namespace petacore::replication {

/// The marker's store key for database `db` (0..15).
std::string FlushMarkerKey(int db);
/// [start, end) of every marker key.
std::string FlushMarkerStart();
std::string FlushMarkerEnd();
/// The database a marker key names; nullopt for any other key.
std::optional<int> FlushMarkerDb(std::string_view store_key);
/// The database a store key of Redis data belongs to (its first byte, 0..15); nullopt for
/// internal keys (0xFF ...) and anything else.
std::optional<int> DataKeyDb(std::string_view store_key);

/// Whether `batch` puts a marker (a first-byte check per mutation: cheap on the hot path).
bool HasFlushMarker(const std::vector<mvcc::Mutation>& batch);

/// Before `batch` is applied at `revision` to the store `snapshot` reads (the revision just
/// before): for every marker put in it, prepends a delete of every key of that database
/// that the snapshot holds and the batch does not write itself (so an EXEC's writes after
/// its FLUSHDB stay). Returns the deletes added. Thread-compatible.
size_t ExpandFlushMarkers(const mvcc::Snapshot& snapshot, std::vector<mvcc::Mutation>* batch);

/// On a full load of etcd's data (mutations carrying etcd's mod_revisions): removes every
/// data key whose database has a marker with a larger mod_revision. Returns how many.
size_t DropFlushedKeys(std::vector<mvcc::Mutation>* loaded);

/// The mod_revision of `db`'s marker in `snapshot`, 0 without one.
int64_t FlushRevision(const mvcc::Snapshot& snapshot, int db);

}  // namespace petacore::replication
