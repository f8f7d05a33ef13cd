// src/keyspace/types/bitmap.h — the pure bit operations of Redis's bitmap commands on a
// string's bytes (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD): bit numbering, popcount,
// the first set/clear bit of a range, bitfield integers of 1..64 bits and their overflow rules.
// Behaviour follows Redis 7.0's bitops.c (read, not copied): bit 0 is the most significant bit
// of byte 0; a string is padded with zero bits past its end. No TxnView, no parsing, no
// replies (src/commands/bitmap_family.cc). Every function is pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace petacore::keyspace::types {

/// The bit at `offset` (bit 0 = MSB of byte 0) of `bytes`; 0 past the end.
int GetBit(std::string_view bytes, uint64_t offset);

/// Sets the bit at `offset` of `bytes` to `on` (0/1), growing `bytes` with zero bytes so the
/// bit exists. Returns the previous bit.
int SetBit(std::string& bytes, uint64_t offset, int on);

/// The number of set bits of `bytes`.
int64_t PopCount(std::string_view bytes);

/// BITCOUNT's range over `bytes`: `start`/`end` are byte indexes (or bit indexes when
/// `bit_unit`), negative from the end, clamped as Redis 7.0's bitcountCommand. No range: the
/// whole string. Returns the number of set bits in the range (0 for an empty range).
int64_t BitCount(std::string_view bytes, std::optional<int64_t> start, std::optional<int64_t> end,
                 bool bit_unit);

/// BITPOS's search over an existing string: the position (in bits from the string's start) of
/// the first bit equal to `bit` in the range, as Redis 7.0's bitposCommand. Without an `end`,
/// a search for 0 in an all-ones range answers the first bit past it (the string is padded
/// with zeros); with `end`, -1. -1 also for an empty range or no set bit. A missing key is the
/// caller's case (0 for bit 0, -1 for bit 1).
int64_t BitPos(std::string_view bytes, int bit, std::optional<int64_t> start,
               std::optional<int64_t> end, bool bit_unit);

/// BITOP's operations.
enum class BitOp { kAnd, kOr, kXor, kNot };

/// The result of `op` over `sources` (missing keys as empty strings; shorter strings padded
/// with zero bytes), as long as the longest source. NOT takes exactly one source.
std::string BitOpApply(BitOp op, const std::string_view* sources, size_t count);

/// BITFIELD's overflow behaviours.
enum class Overflow { kWrap, kSat, kFail };

/// An integer field of a bitmap: `bits` wide (signed: 1..64, unsigned: 1..63).
struct BitfieldType {
  bool is_signed = false;
  int bits = 0;
};

/// Parses "i<bits>" / "u<bits>" (i1..i64, u1..u63); nullopt otherwise.
std::optional<BitfieldType> ParseBitfieldType(std::string_view s);

/// The unsigned value of the `bits` bits at `offset` of `bytes` (zero bits past the end).
uint64_t GetUnsignedField(std::string_view bytes, uint64_t offset, int bits);
/// The same, read as a two's complement signed integer.
int64_t GetSignedField(std::string_view bytes, uint64_t offset, int bits);
/// Writes the low `bits` bits of `value` at `offset`; `bytes` must already hold them.
void SetField(std::string& bytes, uint64_t offset, int bits, uint64_t value);

/// Redis's overflow check of storing `value + incr` in a field of `type`: 0 when it fits,
/// 1 on overflow, -1 on underflow. When it does not fit, `*result` (if given) is the value
/// to store under `mode` (WRAP: wrapped around; SAT: the limit; FAIL: untouched). For an
/// unsigned field `value` is the field's unsigned value cast to int64.
int CheckSignedOverflow(int64_t value, int64_t incr, int bits, Overflow mode, int64_t* result);
int CheckUnsignedOverflow(uint64_t value, int64_t incr, int bits, Overflow mode, uint64_t* result);

/// One BITFIELD SET or INCRBY on `bytes` (already long enough): the reply value (the old
/// value for SET, the new one for INCRBY), or nullopt when OVERFLOW FAIL refused the change
/// (nothing written). `*changed` tells whether the field's value changed.
std::optional<int64_t> BitfieldWrite(std::string& bytes, BitfieldType type, uint64_t offset,
                                     bool incr, int64_t value, Overflow mode, bool* changed);

}  // namespace petacore::keyspace::types
