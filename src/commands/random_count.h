// src/commands/random_count.h — the count argument of HRANDFIELD and SRANDMEMBER, parsed as
// Redis 7.0 does (getRangeLongFromObjectOrReply over [-LONG_MAX, LONG_MAX]). The sampling
// itself is keyspace::types::RandomElements.
#pragma once

#include <cstdint>
#include <limits>

#include "commands/context.h"

namespace petacore::commands {

/// Parses args[2] as the count of HRANDFIELD / SRANDMEMBER: an integer in
/// [-LONG_MAX, LONG_MAX]. Replies Redis's error and returns false otherwise.
inline bool ParseRandomCount(CommandContext& ctx, int64_t* count) {
  if (!ParseInt64(ctx.args[2], count)) {
    ctx.out.Error(kErrNotInteger);
    return false;
  }
  if (*count == std::numeric_limits<int64_t>::min()) {
    ctx.out.Error(kErrNotLongRange);
    return false;
  }
  return true;
}

}  // namespace petacore::commands
