// src/commands/rdb_intset.h — Redis's intset format (intset.c): the blob of a set whose
// members are all integers (RDB_TYPE_SET_INTSET). Layout: the element width in bytes (u32
// LE: 2, 4 or 8, the smallest that holds every member), the count (u32 LE), then the members
// in ascending order, each little-endian of that width. Written from the format. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace petacore::commands::rdb {

/// The intset of `members` (sorted and distinct by the caller), bytes equal to Redis's.
std::string EncodeIntset(const std::vector<int64_t>& members);

/// Parses and validates an intset (intsetValidateIntegrity deep: a known width, the size
/// matching the count, at least one member, strictly ascending). Members come out as decimal
/// strings. Returns false when invalid.
bool ParseIntset(std::string_view is, std::vector<std::string>* out);

}  // namespace petacore::commands::rdb
