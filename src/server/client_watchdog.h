// src/server/client_watchdog.h — the timed part of Redis's client limits for one connection:
// the idle timeout (Redis `timeout`) and the soft client-output-buffer-limit. The hard output
// limit needs no timer and is a plain check (OverHardLimit).
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "config/config.h"

namespace petacore::server {

/// Decides when a client must be disconnected for being idle or for not reading its replies.
/// Runs entirely on its connection's executor (one thread), like the Connection that owns it:
/// not thread-safe, no locks. The owner calls Stop() before it goes away.
///
/// Semantics, as Redis (networking.c checkClientOutputBufferLimits, timeout.c
/// clientsCronHandleTimeout):
/// - idle: with timeout > 0, a client with no read or write for `timeout` seconds is closed,
///   unless it waits in a command (Redis exempts blocked clients, e.g. BLPOP; a write waiting
///   for its etcd commit is not idle either). A client inside MULTI is not exempt (as Redis).
/// - output: pending reply bytes >= hard closes at once (checked by the owner with
///   OverHardLimit); pending >= soft for soft_seconds in a row closes when the time is up.
class ClientWatchdog {
 public:
  using CloseFn = std::function<void(std::string_view reason)>;

  ClientWatchdog(const boost::asio::any_io_executor& executor, const config::Config& config);

  /// Arms the idle timer. `owner` (the connection) is kept alive by pending timers; `close`
  /// is called on the executor when the client must go, with "idle" or "output-buffer".
  void Start(std::shared_ptr<void> owner, CloseFn close);
  /// Cancels the timers; nothing is called after it.
  void Stop();

  /// A read or a write moved bytes (Redis's lastinteraction).
  void OnActivity() { last_activity_ = Clock::now(); }
  /// The connection waits in a command (blocked or waiting for a commit): not idle.
  void SetBusy(bool busy) {
    busy_ = busy;
    if (!busy) OnActivity();
  }
  /// True when `pending` reply bytes reach the hard limit: the owner closes at once.
  bool OverHardLimit(size_t pending) const {
    const config::OutputBufferLimit limit = Limit();
    return limit.hard_bytes > 0 && pending >= limit.hard_bytes;
  }
  /// The client has a subscription (or no longer has one): the pubsub class's limits apply
  /// instead of the normal class's, as Redis's getClientType.
  void SetPubSub(bool pubsub) { pubsub_ = pubsub; }
  /// Reports the reply bytes not yet written; starts or resets the soft-limit clock.
  void OnPending(size_t pending);

 private:
  using Clock = std::chrono::steady_clock;
  void ArmIdle(Clock::time_point at);
  void ArmSoft();

  // The class's current limits (CONFIG SET changes them for connected clients too).
  config::OutputBufferLimit Limit() const { return (pubsub_ ? pubsub_limit_ : limit_).load(); }

  const config::LiveOutputBufferLimit& limit_;         // the server's Config outlives us
  const config::LiveOutputBufferLimit& pubsub_limit_;
  bool pubsub_ = false;
  const std::chrono::seconds timeout_;
  boost::asio::steady_timer idle_timer_;
  boost::asio::steady_timer soft_timer_;
  std::shared_ptr<void> owner_;  // released by Stop(); copied into each pending wait
  CloseFn close_;
  bool stopped_ = false;
  bool busy_ = false;
  Clock::time_point last_activity_ = Clock::now();
  std::optional<Clock::time_point> soft_since_;  // pending >= soft since then
};

}  // namespace petacore::server
