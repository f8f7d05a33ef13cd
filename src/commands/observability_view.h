// src/commands/observability_view.h — what SLOWLOG, LATENCY, MONITOR and INFO's commandstats /
// errorstats / latencystats read of this node's observability data, as an interface
// (commands never include src/server/; server::Observability implements it). Everything here
// is node-local: each PetaCore node measures the commands its own clients run.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/session.h"

namespace petacore::commands {

/// One SLOWLOG entry, as Redis's slowlogEntry: args already cut to Redis's limits.
struct SlowlogEntry {
  int64_t id = 0;           ///< increasing per node since start (SLOWLOG RESET keeps counting)
  int64_t time_s = 0;       ///< unix time the command ended
  int64_t duration_us = 0;  ///< execution time, µs (docs/operations.md "Observability")
  std::vector<std::string> args;
  std::string addr;  ///< client "ip:port"
  std::string name;  ///< CLIENT SETNAME or ""
};

/// One latency sample of a LATENCY event, as Redis's latencySample.
struct LatencySample {
  int64_t time_s = 0;
  int64_t latency_ms = 0;
};

/// A LATENCY event's history (oldest first, at most 160 samples) and its all-time max.
struct LatencyEventInfo {
  std::string name;
  std::vector<LatencySample> samples;
  int64_t max_ms = 0;
};

/// One command's latency histogram as LATENCY HISTOGRAM shows it: the calls and the
/// cumulative distribution at power-of-two µs boundaries (µs, calls at or below).
struct CommandHistogram {
  std::string name;  ///< full name ("config|get")
  int64_t calls = 0;
  std::vector<std::pair<int64_t, int64_t>> cdf;
};

/// Node-local observability registries. Thread-safe: every io thread calls it.
class ObservabilityView {
 public:
  virtual ~ObservabilityView() = default;

  /// SLOWLOG GET: the newest `count` entries, newest first (count < 0: all).
  virtual std::vector<SlowlogEntry> SlowlogGet(int64_t count) = 0;
  /// SLOWLOG LEN.
  virtual int64_t SlowlogLen() = 0;
  /// SLOWLOG RESET: drops every entry (ids keep increasing, as Redis).
  virtual void SlowlogReset() = 0;

  /// LATENCY LATEST / HISTORY / DOCTOR / GRAPH: every event with at least one sample.
  virtual std::vector<LatencyEventInfo> LatencyEvents() = 0;
  /// LATENCY RESET: drops the named events (all when `events` is empty); returns how many
  /// existed.
  virtual int64_t LatencyReset(std::span<const std::string_view> events) = 0;

  /// LATENCY HISTOGRAM: the histograms of the named commands (full names, case-insensitive;
  /// unknown or never-called ones skipped), of every called command when `names` is empty.
  virtual std::vector<CommandHistogram> LatencyHistograms(
      std::span<const std::string_view> names) = 0;

  /// MONITOR: from now on `session`'s connection receives a line per command this node runs
  /// (docs/operations.md). Called on the session's connection thread.
  virtual void StartMonitor(client::Session& session) = 0;
  /// MONITOR: a command a script ran through redis.call / redis.pcall on database `db`,
  /// shown with the source "lua" as Redis does (when nobody monitors, one atomic load).
  virtual void MonitorScriptCall(int db, std::span<const std::string_view> args) = 0;
};

}  // namespace petacore::commands
