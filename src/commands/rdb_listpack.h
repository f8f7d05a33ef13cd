// src/commands/rdb_listpack.h — Redis's listpack format (listpack.c, Redis 7.0), as DUMP
// payloads carry it: the blob of a small hash, sorted set, a quicklist node of a list and
// a stream node. A listpack is a 6-byte header (total bytes u32 LE, element count u16 LE,
// 65535 = unknown), the elements, and the terminator 0xFF; each element is an encoding byte
// (7/13/16/24/32/64-bit integers, 6/12/32-bit string lengths), its data, and a "backlen"
// (the element's size, written to be read right to left). Written from the format, not
// from Redis's code. Pure functions and a value class: thread-safe per object.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace petacore::commands::rdb {

/// Builds a listpack the way Redis's lpAppend does: a string that is a strict decimal
/// int64 (Redis's string2ll) is stored in the smallest integer encoding, anything else as
/// a string; the bytes equal Redis's for the same element sequence.
class ListpackWriter {
 public:
  void Append(std::string_view element);
  void AppendInt(int64_t v);
  /// Current size in bytes, header and terminator included.
  size_t bytes() const { return body_.size() + 7; }
  size_t count() const { return count_; }
  /// The finished listpack.
  std::string Finish() const;

 private:
  void AddEntry(std::string_view encoded);
  std::string body_;
  size_t count_ = 0;
};

/// Parses and validates a whole listpack (Redis's lpValidateIntegrity in its deep mode:
/// header size, every element's encoding within bounds, every backlen consistent, the
/// count when known, the terminator at the end). Integers come out as decimal strings.
/// Returns false on any inconsistency.
bool ParseListpack(std::string_view lp, std::vector<std::string>* out);

}  // namespace petacore::commands::rdb
