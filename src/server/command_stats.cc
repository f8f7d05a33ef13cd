// command_stats.cc — INFO commandstats / errorstats / latencystats.
#include "server/command_stats.h"

#include <cctype>
#include <cstdio>

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

}  // namespace

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
