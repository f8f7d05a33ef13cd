// src/commands/crc64.h — the CRC-64 of Redis's DUMP payloads and RDB files: the "Jones"
// polynomial 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor
// (check value: Crc64(0, "123456789") == 0xe9c6d914c4b8d9ca). Used by FUNCTION DUMP / RESTORE
// (function_family.cc) and meant for DUMP / RESTORE of keys. A pure function: thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace petacore::commands {

/// Continues the CRC-64 `crc` over `data` (start with 0). Redis stores the result
/// little-endian after the payload.
uint64_t Crc64(uint64_t crc, std::string_view data);

}  // namespace petacore::commands
