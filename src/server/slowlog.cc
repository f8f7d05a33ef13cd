// slowlog.cc — SLOWLOG's entries, cut as Redis's slowlogCreateEntry.
#include "server/slowlog.h"

#include <ctime>

namespace petacore::server {

void SlowLog::Push(std::span<const std::string_view> args, int64_t duration_us,
                   std::string_view addr, std::string_view name, int64_t slower_than,
                   int64_t max_len) {
  if (slower_than < 0 || duration_us < slower_than) return;
  commands::SlowlogEntry e;
  const size_t argc = std::min(args.size(), kMaxArgc);
  e.args.reserve(argc);
  for (size_t i = 0; i < argc; ++i) {
    if (argc != args.size() && i == argc - 1) {
      e.args.push_back("... (" + std::to_string(args.size() - argc + 1) + " more arguments)");
    } else if (args[i].size() > kMaxString) {
      e.args.push_back(std::string(args[i].substr(0, kMaxString)) + "... (" +
                       std::to_string(args[i].size() - kMaxString) + " more bytes)");
    } else {
      e.args.emplace_back(args[i]);
    }
  }
  e.time_s = static_cast<int64_t>(std::time(nullptr));
  e.duration_us = duration_us;
  e.addr = addr;
  e.name = name;
  std::lock_guard lock(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  while (static_cast<int64_t>(entries_.size()) > std::max<int64_t>(max_len, 0)) {
    entries_.pop_back();
  }
}

std::vector<commands::SlowlogEntry> SlowLog::Get(int64_t count) const {
  std::lock_guard lock(mu_);
  size_t n = entries_.size();
  if (count >= 0) n = std::min<size_t>(n, static_cast<size_t>(count));
  return {entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(n)};
}

int64_t SlowLog::Len() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(entries_.size());
}

void SlowLog::Reset() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace petacore::server
