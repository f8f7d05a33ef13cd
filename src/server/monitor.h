// src/server/monitor.h — MONITOR: the clients of this node that asked to see every command it
// runs, and the line each one gets (Redis's replicationFeedMonitors format). Node-local: a
// command run on another node is not shown (docs/consistency.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/session.h"

namespace petacore::server {

/// Redis's sdscatrepr: `s` in double quotes, with \\ \" \n \r \t \a \b escaped and every
/// other non-printable byte as \xhh.
void AppendRepr(std::string* out, std::string_view s);

/// Redis's redactClientCommandArgument, for the commands that do it (AUTH, HELLO ... AUTH,
/// MIGRATE ... AUTH/AUTH2): `args` with the secrets replaced by "(redacted)". Returns false
/// (and leaves *out alone) when nothing is redacted.
bool Redact(std::span<const std::string_view> args, std::vector<std::string_view>* out);

/// The monitoring clients. Thread-safe; Feed costs one atomic load while nobody monitors.
class MonitorHub {
 public:
  /// `session` (on its connection thread) becomes a monitor: its push_raw gets every line.
  void Add(client::Session& session);
  /// Forgets client `id` (its connection ended). Idempotent.
  void Remove(int64_t id);
  bool active() const { return count_.load(std::memory_order_relaxed) > 0; }
  /// Sends every monitor the line of `args` run by a client at `addr` (or "lua") on `db`,
  /// stamped now: `+<sec>.<usec> [<db> <addr>] "arg" ...\r\n`.
  void Feed(int db, std::string_view addr, std::span<const std::string_view> args);

 private:
  std::mutex mu_;
  std::map<int64_t, std::function<void(std::shared_ptr<const std::string>)>> sinks_;
  std::atomic<int> count_{0};
};

}  // namespace petacore::server
