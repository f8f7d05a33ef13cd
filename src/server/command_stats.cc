// command_stats.cc — INFO commandstats / errorstats / latencystats.
#include "server/command_stats.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace petacore::server {
namespace {

constexpr size_t kMaxErrorPrefixes = 128;  // Redis's ERROR_STATS_NUMBER

// Redis's trimDoubleString over "%f": "50.000000" -> "50", "99.900000" -> "99.9".
std::string TrimmedDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%f", v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

// Redis's getSafeInfoString: a name with ':' or '\r\n' would break the INFO format.
std::string SafeName(std::string_view name) {
  std::string s(name);
  for (char& c : s) {
    if (c == ':' || c == '\r' || c == '\n') c = '_';
  }
  return s;
}

// The offset just past the RESP2/RESP3 value at `pos` in `r`, or npos when malformed.
size_t ReplyEnd(std::string_view r, size_t pos) {
  const size_t eol = r.find("\r\n", pos);
  if (pos >= r.size() || eol == std::string_view::npos) return std::string_view::npos;
  const char kind = r[pos];
  const size_t end = eol + 2;
  auto count = [&] { return std::strtoll(std::string(r.substr(pos + 1, eol - pos - 1)).c_str(), nullptr, 10); };
  switch (kind) {
    case '$': case '=': case '!': {
      const long long n = count();
      return n < 0 ? end : end + static_cast<size_t>(n) + 2;
    }
    case '*': case '~': case '>': case '%': case '|': {
      long long n = count();
      if (kind == '%' || kind == '|') n *= 2;
      size_t at = end;
      for (long long i = 0; i < n && at != std::string_view::npos; ++i) at = ReplyEnd(r, at);
      return at;
    }
    default:
      return end;
  }
}

}  // namespace

void CommandStats::ExecCalls(std::span<const std::vector<std::string>> queued,
                             std::string_view exec_reply, int64_t exec_ns, bool track) {
  const int64_t ns = exec_ns / static_cast<int64_t>(std::max<size_t>(queued.size(), 1));
  if (exec_reply.empty() || exec_reply[0] != '*' || exec_reply.starts_with("*-1")) return;
  size_t at = exec_reply.find("\r\n");
  if (at == std::string_view::npos) return;
  at += 2;
  std::vector<std::string_view> argv;
  for (const auto& cmd : queued) {
    if (at >= exec_reply.size()) break;
    const size_t end = ReplyEnd(exec_reply, at);
    if (end == std::string_view::npos) break;
    const bool failed = exec_reply[at] == '-';
    if (failed) ErrorReply(exec_reply.substr(at, exec_reply.find('\r', at) - at));
    argv.assign(cmd.begin(), cmd.end());
    if (const commands::CommandSpec* spec = commands::Table().Resolve(argv)) {
      Called(*spec, ns / 1000, ns, failed, track);
    }
    at = end;
  }
}

CommandStats::CommandStats() {
  for (const auto& spec : commands::Table().all()) {
    entries_.emplace(&spec, std::make_unique<Entry>());
    order_.push_back(&spec);
    for (const auto& sub : spec.subcommands) {
      entries_.emplace(&sub, std::make_unique<Entry>());
      order_.push_back(&sub);
    }
  }
}

CommandStats::Entry* CommandStats::Find(const commands::CommandSpec& spec) const {
  auto it = entries_.find(&spec);
  return it == entries_.end() ? nullptr : it->second.get();
}

void CommandStats::Called(const commands::CommandSpec& spec, int64_t usec, int64_t ns,
                          bool failed, bool track) {
  Entry* e = Find(spec);
  if (e == nullptr) return;
  e->calls.fetch_add(1, std::memory_order_relaxed);
  e->usec.fetch_add(usec, std::memory_order_relaxed);
  if (failed) e->failed.fetch_add(1, std::memory_order_relaxed);
  if (!track) return;
  LatencyHistogram* h = e->histogram.load(std::memory_order_acquire);
  if (h == nullptr) {
    auto* fresh = new LatencyHistogram();
    if (e->histogram.compare_exchange_strong(h, fresh, std::memory_order_acq_rel)) {
      h = fresh;
    } else {
      delete fresh;  // another thread won; h holds its histogram
    }
  }
  h->Record(ns);
}

void CommandStats::Rejected(const commands::CommandSpec& spec) {
  if (Entry* e = Find(spec)) e->rejected.fetch_add(1, std::memory_order_relaxed);
}

