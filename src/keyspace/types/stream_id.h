// src/keyspace/types/stream_id.h — stream entry IDs (Redis's streamID: <ms>-<seq>, two
// unsigned 64-bit numbers): parsing as Redis 7.0's streamGenericParseIDOrReply, formatting,
// and the 16-byte big-endian form used in store keys, whose byte order is ID order.
// Pure functions, no TxnView; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace petacore::keyspace::types {

/// A stream entry ID. Ordered as Redis's streamCompareID (ms, then seq).
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const StreamId&) const = default;
  bool IsZero() const { return ms == 0 && seq == 0; }
  static constexpr StreamId Max() { return {UINT64_MAX, UINT64_MAX}; }
};

/// "<ms>-<seq>", as Redis replies an ID.
std::string FormatStreamId(StreamId id);

/// How ParseStreamId reads its argument (Redis's streamGenericParseIDOrReply flags).
struct StreamIdParse {
  /// The sequence of an ID given as "<ms>" alone (0 for a start, UINT64_MAX for an end).
  uint64_t missing_seq = 0;
  /// Refuse "-" and "+" (XADD, XTRIM MINID, XSETID, XCLAIM, ... use exact IDs).
  bool strict = false;
  /// Accept "<ms>-*" (XADD only): the result's seq_given is false then.
  bool allow_seq_star = false;
};
/// A parsed ID; `seq_given` is false for "<ms>-*" (XADD auto-sequence).
struct ParsedStreamId {
  StreamId id;
  bool seq_given = true;
};
/// Parses `arg` as Redis does: "-" (0-0), "+" (max), "<ms>", "<ms>-<seq>", and with
/// allow_seq_star "<ms>-*". Digits only (strict unsigned decimal, at most 127 bytes).
/// nullopt for anything else: the caller replies kErrInvalidStreamId.
std::optional<ParsedStreamId> ParseStreamId(std::string_view arg, StreamIdParse how = {});

/// The next / previous ID (Redis's streamIncrID / streamDecrID); nullopt past the ends.
std::optional<StreamId> NextStreamId(StreamId id);
std::optional<StreamId> PrevStreamId(StreamId id);

/// 16 bytes, ms then seq, each 8 bytes big-endian: byte order = ID order.
std::string EncodeStreamId(StreamId id);
/// Appends the 16 bytes to `out`.
void AppendStreamId(StreamId id, std::string* out);
/// Reverses EncodeStreamId on the first 16 bytes of `b` (which must hold them).
StreamId DecodeStreamId(std::string_view b);

/// 8-byte big-endian helpers for the stream's binary records.
void AppendU64(uint64_t v, std::string* out);
uint64_t ReadU64(std::string_view b);

}  // namespace petacore::keyspace::types
