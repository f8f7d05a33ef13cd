// src/keyspace/types/key.h — a Redis key of any type on a TxnView: type-checked reads of its
// meta key, its subkeys, and deleting it whole. The base of the per-type operations in
// keyspace/types/ (string, hash, set, list, zset).
//
// The type layer works on a keyspace::TxnView and store keys (meta keys, keyspace::EncodeKey);
// it never sees a connection, a reply or a command's arguments, so the same operation serves
// every command (and EXEC) that needs it. Not thread-safe: a TxnView belongs to one handler run.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "keyspace/encoding.h"
#include "keyspace/incarnation.h"
#include "keyspace/txn_view.h"

namespace petacore::keyspace::types {

/// The meta key of a Redis key as read through a view.
struct KeyRead {
  enum class State { kMissing, kOk, kWrongType };
  State state = State::kMissing;
  std::string meta_key;  ///< store key of the Redis key
  /// Where its subkeys live (the `base` of SubKey, ScanSubkeys, ...): the meta key, or, for a
  /// collection with an incarnation (keyspace/incarnation.h), its element base. A missing
  /// key's is its meta key: a collection created by the command lives under its own key.
  std::string elements;
  ValueView value;       ///< kOk: type, expire-at and payload (views into the TxnView)
  bool missing() const { return state == State::kMissing; }
  bool ok() const { return state == State::kOk; }
  bool wrong_type() const { return state == State::kWrongType; }
};

/// Reads the key at `meta_key` expecting `type`. The read is recorded (the commit compares the
/// meta key's mod_revision), so a concurrent DEL or type change makes the command retry.
/// `value` stays valid until the next write of the meta key in the same view.
KeyRead ReadKey(TxnView& txn, std::string meta_key, ValueType type);

/// The type of the key stored at `meta_key`, or nullopt when absent. Recorded as a read.
std::optional<ValueType> KeyType(TxnView& txn, std::string_view meta_key);

/// Deletes the key at `meta_key` whatever its type: the meta key and, for collections, every
/// subkey in its own range (one DeleteRange). A collection with an incarnation loses its meta
/// key only; its elements, referenced by no key, are the chunk cleaner's. Returns whether it
/// existed.
bool DeleteKey(TxnView& txn, const std::string& meta_key);

/// Where the subkeys of the key at `meta_key` live as the view sees it (KeyRead::elements):
/// its incarnation's element base for a collection that has one, else `meta_key`. Records the
/// read of the meta key.
std::string ElementsOf(TxnView& txn, std::string_view meta_key);

/// Visits the subkeys under the element base `base` (KeyRead::elements) with `tag` in byte
/// order: fn(element, value) until false.
/// Served from the view (snapshot plus own writes); not recorded as reads — the meta key's
/// compare guards the collection as a whole (see the rule in collection.h).
void ScanSubkeys(TxnView& txn, std::string_view base, char tag,
                 const std::function<bool(std::string_view element, std::string_view value)>& fn);

/// As ScanSubkeys, starting after the element `after` (from the first one when nullopt).
void ScanSubkeysAfter(
    TxnView& txn, std::string_view base, char tag, const std::optional<std::string>& after,
    const std::function<bool(std::string_view element, std::string_view value)>& fn);

/// Whether the subkey `key` is live in the view, without recording a read.
bool HasSubkey(TxnView& txn, std::string_view key);

/// The expire-at (Unix ms, 0 = none) of the live key at `meta_key`; 0 when absent or expired.
int64_t CurrentExpireAt(TxnView& txn, std::string_view meta_key);

/// Sets the meta key of a collection to `payload` (type `type`), keeping the expire-at and the
/// incarnation of the key of that type it rewrites (none for a new key, or after DeleteKey).
void WriteMeta(TxnView& txn, const std::string& meta_key, ValueType type,
               std::string_view payload = {});

/// The expire-at of the key at `meta_key` as read (recorded): nullopt when the key is absent
/// (or expired), 0 when it has no TTL, else Unix ms.
std::optional<int64_t> ReadExpireAt(TxnView& txn, std::string_view meta_key);

/// Sets the expire-at of the live key at `meta_key` (any type; type and payload kept) to
/// `expire_at_ms`, 0 clearing it (PERSIST). A time at or before the view's clock deletes the
/// key whole, as Redis's EXPIRE does with a time in the past. Returns false (and writes
/// nothing) when the key is absent.
bool SetExpireAt(TxnView& txn, const std::string& meta_key, int64_t expire_at_ms);

/// Copies the whole Redis key at `src_meta` (meta key and subkeys, TTL included) to
/// `dst_meta`, whose range must be empty in the view (deleted before). The source's meta key
/// is read, so the commit compares it (its elements with it: the meta key rule); a source
/// in its own range has that range guarded, so an element added meanwhile re-runs the command.
/// How the elements travel (keyspace/incarnation.h): with `move` (RENAME, MOVE: the caller
/// deletes the source next), a source with an incarnation lends it to the destination, which
/// copies nothing; otherwise a hash, set, zset or list of more than kIncarnationMinSubkeys
/// subkeys (`min_subkeys`: the incarnation-min-subkeys option) is copied into a new
/// incarnation staged before the commit (TxnView::StageIncarnation); the
/// rest (strings, streams, small collections) key by key into the destination's own range.
void CopyKey(TxnView& txn, const std::string& src_meta, const std::string& dst_meta,
             bool move = false, size_t min_subkeys = kIncarnationMinSubkeys);

/// Swaps the contents of databases `a` and `b` (SWAPDB): every store key of both is read
/// (compared), both ranges guarded and rewritten. Refuses (returns false, writes nothing)
/// when the two hold more than `max_store_keys` store keys together.
bool SwapDatabases(TxnView& txn, int a, int b, size_t max_store_keys);

}  // namespace petacore::keyspace::types
