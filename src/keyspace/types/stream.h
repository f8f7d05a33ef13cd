// src/keyspace/types/stream.h — Redis streams on a TxnView: the meta key and the entries.
//
// Layout (encoding.h, docs/encoding.md "Streams"): the meta key (type 'x') holds the stream's
// metadata (StreamMeta, 48 bytes); each entry is the subkey
//   meta + kStreamEntryTag + ms(8, big-endian) + seq(8, big-endian) -> the field/value pairs
// so the byte order of the subkeys is ID order: XRANGE is one ordered range read and trimming
// is one DeleteRange. Consumer groups live in other subkeys of the same key (stream_group.h).
// The rule of every collection (collection.h) holds for the entries: every command that
// changes them or the stream's metadata (XADD, XDEL, XTRIM, XSETID; XGROUP CREATE MKSTREAM
// creating the key) rewrites the meta key once, so its compare orders the producers of one
// stream across nodes and WATCH sees the change. The consumer-group commands are ordered by
// the group, consumer and PEL subkeys instead (stream_group.h): they read and rewrite those,
// not the meta key, so producers and consumers never retry against each other, and, as in
// Redis (whose only stream commands that touch a WATCH are XADD, XDEL, XTRIM and XGROUP
// CREATE MKSTREAM), they do not invalidate a WATCH of the stream.
// Unlike other collections an empty stream is kept (XDEL / XTRIM to zero keep the key, as
// Redis). No command parsing or replies (stream_family.cc does those). Not thread-safe: a
// TxnView belongs to one handler run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyspace/types/key.h"
#include "keyspace/types/stream_id.h"

namespace petacore::keyspace::types {

/// What the meta key of a stream holds (Redis's stream struct minus the entries).
struct StreamMeta {
  uint64_t length = 0;         ///< live entries
  StreamId last_id;            ///< the greatest ID ever added (or set by XSETID)
  uint64_t entries_added = 0;  ///< entries ever added (XSETID ENTRIESADDED sets it)
  StreamId max_deleted;        ///< the greatest ID XDEL removed (XSETID MAXDELETEDID sets it)
};
/// The 48-byte meta payload: length, last ID, entries added, max deleted ID, big-endian.
std::string EncodeStreamMeta(const StreamMeta& m);
/// nullopt when `payload` is not 48 bytes.
std::optional<StreamMeta> DecodeStreamMeta(std::string_view payload);

/// One entry: its ID and field/value pairs in the order XADD gave them.
struct StreamEntry {
  StreamId id;
  std::vector<std::pair<std::string, std::string>> fields;
};

/// Reads the stream at `meta_key` (recorded read of the meta key).
inline KeyRead ReadStream(TxnView& txn, std::string meta_key) {
  return ReadKey(txn, std::move(meta_key), ValueType::kStream);
}
/// A stream's meta key read WITHOUT recording the read: the commit will not compare it.
/// For the consumer-side commands (XREADGROUP, XACK), which are ordered by the compares of
/// the group and PEL subkeys they read instead, so producers (XADD, which rewrites the meta
/// key) and consumers of one stream do not conflict. An expired stream reads as missing.
struct StreamPeek {
  KeyRead::State state = KeyRead::State::kMissing;
  StreamMeta meta;
  bool missing() const { return state == KeyRead::State::kMissing; }
  bool ok() const { return state == KeyRead::State::kOk; }
  bool wrong_type() const { return state == KeyRead::State::kWrongType; }
};
StreamPeek PeekStream(TxnView& txn, std::string_view meta_key);

/// The metadata of the stream `r` read (all zero when missing).
StreamMeta StreamMetaOf(const KeyRead& r);
/// Rewrites (or creates) the meta key of the stream at `meta_key`, keeping its expire-at.
void WriteStreamMeta(TxnView& txn, const std::string& meta_key, const StreamMeta& m);

/// The store key of entry `id`.
std::string StreamEntryKey(std::string_view meta_key, StreamId id);

/// The ID XADD gives a new entry, as Redis's streamAppendItem: `given` nullopt for "*" (the
/// view's clock, but never at or below meta.last_id: a clock that went back still yields
/// last_id + 1), "<ms>-*" (seq_given false) for the next sequence in that ms. nullopt when
/// the result would not be greater than last_id (Redis's EDOM error).
std::optional<StreamId> NextAddId(const StreamMeta& m, int64_t now_ms,
                                  const std::optional<ParsedStreamId>& given);

/// Stores an entry (no meta change: the caller updates length / last_id / entries_added and
/// writes the meta once). `field_values` alternates field, value.
void StreamPutEntry(TxnView& txn, std::string_view meta_key, StreamId id,
                    std::span<const std::string_view> field_values);

/// The entry `id`, or nullopt.
std::optional<StreamEntry> StreamGetEntry(TxnView& txn, std::string_view meta_key, StreamId id);

/// Visits the entries with start <= ID <= end in ID order (reverse order when `rev`) until
/// fn returns false. Not recorded as reads: the meta key guards the stream. A reverse walk
/// reads windows of growing width back from `end`, so it costs about what it visits once
/// `end` is near the last entry (callers bound it by StreamMeta::last_id).
void StreamScan(TxnView& txn, std::string_view meta_key, StreamId start, StreamId end, bool rev,
                const std::function<bool(const StreamEntry&)>& fn);
/// As StreamScan without decoding the fields.
void StreamScanIds(TxnView& txn, std::string_view meta_key, StreamId start, StreamId end, bool rev,
                   const std::function<bool(StreamId)>& fn);

/// Up to `count` entries (0 = all) in [start, end], reversed when `rev`.
std::vector<StreamEntry> StreamRange(TxnView& txn, std::string_view meta_key, StreamId start,
                                     StreamId end, uint64_t count, bool rev);

/// The first live entry's ID, or nullopt for an empty stream.
std::optional<StreamId> StreamFirstId(TxnView& txn, std::string_view meta_key);
/// The last live entry's ID, or nullopt for an empty stream. `last_id` is the stream's
/// StreamMeta::last_id, above which no entry exists: the backwards walk starts there.
std::optional<StreamId> StreamLastId(TxnView& txn, std::string_view meta_key, StreamId last_id);

/// Deletes entry `id` if present (one delete); returns whether it was.
bool StreamDeleteEntry(TxnView& txn, std::string_view meta_key, StreamId id);

}  // namespace petacore::keyspace::types
