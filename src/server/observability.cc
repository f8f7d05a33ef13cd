// observability.cc — the one place a finished command is counted, logged and monitored.
#include "server/observability.h"

#include <chrono>
#include <algorithm>
#include <sstream>

namespace petacore::server {

int64_t Observability::NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Observability::Finish(const Observation& ob, client::Session& session,
                           std::span<const std::string_view> args, std::string_view reply) {
  const bool error = !reply.empty() && reply[0] == '-';
  if (error) stats_.ErrorReply(reply.substr(0, reply.find('\r')));
  if (ob.spec == nullptr) return;
  // RESET ends MONITOR, as Redis's clearClientConnectionState.
  if (ob.called && session.monitor.load(std::memory_order_relaxed) && ob.spec->fullname == "reset") {
    session.monitor = false;
    monitors_.Remove(session.id);
  }
  if (!ob.called) {
    if (error) stats_.Rejected(*ob.spec);
    return;
  }
  int64_t ns = NowNs() - ob.start_ns;
  if (ob.parked_ns != nullptr) ns -= *ob.parked_ns;
  ns = std::max<int64_t>(ns, 0);
  const int64_t usec = ns / 1000;
  const uint32_t flags = ob.spec->flags;
  stats_.Called(*ob.spec, usec, ns, error, config_.latency_tracking);
  if (!ob.queued.empty()) stats_.ExecCalls(ob.queued, reply, ns, config_.latency_tracking);
  AddLatency((flags & commands::kFast) ? "fast-command" : "command", usec / 1000);

  const bool slowlog = !(flags & commands::kSkipSlowlog) && config_.slowlog_log_slower_than >= 0 &&
                       usec >= config_.slowlog_log_slower_than;
  // Scripts (EVAL, FCALL, ...: skip_monitor) are fed too: Redis feeds them itself when they
  // start, before the commands they call.
  const bool monitor = monitors_.active() && !(flags & (commands::kSkipMonitor | commands::kAdmin));
  if (!slowlog && !monitor) return;
  std::vector<std::string_view> redacted;
  std::span<const std::string_view> shown = args;
  if (Redact(args, &redacted)) shown = redacted;
  if (slowlog) {
    // The session's name is written only by its own connection thread: this one.
    slowlog_.Push(shown, usec, session.addr, session.name, config_.slowlog_log_slower_than,
                  config_.slowlog_max_len);
  }
  if (monitor) {
    // EXEC: its commands first, then EXEC itself (Redis feeds each call() as it ends).
    const bool ran = !error && !reply.starts_with("*-1") && !reply.starts_with("_");
    for (const auto& q : ran ? ob.queued : decltype(ob.queued){}) {
      std::vector<std::string_view> qa(q.begin(), q.end());
      std::vector<std::string_view> qr;
      monitors_.Feed(session.db, session.addr, Redact(qa, &qr) ? qr : qa);
    }
    monitors_.Feed(session.db, session.addr, shown);
  }
}

void Observability::AddLatency(std::string_view event, int64_t ms) {
  const int64_t threshold = config_.latency_monitor_threshold;
  if (threshold > 0 && ms >= threshold) latency_.Add(event, ms);
}

std::string Observability::InfoLines(std::string_view section) {
  if (section == "stats") return stats_.StatsLines();
  if (section == "commandstats") return stats_.CommandstatsLines();
  if (section == "errorstats") return stats_.ErrorstatsLines();
  if (section == "latencystats") {
    std::vector<double> percentiles;
    {
      std::lock_guard lock(config_mu_);
      std::istringstream in(config_.latency_tracking_info_percentiles);
      double p;
      while (in >> p) percentiles.push_back(p);
    }
    return stats_.LatencystatsLines(percentiles);
  }
  return "";
}

void Observability::ScriptStarts(const commands::CommandSpec& spec,
                                 const client::Session& session,
                                 std::span<const std::string_view> args) {
  // Scripts are skip_monitor (call() does not feed them); Redis feeds them itself at start.
  if (!monitors_.active() || !(spec.flags & commands::kSkipMonitor) ||
      !(spec.acl & commands::acl::kScripting)) {
    return;
  }
  monitors_.Feed(session.db, session.addr, args);
}

void Observability::StartMonitor(client::Session& session) {
  session.monitor = true;
  monitors_.Add(session);
}

}  // namespace petacore::server