void CommandStats::ErrorReply(std::string_view reply) {
  total_errors_.fetch_add(1, std::memory_order_relaxed);
  // As afterErrorReply: the prefix up to the first space within 32 bytes, else "ERR".
  std::string_view prefix = "ERR";
  if (!reply.empty() && reply[0] == '-') {
    size_t space = reply.substr(0, 32).find(' ');
    if (space != std::string_view::npos) prefix = reply.substr(1, space - 1);
  }
  std::lock_guard lock(errors_mu_);
  auto it = errors_.find(prefix);
  if (it != errors_.end()) {
    ++it->second;
  } else if (errors_.size() < kMaxErrorPrefixes) {
    errors_.emplace(std::string(prefix), 1);
  }
}

std::string CommandStats::CommandstatsLines() const {
  std::string s;
  char buf[256];
  for (const commands::CommandSpec* spec : order_) {
    const Entry& e = *entries_.at(spec);
    const int64_t calls = e.calls.load(), usec = e.usec.load(), rejected = e.rejected.load(),
                  failed = e.failed.load();
    if (calls == 0 && rejected == 0 && failed == 0) continue;
    std::snprintf(buf, sizeof(buf),
                  ":calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,"
                  "failed_calls=%lld\r\n",
                  static_cast<long long>(calls), static_cast<long long>(usec),
                  calls == 0 ? 0.0 : static_cast<double>(usec) / static_cast<double>(calls),
                  static_cast<long long>(rejected), static_cast<long long>(failed));
    s.append("cmdstat_").append(SafeName(spec->fullname)).append(buf);
  }
  return s;
}

std::string CommandStats::ErrorstatsLines() const {
  std::lock_guard lock(errors_mu_);
  std::string s;
  for (const auto& [prefix, count] : errors_) {
    s.append("errorstat_").append(SafeName(prefix)).append(":count=");
    s.append(std::to_string(count)).append("\r\n");
  }
  return s;
}

std::string CommandStats::LatencystatsLines(std::span<const double> percentiles) const {
  std::string s;
  char buf[64];
  for (const commands::CommandSpec* spec : order_) {
    const LatencyHistogram* h = entries_.at(spec)->histogram.load(std::memory_order_acquire);
    if (h == nullptr || h->count() == 0) continue;  // none since CONFIG RESETSTAT
    s.append("latency_percentiles_usec_").append(SafeName(spec->fullname)).append(":");
    for (size_t j = 0; j < percentiles.size(); ++j) {
      std::snprintf(buf, sizeof(buf), "=%.3f",
                    static_cast<double>(h->ValueAtPercentile(percentiles[j])) / 1000.0);
      s.append(j == 0 ? "p" : ",p").append(TrimmedDouble(percentiles[j])).append(buf);
    }
    s.append("\r\n");
  }
  return s;
}

std::string CommandStats::StatsLines() const {
  return "unexpected_error_replies:0\r\ntotal_error_replies:" +
         std::to_string(total_errors_.load()) + "\r\n";
}

void CommandStats::AddHistogram(const commands::CommandSpec& spec,
                                std::vector<commands::CommandHistogram>* out) const {
  const Entry* e = Find(spec);
  const LatencyHistogram* h = e ? e->histogram.load(std::memory_order_acquire) : nullptr;
  if (h == nullptr || h->count() == 0) return;
  out->push_back({.name = spec.fullname, .calls = h->count(), .cdf = h->Cdf()});
}

std::vector<commands::CommandHistogram> CommandStats::Histograms(
    std::span<const std::string_view> names) const {
  std::vector<commands::CommandHistogram> out;
  if (names.empty()) {
    for (const commands::CommandSpec* spec : order_) AddHistogram(*spec, &out);
    return out;
  }
  for (std::string_view name : names) {
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const commands::CommandSpec* spec = commands::Table().FindFull(lower);
    if (spec == nullptr) continue;
    AddHistogram(*spec, &out);
    for (const auto& sub : spec->subcommands) AddHistogram(sub, &out);
  }
  return out;
}

void CommandStats::Reset() {
  for (auto& [spec, e] : entries_) {
    e->calls = 0;
    e->usec = 0;
    e->rejected = 0;
    e->failed = 0;
    if (LatencyHistogram* h = e->histogram.load()) h->Reset();
  }
  total_errors_ = 0;
  std::lock_guard lock(errors_mu_);
  errors_.clear();
}

}  // namespace petacore::server
