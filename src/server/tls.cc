#include "server/tls.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <mutex>
#include <string>

#include "server/connection.h"
#include "server/stream.h"

namespace petacore::server {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

// OpenSSL's reason for a failed setup call, for the start-up error.
std::string SslError(const boost::system::system_error& e) { return e.code().message(); }

asio::awaitable<void> HandshakeAndServe(tcp::socket socket, ssl::context& tls, ServerState& state,
                                        Driver& driver) {
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  auto stream = std::make_shared<Stream::TlsStream>(std::move(socket), tls);
  // The timer's handler may run after the handshake finished (it was already queued), so it
  // owns the stream too and checks `done` before closing anything.
  auto done = std::make_shared<bool>(false);
  asio::steady_timer timer(stream->get_executor(), kTlsHandshakeTimeout);
  timer.async_wait([stream, done](const boost::system::error_code& wait_ec) {
    if (wait_ec || *done) return;
    boost::system::error_code ignored;
    stream->next_layer().close(ignored);  // aborts the pending handshake
  });
  co_await stream->async_handshake(ssl::stream_base::server,
                                   asio::redirect_error(asio::use_awaitable, ec));
  *done = true;
  timer.cancel();
  if (ec) {
    // A plain-text client, an untrusted or missing certificate, or a timeout: not the
    // server's problem, so not a warning.
    spdlog::debug("TLS handshake with {}:{} failed: {}", peer.address().to_string(), peer.port(),
                  ec.message());
    boost::system::error_code ignored;
    stream->next_layer().close(ignored);
    co_return;
  }
  auto conn = std::make_shared<Connection>(Stream(std::move(*stream)), state, driver);
  co_await conn->Run(conn);
}

}  // namespace

absl::StatusOr<std::shared_ptr<ssl::context>> MakeServerTlsContext(const config::Config& config) {
  if (config.tls_cert_file.empty() || config.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-port needs --tls-cert-file and --tls-key-file");
  }
  const bool verify = config.tls_auth_clients != "no";
  if (verify && config.tls_ca_cert_file.empty()) {
    return absl::InvalidArgumentError("--tls-auth-clients " + config.tls_auth_clients +
                                      " needs --tls-ca-cert-file (or use --tls-auth-clients no)");
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  const std::string* file = nullptr;
  try {
    file = &config.tls_cert_file;
    ctx->use_certificate_chain_file(config.tls_cert_file);
    file = &config.tls_key_file;
    ctx->use_private_key_file(config.tls_key_file, ssl::context::pem);
    if (!config.tls_ca_cert_file.empty()) {
      file = &config.tls_ca_cert_file;
      ctx->load_verify_file(config.tls_ca_cert_file);
    }
  } catch (const boost::system::system_error& e) {
    return absl::InvalidArgumentError("cannot load " + *file + ": " + SslError(e));
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return absl::InvalidArgumentError("--tls-key-file does not match --tls-cert-file");
  }
  if (config.tls_auth_clients == "yes") {
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  } else if (config.tls_auth_clients == "optional") {
    ctx->set_verify_mode(ssl::verify_peer);
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  // Session resumption with client verification needs a session id context (OpenSSL refuses
  // resumed sessions without one when verify_peer is set).
  static constexpr unsigned char kSessionContext[] = "petacore";
  SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionContext,
                                 sizeof(kSessionContext) - 1);
  return ctx;
}

namespace {

asio::awaitable<void> AcceptTls(tcp::acceptor& acceptor,
                                std::vector<std::unique_ptr<asio::io_context>>& contexts,
                                ssl::context& tls, ServerState& state, Driver& driver) {
  size_t next = 0;
  for (;;) {
    auto& ctx = *contexts[next++ % contexts.size()];
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(ctx, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::warn("TLS accept: {}", ec.message());
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
        // As the plain listener: pause rather than spin while out of descriptors.
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      continue;
    }
    {
      // maxclients as on the plain port, but without the error line: before the handshake
      // the client could not read it anyway.
      std::lock_guard lock(state.clients_mu);
      if (state.clients.size() >= static_cast<size_t>(state.config.maxclients)) {
        boost::system::error_code ignored;
        socket.close(ignored);
        state.rejected_connections.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
    }
    asio::co_spawn(ctx, HandshakeAndServe(std::move(socket), tls, state, driver), asio::detached);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsListener>> TlsListener::Start(
    const config::Config& config, std::vector<std::unique_ptr<asio::io_context>>& contexts,
    ServerState& state, Driver& driver) {
  auto tls = MakeServerTlsContext(config);
  if (!tls.ok()) return tls.status();
  std::unique_ptr<TlsListener> listener(new TlsListener(std::move(*tls), *contexts[0]));
  auto& acceptor = listener->acceptor_;
  try {
    tcp::endpoint ep(asio::ip::make_address(config.bind), static_cast<uint16_t>(config.tls_port));
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    return absl::UnavailableError("cannot listen on " + config.bind + ":" +
                                  std::to_string(config.tls_port) + ": " + e.what());
  }
  asio::co_spawn(*contexts[0], AcceptTls(acceptor, contexts, *listener->tls_, state, driver),
                 asio::detached);
  spdlog::info("TLS clients on {}:{} (client certificates: {})", config.bind, config.tls_port,
               config.tls_auth_clients == "yes" ? "required" : config.tls_auth_clients);
  return listener;
}

}  // namespace petacore::server
