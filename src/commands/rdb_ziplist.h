// src/commands/rdb_ziplist.h — reading Redis's ziplist format (ziplist.c), which payloads of
// Redis before 7.0 carry for small lists (in quicklist nodes), hashes and sorted sets; Redis
// 7.0 still loads them (converting to listpacks), so RESTORE does too. A ziplist is a header
// (total bytes u32 LE, tail offset u32 LE, count u16 LE, 65535 = unknown), the entries, and
// 0xFF; each entry is the previous entry's length (1 byte, or 0xFE + u32 LE), an encoding
// (6/14/32-bit string lengths, the 32-bit and 14-bit ones big-endian; int8/16/24/32/64 LE;
// 4-bit immediates 0..12) and its data. Written from the format. Thread-safe (pure).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace petacore::commands::rdb {

/// Parses and validates a whole ziplist (ziplistValidateIntegrity's deep mode: header size and
/// tail offset, every entry within bounds, every prevlen matching, the count when known).
/// Integers come out as decimal strings. Returns false on any inconsistency.
bool ParseZiplist(std::string_view zl, std::vector<std::string>* out);

}  // namespace petacore::commands::rdb
