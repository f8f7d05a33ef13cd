// src/server/command_stats.h — INFO commandstats / errorstats / latencystats and the stats
// fields total_error_replies, unexpected_error_replies: per-command call counters and latency
// histograms, per-prefix error counters (as Redis's server.c call() and afterErrorReply).
// Node-local; shared by the io threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/observability_view.h"
#include "commands/table.h"
#include "server/latency.h"

namespace petacore::server {

/// Counters per command spec (subcommands separately, as Redis) and per error prefix.
/// Thread-safe: the per-command counters are atomics in a map built once from the command
/// table; the error map has a mutex.
class CommandStats {
 public:
  CommandStats();

  /// A call that ran: `usec` of execution (docs/operations.md), `failed` when it replied an
  /// error; `ns` goes to the latency histogram when `track` (latency-tracking).
  void Called(const commands::CommandSpec& spec, int64_t usec, int64_t ns, bool failed,
              bool track);
  /// A call refused before running (arity, ACL, OOM, ...): rejected_calls.
  void Rejected(const commands::CommandSpec& spec);
  /// An error reply `reply` ("-PREFIX message\r\n"): total_error_replies and errorstat_PREFIX.
  void ErrorReply(std::string_view reply);

  /// The commands EXEC ran (`queued`, in order) and EXEC's reply `exec_reply` (an array of
  /// their replies): each counts as a call, failed when its reply is an error (which also
  /// counts in errorstats), as Redis's call() for each queued command. They are not timed one
  /// by one: each gets an equal share of EXEC's `exec_ns`. Nothing when EXEC did not run
  /// them (error or null reply).
  void ExecCalls(std::span<const std::vector<std::string>> queued, std::string_view exec_reply,
                 int64_t exec_ns, bool track);
  /// INFO commandstats lines (cmdstat_<name>:calls=..,usec=..,usec_per_call=..,
  /// rejected_calls=..,failed_calls=..), commands with a non-zero counter only.
  std::string CommandstatsLines() const;
  /// INFO errorstats lines (errorstat_<PREFIX>:count=..).
  std::string ErrorstatsLines() const;
  /// INFO latencystats lines (latency_percentiles_usec_<name>:p50=..,p99=..), for the
  /// percentiles given (latency-tracking-info-percentiles).
  std::string LatencystatsLines(std::span<const double> percentiles) const;
  /// total_error_replies and unexpected_error_replies, for INFO stats.
  std::string StatsLines() const;
  /// LATENCY HISTOGRAM (see ObservabilityView::LatencyHistograms).
  std::vector<commands::CommandHistogram> Histograms(std::span<const std::string_view> names) const;
  /// CONFIG RESETSTAT: every counter, histogram and error count back to zero.
  void Reset();

 private:
  struct Entry {
    std::atomic<int64_t> calls{0}, usec{0}, rejected{0}, failed{0};
    std::atomic<LatencyHistogram*> histogram{nullptr};  // allocated at the first tracked call
    ~Entry() { delete histogram.load(); }
  };
  Entry* Find(const commands::CommandSpec& spec) const;
  void AddHistogram(const commands::CommandSpec& spec,
                    std::vector<commands::CommandHistogram>* out) const;

  std::unordered_map<const commands::CommandSpec*, std::unique_ptr<Entry>> entries_;
  std::vector<const commands::CommandSpec*> order_;  // table order, subcommands after theirs
  std::atomic<int64_t> total_errors_{0};
  mutable std::mutex errors_mu_;
  std::map<std::string, int64_t, std::less<>> errors_;
};

}  // namespace petacore::server
