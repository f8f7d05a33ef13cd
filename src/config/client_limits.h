// src/config/client_limits.h — Redis's per-client resource limits and the values they take on
// the command line: memory sizes with Redis's units, and client-output-buffer-limit classes.
//
// This file owns parsing and the limit values only; enforcement is in ClientWatchdog
// (client_watchdog.h), the accept loop (maxclients) and the Driver (maxmemory).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace petacore::config {

/// One client-output-buffer-limit class, as Redis: a client whose pending reply bytes reach
/// `hard_bytes`, or stay at or above `soft_bytes` for `soft_seconds` in a row, is disconnected.
/// 0 disables a limit (hard_bytes = 0 or soft_bytes = 0 / soft_seconds = 0).
struct OutputBufferLimit {
  uint64_t hard_bytes = 0;
  uint64_t soft_bytes = 0;
  int64_t soft_seconds = 0;
};

/// Parses a memory size as Redis's memtoull: a plain number of bytes, or a number followed by
/// a unit, case-insensitive: k/m/g = 1000-based, kb/mb/gb = 1024-based ("1gb" = 2^30).
/// Returns nullopt on anything else (negative, empty, unknown unit, overflow).
std::optional<uint64_t> ParseMemorySize(std::string_view text);

/// Parses a client-output-buffer-limit value, as Redis's CONFIG SET: one or more
/// "<class> <hard> <soft> <seconds>" groups (or, alone, "<hard> <soft> <seconds>" for the
/// normal class). Classes: "normal", "pubsub" (a client with a subscription, as Redis's
/// getClientType), "replica"/"slave" (accepted and ignored: PetaCore has no replicas). Sets
/// only the classes named; on a malformed value returns false with *error set and changes
/// nothing.
bool ParseOutputBufferLimits(std::string_view text, OutputBufferLimit* normal,
                             OutputBufferLimit* pubsub, std::string* error);

/// Formats the limits as CONFIG GET shows them: "normal <hard> <soft> <seconds> pubsub ...".
std::string FormatOutputBufferLimits(const OutputBufferLimit& normal,
                                     const OutputBufferLimit& pubsub);

}  // namespace petacore::config
