// latency_family.cc — LATENCY LATEST / HISTORY / RESET / DOCTOR / GRAPH / HISTOGRAM / HELP, as
// Redis 7.0's latency.c, over this node's latency monitor and per-command histograms
// (ServerView::Observe; server/latency.h). docs/operations.md "Observability" lists the events.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {
namespace {

const LatencyEventInfo* FindEvent(const std::vector<LatencyEventInfo>& events,
                                  std::string_view name) {
  for (const auto& e : events) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

// LATENCY LATEST: [event, time of the latest sample, its ms, all-time max ms] per event.
void LatencyLatest(CommandContext& ctx) {
  auto events = ctx.server.Observe().LatencyEvents();
  ctx.out.ArrayHeader(events.size());
  for (const auto& e : events) {
    const LatencySample last = e.samples.empty() ? LatencySample{} : e.samples.back();
    ctx.out.ArrayHeader(4);
    ctx.out.Bulk(e.name);
    ctx.out.Integer(last.time_s);
    ctx.out.Integer(last.latency_ms);
    ctx.out.Integer(e.max_ms);
  }
}

// LATENCY HISTORY event: [time, ms] per sample, oldest first; empty for an unknown event.
void LatencyHistory(CommandContext& ctx) {
  auto events = ctx.server.Observe().LatencyEvents();
  const LatencyEventInfo* e = FindEvent(events, ctx.args[2]);
  if (e == nullptr) return ctx.out.ArrayHeader(0);
  ctx.out.ArrayHeader(e->samples.size());
  for (const auto& s : e->samples) {
    ctx.out.ArrayHeader(2);
    ctx.out.Integer(s.time_s);
    ctx.out.Integer(s.latency_ms);
  }
}

void LatencyReset(CommandContext& ctx) {
  std::vector<std::string_view> names(ctx.args.begin() + 2, ctx.args.end());
  ctx.out.Integer(ctx.server.Observe().LatencyReset(names));
}

// "12s", "3m", "2h", "1d": how long ago, as Redis's graph labels.
std::string Ago(int64_t seconds) {
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

// LATENCY GRAPH event: a header as Redis's, then a 4-row bar per sample (newest right, at most
// 80 columns) with the sample's age written vertically under it. PetaCore's own drawing.
void LatencyGraph(CommandContext& ctx) {
  auto events = ctx.server.Observe().LatencyEvents();
  const LatencyEventInfo* e = FindEvent(events, ctx.args[2]);
  if (e == nullptr || e->samples.empty()) {
    return ctx.out.Error("ERR No samples available for event '" + std::string(ctx.args[2]) +
                         "'");
  }
  constexpr size_t kCols = 80, kRows = 4;
  std::vector<LatencySample> samples(
      e->samples.end() - static_cast<ptrdiff_t>(std::min(e->samples.size(), kCols)),
      e->samples.end());
  int64_t lo = samples[0].latency_ms, hi = lo;
  for (const auto& s : samples) lo = std::min(lo, s.latency_ms), hi = std::max(hi, s.latency_ms);
  char head[256];
  std::snprintf(head, sizeof(head), "%s - high %lld ms, low %lld ms (all time high %lld ms)\n",
                e->name.c_str(), static_cast<long long>(hi), static_cast<long long>(lo),
                static_cast<long long>(e->max_ms));
  std::string g = head;
  g.append(kCols, '-').append("\n");
  std::vector<size_t> height;
  for (const auto& s : samples) {
    const double f = hi == lo ? 1.0 : static_cast<double>(s.latency_ms - lo) / (hi - lo);
    height.push_back(1 + static_cast<size_t>(std::lround(f * (kRows - 1))));
  }
  for (size_t row = kRows; row >= 1; --row) {
    for (size_t h : height) g.push_back(h > row ? '|' : (h == row ? '_' : ' '));
    g.append("\n");
  }
  g.append("\n");
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::vector<std::string> labels;
  size_t depth = 0;
  for (const auto& s : samples) {
    labels.push_back(Ago(now - s.time_s));
    depth = std::max(depth, labels.back().size());
  }
  for (size_t row = 0; row < depth; ++row) {
    for (const auto& l : labels) g.push_back(row < l.size() ? l[row] : ' ');
    g.append("\n");
  }
  ctx.out.Verbatim("txt", g);
}

// LATENCY DOCTOR: Redis's report shape (the greeting, one line per event with its spikes,
// average, mean deviation, period and all-time worst), with PetaCore's own advice.
void LatencyDoctor(CommandContext& ctx) {
  auto events = ctx.server.Observe().LatencyEvents();
  std::string r;
  if (events.empty() && ctx.server.Options().latency_monitor_threshold == 0) {
    r = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
        "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in "
        "order to enable it. If we weren't in a deep space mission I'd suggest to take a look "
        "at https://redis.io/topics/latency-monitor.\n";
    return ctx.out.Verbatim("txt", r);
  }
  if (events.empty()) {
    r = "Dave, no latency spike was observed during the lifetime of this Redis instance, not "
        "in the slightest bit. I honestly think you ought to sit down calmly, take a stress "
        "pill, and think things over.\n";
    return ctx.out.Verbatim("txt", r);
  }
  r = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
      "about it, do you Dave?\n\n";
  int n = 0;
  for (const auto& e : events) {
    double avg = 0, dev = 0;
    for (const auto& s : e.samples) avg += static_cast<double>(s.latency_ms);
    avg /= std::max<size_t>(e.samples.size(), 1);
    for (const auto& s : e.samples) dev += std::fabs(static_cast<double>(s.latency_ms) - avg);
    dev /= std::max<size_t>(e.samples.size(), 1);
    const double period =
        e.samples.size() < 2
            ? 0.0
            : static_cast<double>(e.samples.back().time_s - e.samples.front().time_s) /
                  static_cast<double>(e.samples.size());
    char line[512];
    std::snprintf(line, sizeof(line),
                  "%d. %s: %zu latency spikes (average %llums, mean deviation %llums, period "
                  "%.2f sec). Worst all time event %llums.",
                  ++n, e.name.c_str(), e.samples.size(), static_cast<unsigned long long>(avg),
                  static_cast<unsigned long long>(dev), period,
                  static_cast<unsigned long long>(e.max_ms));
    r += line;
    if (e.name == "command" || e.name == "fast-command") {
      r += " Check SLOWLOG GET for the slow commands of this node.";
    } else if (e.name == "etcd-commit") {
      r += " Writes waited this long for etcd to commit: check etcd's disk (fsync) and network "
           "latency.";
    } else if (e.name == "etcd-apply-lag") {
      r += " Committed writes waited this long for this node's replica to apply them: the "
           "watch is behind (network, or a busy node).";
    }
    r += "\n";
  }
  ctx.out.Verbatim("txt", r);
}

// LATENCY HISTOGRAM [command ...]: {name: {"calls": n, "histogram_usec": {µs: cumulative}}}.
void LatencyHistogram(CommandContext& ctx) {
  std::vector<std::string_view> names(ctx.args.begin() + 2, ctx.args.end());
  auto histograms = ctx.server.Observe().LatencyHistograms(names);
  ctx.out.MapHeader(histograms.size());
  for (const auto& h : histograms) {
    ctx.out.Bulk(h.name);
    ctx.out.MapHeader(2);
    ctx.out.Bulk("calls");
    ctx.out.Integer(h.calls);
    ctx.out.Bulk("histogram_usec");
    ctx.out.MapHeader(h.cdf.size());
    for (const auto& [usec, count] : h.cdf) {
      ctx.out.Integer(usec);
      ctx.out.Integer(count);
    }
  }
}

void LatencyHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the "
      "specified command names.",
      "    If no commands are specified then all histograms are replied.",
      "HELP",
      "    Prints this help."};
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

CommandSpec Sub(std::string_view name, int arity, Handler handler) {
  return {.name = name,
          .arity = arity,
          .flags = kAdmin | kNoScript | kLoading | kStale,
          .acl = acl::kAdmin | acl::kSlow | acl::kDangerous,
          .tips = {"nondeterministic_output", "request_policy:all_nodes",
                   "response_policy:special"},
          .handler = handler};
}

}  // namespace

void RegisterLatencyFamily(CommandTable& t) {
  CommandSpec reset = Sub("reset", -2, LatencyReset);
  reset.tips = {"request_policy:all_nodes", "response_policy:all_succeeded"};
  t.Add({.name = "latency",
         .arity = -2,
         .flags = 0,
         .acl = acl::kSlow,
         .subcommands = {Sub("doctor", 2, LatencyDoctor),
                         Sub("graph", 3, LatencyGraph),
                         {.name = "help",
                          .arity = 2,
                          .flags = kLoading | kStale,
                          .acl = acl::kSlow,
                          .handler = LatencyHelp},
                         Sub("histogram", -2, LatencyHistogram),
                         Sub("history", 3, LatencyHistory),
                         Sub("latest", 2, LatencyLatest),
                         reset}});
}

}  // namespace petacore::commands
