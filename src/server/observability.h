// src/server/observability.h — the node's SLOWLOG, LATENCY, MONITOR and command statistics
// behind one hook: the Driver reports every command once, when its reply is complete
// (Finish), and the Job reports PetaCore's own latency events (AddLatency). Implements
// commands::ObservabilityView for the command handlers. docs/operations.md "Observability".
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/session.h"
#include "commands/observability_view.h"
#include "commands/table.h"
#include "config/config.h"
#include "server/command_stats.h"
#include "server/latency.h"
#include "server/monitor.h"
#include "server/slowlog.h"

namespace petacore::server {

/// One command from the Driver's dispatch to its reply (owned by the Driver; moved into the
/// resume callback of a command that completes later).
struct Observation {
  int64_t start_ns = 0;  ///< Observability::NowNs() at dispatch
  size_t at = 0;         ///< where the command's reply starts in its output buffer
  const commands::CommandSpec* spec = nullptr;  ///< resolved spec; null: unknown command
  bool called = false;   ///< the handler ran (Redis's call()); false: rejected or queued
  /// A blocking command's time parked (the Job's), not counted as execution, as Redis.
  const int64_t* parked_ns = nullptr;
  /// EXEC: the queued commands (commandstats counts each; MONITOR feeds them before EXEC).
  std::vector<std::vector<std::string>> queued;
};

/// Thread-safe (see the members).
class Observability final : public commands::ObservabilityView {
 public:
  Observability(config::Config& config, std::mutex& config_mu)
      : config_(config), config_mu_(config_mu) {}

  /// A monotonic clock, ns.
  static int64_t NowNs();

  /// The end of a command (its reply is `reply`, possibly empty): counts it (commandstats,
  /// errorstats, latency histogram), logs it (SLOWLOG, LATENCY "command" / "fast-command")
  /// and feeds MONITOR. On the command's connection thread.
  void Finish(const Observation& ob, client::Session& session,
              std::span<const std::string_view> args, std::string_view reply);
  /// Adds a sample to LATENCY `event` when latency-monitor-threshold is set and `ms` reaches
  /// it (as latencyAddSampleIfNeeded). Any thread.
  void AddLatency(std::string_view event, int64_t ms);
  /// INFO lines of `section`: "stats" (total_error_replies, ...), "commandstats",
  /// "errorstats", "latencystats"; "" for others.
  std::string InfoLines(std::string_view section);
  /// CONFIG RESETSTAT.
  void ResetStats() { stats_.Reset(); }

  MonitorHub& monitors() { return monitors_; }

  // commands::ObservabilityView
  std::vector<commands::SlowlogEntry> SlowlogGet(int64_t count) override {
    return slowlog_.Get(count);
  }
  int64_t SlowlogLen() override { return slowlog_.Len(); }
  void SlowlogReset() override { slowlog_.Reset(); }
  std::vector<commands::LatencyEventInfo> LatencyEvents() override { return latency_.Events(); }
  int64_t LatencyReset(std::span<const std::string_view> events) override {
    return latency_.Reset(events);
  }
  std::vector<commands::CommandHistogram> LatencyHistograms(
      std::span<const std::string_view> names) override {
    return stats_.Histograms(names);
  }
  void StartMonitor(client::Session& session) override;
  void MonitorScriptCall(int db, std::span<const std::string_view> args) override {
    monitors_.Feed(db, "lua", args);
  }
  /// A script command (EVAL, FCALL, ...: skip_monitor) starts: fed now, before the commands
  /// it calls, as Redis's evalCommand. On the connection thread.
  void ScriptStarts(const commands::CommandSpec& spec, const client::Session& session,
                    std::span<const std::string_view> args);

 private:
  config::Config& config_;
  std::mutex& config_mu_;  // guards the percentiles text
  SlowLog slowlog_;
  LatencyMonitor latency_;
  CommandStats stats_;
  MonitorHub monitors_;
};

}  // namespace petacore::server
