// src/server/tls.h — RESP clients over TLS (as Redis's tls-port): the server's OpenSSL context
// and the TLS listener, which completes each handshake before handing the stream to a
// Connection.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "server/driver.h"
#include "server/server_state.h"

namespace petacore::server {

/// A client that has not finished its TLS handshake within this time is disconnected, so
/// idle or plain-text peers on the TLS port cannot pile up.
inline constexpr std::chrono::seconds kTlsHandshakeTimeout{10};

/// The server context from --tls-cert-file (PEM chain), --tls-key-file and --tls-ca-cert-file,
/// TLS 1.2 or newer. --tls-auth-clients as Redis: "yes" requires a client certificate signed
/// by the CA, "optional" verifies one if sent, "no" never asks. Errors: INVALID_ARGUMENT naming
/// the file or setting at fault (read at start-up only: a later file change needs a restart).
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const config::Config& config);

/// The TLS port: its context and acceptor. Start() listens on --bind:--tls-port and accepts on
/// contexts[0]; each accepted socket goes to the next io_context (round robin, as the plain
/// listener), does its handshake there (bounded by kTlsHandshakeTimeout; failures are logged
/// at debug level and just close the socket) and is then served by a Connection like any
/// other client. The listener, `contexts`, `state` and `driver` must outlive the io_contexts'
/// run().
class TlsListener {
 public:
  /// Errors: MakeServerTlsContext's, or UNAVAILABLE when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<TlsListener>> Start(
      const config::Config& config, std::vector<std::unique_ptr<boost::asio::io_context>>& contexts,
      ServerState& state, Driver& driver);

 private:
  TlsListener(std::shared_ptr<boost::asio::ssl::context> tls, boost::asio::io_context& ctx)
      : tls_(std::move(tls)), acceptor_(ctx) {}

  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace petacore::server
