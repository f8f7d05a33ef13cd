// src/commands/errors.h — Redis 7.0's exact error texts, defined once.
//
// Every error text a client can see and that more than one file (or more than one command)
// replies lives here, so a text is spelled once and compared against Redis once. Texts used
// by a single command stay next to it. The facts (the words clients and test suites match)
// come from Redis 7.0's replies; nothing here touches a connection or allocates except the
// functions that build a text around a command name. Header-only, no dependencies: the
// driver, the server and auth can include it too.
#pragma once

#include <string>
#include <string_view>

namespace petacore::commands {

// ---- generic argument errors --------------------------------------------------------------
inline constexpr std::string_view kErrSyntax = "ERR syntax error";
inline constexpr std::string_view kErrNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kErrNotFloat = "ERR value is not a valid float";
/// Counts that must be >= 0 (SPOP, ZPOPMIN, LPOP ... count).
inline constexpr std::string_view kErrNotPositive = "ERR value is out of range, must be positive";
/// getRangeLongFromObjectOrReply for a plain out-of-range value (HRANDFIELD ... WITHVALUES).
inline constexpr std::string_view kErrOutOfRange = "ERR value is out of range";
/// getIntFromObjectOrReply: an integer that does not fit an int (DB indexes).
inline constexpr std::string_view kErrNotInt32 =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
/// getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) (HRANDFIELD / SRANDMEMBER count).
inline constexpr std::string_view kErrNotLongRange =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
inline constexpr std::string_view kErrOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kErrDecrOverflow = "ERR decrement would overflow";
inline constexpr std::string_view kErrNaNOrInfinity = "ERR value is NaN or Infinity";
inline constexpr std::string_view kErrIncrNaNOrInfinity =
    "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kErrOffsetOutOfRange = "ERR offset is out of range";
inline constexpr std::string_view kErrStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

// ---- keys and values ----------------------------------------------------------------------
inline constexpr std::string_view kErrWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kErrNoSuchKey = "ERR no such key";
inline constexpr std::string_view kErrIndexOutOfRange = "ERR index out of range";
inline constexpr std::string_view kErrSameObject =
    "ERR source and destination objects are the same";
inline constexpr std::string_view kErrDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kErrHashNotInteger = "ERR hash value is not an integer";
inline constexpr std::string_view kErrHashNotFloat = "ERR hash value is not a float";

// ---- cursors and blocking -----------------------------------------------------------------
inline constexpr std::string_view kErrInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kErrTimeoutNotFloat =
    "ERR timeout is not a float or out of range";
inline constexpr std::string_view kErrTimeoutNegative = "ERR timeout is negative";

// ---- sorted sets --------------------------------------------------------------------------
inline constexpr std::string_view kErrMinMaxNotFloat = "ERR min or max is not a float";
inline constexpr std::string_view kErrMinMaxNotLex = "ERR min or max not valid string range item";
inline constexpr std::string_view kErrScoreNaN = "ERR resulting score is not a number (NaN)";

// ---- connections --------------------------------------------------------------------------
inline constexpr std::string_view kErrClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

// ---- texts around a command name ----------------------------------------------------------
/// "ERR wrong number of arguments for '<name>' command" (name as given, e.g. "hset" or
/// "object|encoding").
inline std::string ErrWrongArgs(std::string_view name) {
  return "ERR wrong number of arguments for '" + std::string(name) + "' command";
}
/// "ERR invalid expire time in '<name>' command" (SET, SETEX, EXPIRE, ...).
inline std::string ErrInvalidExpire(std::string_view name) {
  return "ERR invalid expire time in '" + std::string(name) + "' command";
}
/// "ERR unknown subcommand '<sub>'. Try <COMMAND> HELP." — `sub` is cut to 128 bytes as
/// Redis does; `command` is upper case (e.g. "OBJECT").
inline std::string ErrUnknownSubcommand(std::string_view sub, std::string_view command) {
  return "ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try " +
         std::string(command) + " HELP.";
}

/// Redis's addReplySubcommandSyntaxError: "ERR unknown subcommand or wrong number of
/// arguments for '<sub>'. Try <COMMAND> HELP." (`sub` cut to 128 bytes).
inline std::string ErrSubcommandSyntax(std::string_view sub, std::string_view command) {
  return "ERR unknown subcommand or wrong number of arguments for '" +
         std::string(sub.substr(0, 128)) + "'. Try " + std::string(command) + " HELP.";
}

}  // namespace petacore::commands
