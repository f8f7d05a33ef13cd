// src/commands/rdb_payload.h — the pieces of Redis's RDB format that DUMP-style payloads
// carry: RDB strings (length-prefixed, integer-encoded or LZF-compressed, as rdb.c writes
// them) and the payload footer (2-byte RDB version, little-endian, then the CRC-64 of
// everything before it, little-endian: crc64.h). FUNCTION DUMP / RESTORE use it
// (function_family.cc); DUMP / RESTORE of keys can. The format is Redis 7.0's (RDB version
// 10); nothing here is copied from Redis. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace petacore::commands::rdb {

/// The RDB version Redis 7.0 writes (and the highest it reads).
inline constexpr uint16_t kRdbVersion = 10;
/// RDB opcode of a function library in a payload (Redis 7.0 GA: the library's code only).
inline constexpr uint8_t kOpcodeFunction2 = 245;
/// The pre-GA opcode (Redis 7.0 rc1/rc2: name, engine, description, code).
inline constexpr uint8_t kOpcodeFunctionPreGa = 246;

/// Appends `s` as an RDB string: its length (RDB length encoding) then its bytes,
/// uncompressed (every Redis version reads that).
void AppendString(std::string* out, std::string_view s);

/// Appends `len` in the RDB length encoding (6-bit, 14-bit, 32-bit or 64-bit form), as
/// Redis's rdbSaveLen.
void AppendLength(std::string* out, uint64_t len);

/// Appends `s` as Redis's rdbSaveRawString does without compression: a string of at most
/// 11 bytes that is a canonical decimal fitting 32 bits is integer-encoded (INT8/16/32),
/// anything else is length-prefixed raw bytes (never LZF: every Redis reads that).
void AppendStringObject(std::string* out, std::string_view s);

/// Reads an RDB length at `*pos` (not a special encoding) and advances `*pos`; false when
/// the bytes are not a length.
bool ReadLength(std::string_view in, size_t* pos, uint64_t* len);

/// Reads an RDB string at `*pos` of `in` (plain, integer-encoded or LZF-compressed) into
/// `*out` and advances `*pos`; false when the bytes are not a valid string.
bool ReadString(std::string_view in, size_t* pos, std::string* out);

/// Appends the DUMP footer to `payload`: kRdbVersion, then the CRC-64.
void Seal(std::string* payload);

/// Redis's verifyDumpPayload: at least 10 bytes, a version not above kRdbVersion and a
/// matching CRC-64. `*version` gets the payload's RDB version.
bool Verify(std::string_view payload, uint16_t* version);

}  // namespace petacore::commands::rdb
