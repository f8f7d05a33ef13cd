// src/config/client_limits.h — Redis's per-client resource limits and the values they take on
// the command line: memory sizes with Redis's units, and client-output-buffer-limit classes.
//
// This file owns parsing and the limit values only; enforcement is in ClientWatchdog
// (client_watchdog.h), the accept loop (maxclients) and the Driver (maxmemory).
#pragma once

#include <atomic>
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

/// An OutputBufferLimit that CONFIG SET changes while connections on other threads read it:
/// three relaxed atomics. A check that races with a CONFIG SET may combine an old and a new
/// field once, which only moves that one check to the other setting. Copies as a value.
class LiveOutputBufferLimit {
 public:
  LiveOutputBufferLimit(OutputBufferLimit v = {}) { store(v); }  // NOLINT: reads as a value
  LiveOutputBufferLimit(const LiveOutputBufferLimit& o) { store(o.load()); }
  LiveOutputBufferLimit& operator=(const LiveOutputBufferLimit& o) {
    store(o.load());
    return *this;
  }
  OutputBufferLimit load() const {
    return {hard_.load(std::memory_order_relaxed), soft_.load(std::memory_order_relaxed),
            seconds_.load(std::memory_order_relaxed)};
  }
  void store(const OutputBufferLimit& v) {
    hard_.store(v.hard_bytes, std::memory_order_relaxed);
    soft_.store(v.soft_bytes, std::memory_order_relaxed);
    seconds_.store(v.soft_seconds, std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> hard_{0};
  std::atomic<uint64_t> soft_{0};
  std::atomic<int64_t> seconds_{0};
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
