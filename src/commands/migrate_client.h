// src/commands/migrate_client.h — the outgoing connection of MIGRATE: a blocking TCP client
// with a timeout on every step, run on the command's own thread (as Redis's
// connBlockingConnect / connSyncWrite / connSyncReadLine). Built on a private Boost.Asio
// io_context that only this object runs, so it never touches the server's io threads. No
// connection cache (Redis keeps idle MIGRATE sockets for 10 s; here every MIGRATE connects
// anew, which costs a connect and a SELECT per call). Not thread-safe: one per command run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace petacore::commands {

class MigrateConnection {
 public:
  MigrateConnection() : socket_(io_) {}

  /// How Connect ended.
  enum class ConnectResult {
    kOk,
    /// The host did not resolve, or no answer within the timeout (Redis: "connecting").
    kFailed,
    /// The target refused or reset the connection. Redis's non-blocking connect counts the
    /// socket as connected then and fails on its first write, so MIGRATE reports "writing".
    kRefused,
  };
  /// Resolves and connects to host:port within `timeout_ms`.
  ConnectResult Connect(const std::string& host, const std::string& port, int64_t timeout_ms);
  /// Writes all of `data` within `timeout_ms`. False on error or timeout.
  bool Write(std::string_view data, int64_t timeout_ms);
  /// Reads one reply line (without its CRLF) within `timeout_ms`. False on error or timeout.
  bool ReadLine(std::string* line, int64_t timeout_ms);

 private:
  // Runs the pending operation until it calls back or `timeout_ms` passes (then cancels it
  // and waits for its handler). Returns whether it completed.
  bool RunFor(int64_t timeout_ms, const bool& done);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string buffer_;  // bytes read past the last line
};

}  // namespace petacore::commands
