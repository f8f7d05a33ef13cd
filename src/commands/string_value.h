// src/commands/string_value.h — reading and writing Redis strings through a TxnView.
#pragma once

#include <string>
#include <string_view>

#include "commands/context.h"

namespace petacore::commands {

/// A string key as a handler sees it.
struct StringRead {
  enum class State { kMissing, kOk, kWrongType };
  State state = State::kMissing;
  std::string_view value;  ///< valid until the next write of the key in the same view
  bool missing() const { return state == State::kMissing; }
  bool wrong_type() const { return state == State::kWrongType; }
};

/// Reads `store_key` (recorded as a read for the commit's compares).
StringRead ReadString(CommandContext& ctx, const std::string& store_key);
/// Buffers `value` as the new string at `store_key`: clearing any TTL, as Redis SET does, or
/// with `keep_ttl` keeping the current one (INCR, APPEND, SETRANGE modify in place).
void WriteString(CommandContext& ctx, const std::string& store_key, std::string_view value,
                 bool keep_ttl = false);
/// As WriteString, with the expire-at `expire_at_ms` (Unix ms, 0 = none).
void WriteStringExpire(CommandContext& ctx, const std::string& store_key, std::string_view value,
                       int64_t expire_at_ms);

/// A long double as Redis replies INCRBYFLOAT and HINCRBYFLOAT ("%.17Lf" with trailing zeros
/// and a bare '.' removed: 10.5 + 0.1 gives "10.6"; ld2string's LD_STR_HUMAN).
std::string FormatLongDouble(long double v);

}  // namespace petacore::commands
