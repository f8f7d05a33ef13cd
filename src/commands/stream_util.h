// src/commands/stream_util.h — what the stream command files (stream_family.cc,
// stream_group_family.cc) share: Redis 7.0's stream error texts, ID argument parsing with
// Redis's replies, and the reply shape of entries. Header-only; no state.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "commands/context.h"
#include "commands/table.h"
#include "keyspace/types/stream.h"

namespace petacore::commands {

inline constexpr std::string_view kErrInvalidStreamId =
    "ERR Invalid stream ID specified as stream command argument";
inline constexpr std::string_view kErrXAddTooSmall =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";
inline constexpr std::string_view kErrXAddZero =
    "ERR The ID specified in XADD must be greater than 0-0";
inline constexpr std::string_view kErrXAddExhausted =
    "ERR The stream has exhausted the last possible ID, unable to add more items";
inline constexpr std::string_view kErrTimeoutNotInteger =
    "ERR timeout is not an integer or out of range";

/// Parses a stream ID argument as Redis; replies kErrInvalidStreamId and returns false when
/// it is not one.
inline bool ParseIdOrReply(CommandContext& ctx, std::string_view arg,
                           keyspace::types::StreamIdParse how, keyspace::types::StreamId* out) {
  auto p = keyspace::types::ParseStreamId(arg, how);
  if (!p) {
    ctx.out.Error(kErrInvalidStreamId);
    return false;
  }
  *out = p->id;
  return true;
}

/// "<ms>-<seq>" as a bulk string.
inline void ReplyId(CommandContext& ctx, keyspace::types::StreamId id) {
  ctx.out.Bulk(keyspace::types::FormatStreamId(id));
}

/// One entry as Redis replies it: [id, [field, value, ...]].
inline void ReplyEntry(CommandContext& ctx, const keyspace::types::StreamEntry& e) {
  ctx.out.ArrayHeader(2);
  ReplyId(ctx, e.id);
  ctx.out.ArrayHeader(e.fields.size() * 2);
  for (const auto& [f, v] : e.fields) {
    ctx.out.Bulk(f);
    ctx.out.Bulk(v);
  }
}

/// BLOCK <ms> as Redis's getTimeoutFromObjectOrReply(UNIT_MILLISECONDS): an integer >= 0
/// (0 = forever); replies the error and returns false otherwise.
inline bool ParseBlockMs(CommandContext& ctx, std::string_view arg, int64_t* ms) {
  if (!ParseInt64(arg, ms)) {
    ctx.out.Error(kErrTimeoutNotInteger);
    return false;
  }
  if (*ms < 0) {
    ctx.out.Error("ERR timeout is negative");
    return false;
  }
  return true;
}

/// The options of XREAD / XREADGROUP, as Redis's xreadCommand parses them.
struct XReadOptions {
  int64_t timeout_ms = -1;  ///< BLOCK <ms>; -1: not blocking
  int64_t count = 0;        ///< COUNT; 0: no limit
  size_t streams_arg = 0;   ///< index of the first key after STREAMS (0: STREAMS missing)
  size_t n = 0;             ///< number of streams
  bool noack = false;       ///< XREADGROUP NOACK
  std::optional<std::string_view> group, consumer;  ///< XREADGROUP GROUP <g> <c>
};

/// Parses COUNT, BLOCK, STREAMS (up to the end), and GROUP / NOACK for XREADGROUP
/// (`xreadgroup`; XREAD refuses them with Redis's texts). Replies the error and returns false
/// on a bad option, an unbalanced STREAMS list or no STREAMS (syntax error). The caller checks
/// that XREADGROUP got a GROUP.
inline bool ParseXReadOptions(CommandContext& ctx, bool xreadgroup, XReadOptions* o) {
  auto& args = ctx.args;
  for (size_t i = 1; i < args.size(); ++i) {
    bool more = i + 1 < args.size();
    if (EqualsIgnoreCase(args[i], "block") && more) {
      if (!ParseBlockMs(ctx, args[++i], &o->timeout_ms)) return false;
    } else if (EqualsIgnoreCase(args[i], "count") && more) {
      if (!ParseInt64(args[++i], &o->count)) {
        ctx.out.Error(kErrNotInteger);
        return false;
      }
      if (o->count < 0) o->count = 0;
    } else if (EqualsIgnoreCase(args[i], "streams") && more) {
      o->streams_arg = i + 1;
      if ((args.size() - o->streams_arg) % 2 != 0) {
        ctx.out.Error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
        return false;
      }
      o->n = (args.size() - o->streams_arg) / 2;
      break;
    } else if (EqualsIgnoreCase(args[i], "group") && i + 2 < args.size()) {
      if (!xreadgroup) {
        ctx.out.Error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
        return false;
      }
      o->group = args[i + 1];
      o->consumer = args[i + 2];
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "noack")) {
      if (!xreadgroup) {
        ctx.out.Error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
        return false;
      }
      o->noack = true;
    } else {
      ctx.out.Error(kErrSyntax);
      return false;
    }
  }
  if (o->streams_arg == 0) {
    ctx.out.Error(kErrSyntax);
    return false;
  }
  return true;
}

/// Registration of the group commands kept in their own files, called by
/// RegisterStreamGroupFamily: XPENDING, XCLAIM, XAUTOCLAIM (stream_pending_family.cc) and
/// XINFO (stream_info_family.cc).
void AddStreamPendingCommands(CommandTable& t);
void AddStreamInfoCommands(CommandTable& t);

/// "-NOGROUP No such key '<key>' or consumer group '<group>'" (XPENDING, XCLAIM, XAUTOCLAIM).
inline std::string ErrNoGroup(std::string_view key, std::string_view group) {
  return "-NOGROUP No such key '" + std::string(key) + "' or consumer group '" +
         std::string(group) + "'";
}

}  // namespace petacore::commands
