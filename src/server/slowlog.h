// src/server/slowlog.h — the node's SLOWLOG: commands whose execution took at least
// slowlog-log-slower-than µs, newest first, at most slowlog-max-len entries (as Redis's
// slowlog.c). One log per node, shared by its io threads.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/observability_view.h"

namespace petacore::server {

/// The slow log. Thread-safe (one mutex; Push takes it only for a command that qualifies).
class SlowLog {
 public:
  /// Redis's limits: at most 32 arguments kept (the 32nd says how many more there were),
  /// each cut at 128 bytes ("... (N more bytes)").
  static constexpr size_t kMaxArgc = 32;
  static constexpr size_t kMaxString = 128;

  /// Adds an entry for `args` (already redacted) if `duration_us` >= `slower_than` and
  /// `slower_than` >= 0, then trims the log to `max_len` entries (as slowlogPushEntryIfNeeded).
  void Push(std::span<const std::string_view> args, int64_t duration_us, std::string_view addr,
            std::string_view name, int64_t slower_than, int64_t max_len);
  /// The newest `count` entries (count < 0: all), newest first.
  std::vector<commands::SlowlogEntry> Get(int64_t count) const;
  int64_t Len() const;
  /// Drops every entry; ids keep increasing.
  void Reset();

 private:
  mutable std::mutex mu_;
  std::deque<commands::SlowlogEntry> entries_;  // newest at the front
  int64_t next_id_ = 0;
};

}  // namespace petacore::server
