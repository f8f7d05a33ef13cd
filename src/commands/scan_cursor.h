// src/commands/scan_cursor.h — the one cursor implementation of SCAN, HSCAN, SSCAN and ZSCAN.
//
// Redis clients treat a cursor as an unsigned decimal number, 0 meaning start and end.
// PetaCore iterates in key order, so a cursor stands for "continue after this key": every
// element present for the whole iteration is returned exactly once, whatever others write
// meanwhile (Redis's guarantee, without its possible duplicates). The key behind a cursor is
// kept in a bounded node-local table: a cursor is valid on the node that issued it, for the
// newest 65,536 cursors; an unknown cursor ends the iteration (an empty last page).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/context.h"
#include "keyspace/encoding.h"

namespace petacore::commands {

/// Stores `resume_after` and returns a new cursor (never 0). Thread-safe.
uint64_t SaveCursor(std::string resume_after);
/// The key a cursor continues after; nullopt for an unknown or expired cursor.
std::optional<std::string> LoadCursor(uint64_t cursor);

/// The options of a SCAN-family command after the cursor: MATCH pattern, COUNT n, TYPE t.
struct ScanOptions {
  uint64_t cursor = 0;
  std::string_view pattern;  ///< empty = no MATCH
  bool has_pattern = false;
  int64_t count = 10;
  std::optional<keyspace::ValueType> type;  ///< SCAN ... TYPE only
};

/// Parses args[cursor_index] as the cursor and the options after it, as Redis does (the cursor
/// as strtoul reads it: empty is 0, a sign is allowed and "-1" wraps; errors:
/// "ERR invalid cursor", "ERR syntax error", "ERR value is not an integer or out of range",
/// and COUNT < 1 is a syntax error). Replies the error and returns false on failure.
bool ParseScanOptions(CommandContext& ctx, size_t cursor_index, bool allow_type,
                      ScanOptions* out);

/// Visits the meta keys (one per Redis key, whatever its type) in [start, end) in key order,
/// stepping over each key's subkeys instead of visiting them: KEYS, SCAN and DBSIZE cost one
/// step per Redis key, not per hash field or list element. Served from the view (snapshot plus
/// own writes), not recorded as reads. `fn` runs inside TxnView::Range, so it must not write
/// to `txn`; `value` is valid during the call only. Stops when `fn` returns false.
/// Expired keys (lazy expiry, at txn.now_ms()) are skipped.
void ForEachKey(keyspace::TxnView& txn, std::string_view start, std::string_view end,
                const std::function<bool(std::string_view meta_key, std::string_view value)>& fn);

/// The glob pattern's literal prefix: the bytes before its first '*', '?' or '[' ('\x' counts
/// as a literal x). Every key the pattern matches starts with it.
std::string GlobLiteralPrefix(std::string_view pattern);

/// [start, end) holding exactly the store keys of the Redis keys of `db` that begin with
/// `prefix` (their meta keys and subkeys); the whole database for an empty prefix.
std::pair<std::string, std::string> KeyPrefixRange(int db, std::string_view prefix);

/// How a collection scan replies each element's stored value after the element: nullptr for
/// none (SSCAN), otherwise the text to reply (HSCAN: the value itself, ZSCAN: the score).
using ScanValueText = std::string (*)(std::string_view stored_value);

/// HSCAN / SSCAN / ZSCAN key cursor [MATCH pattern] [COUNT count], in Redis 7.0's order: a bad
/// cursor is refused before the key is looked at, a missing key is an empty last page whatever
/// the options, a key of another type is WRONGTYPE, and the options are parsed last. One page
/// visits up to COUNT elements (subkeys with `tag`, in byte order) after the cursor's element
/// and replies those matching MATCH (each followed by value_text(value) when non-null).
void ScanCollection(CommandContext& ctx, keyspace::ValueType type, char tag,
                    ScanValueText value_text);

/// Writes a SCAN reply: [next cursor as a bulk string, [items...]].
void ReplyScan(CommandContext& ctx, uint64_t next_cursor, const std::vector<std::string>& items);

}  // namespace petacore::commands
