// src/commands/scan_cursor.h — cursors for SCAN, HSCAN, SSCAN and ZSCAN.
//
// Redis clients treat a cursor as an unsigned decimal number, 0 meaning start and end.
// PetaCore iterates in key order, so a cursor stands for "continue after this key": every
// element present for the whole iteration is returned exactly once, whatever others write
// meanwhile (Redis's guarantee, without its possible duplicates). The key behind a cursor is
// kept in a bounded node-local table: a cursor is valid on the node that issued it, for the
// newest 65,536 cursors; an unknown cursor ends the iteration (an empty last page).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

/// Parses args[cursor_index] as the cursor and the options after it, as Redis does (errors:
/// "ERR invalid cursor", "ERR syntax error", "ERR value is not an integer or out of range",
/// and COUNT < 1 is a syntax error). Replies the error and returns false on failure.
bool ParseScanOptions(CommandContext& ctx, size_t cursor_index, bool allow_type,
                      ScanOptions* out);

/// Writes a SCAN reply: [next cursor as a bulk string, [items...]].
void ReplyScan(CommandContext& ctx, uint64_t next_cursor, const std::vector<std::string>& items);

}  // namespace petacore::commands
