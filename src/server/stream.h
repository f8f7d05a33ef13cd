// src/server/stream.h — a client byte stream: plain TCP or TLS over TCP.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <optional>
#include <utility>

namespace petacore::server {

/// What a Connection reads from and writes to: a TCP socket, or a TLS stream over one whose
/// handshake is already done (see tls.h). Models Asio's AsyncReadStream/AsyncWriteStream, so
/// asio::async_write works on it, and forwards the socket calls Connection makes to the TCP
/// socket underneath. Not thread-safe (like the socket): use it from its executor only.
class Stream {
 public:
  using tcp = boost::asio::ip::tcp;
  using TlsStream = boost::asio::ssl::stream<tcp::socket>;
  using executor_type = tcp::socket::executor_type;

  /// A plain TCP client. Implicit on purpose: a connected socket is a plain stream.
  Stream(tcp::socket socket) : plain_(std::move(socket)) {}  // NOLINT(google-explicit-constructor)
  /// A TLS client; `tls` has completed its server handshake.
  explicit Stream(TlsStream tls)
      : plain_(tls.get_executor()), tls_(std::in_place, std::move(tls)) {}

  bool is_tls() const { return tls_.has_value(); }
  /// The TCP socket underneath (the TLS stream's, for a TLS client).
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  executor_type get_executor() { return socket().get_executor(); }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Token>(token));
    return plain_.async_read_some(buffers, std::forward<Token>(token));
  }
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    if (tls_) return tls_->async_write_some(buffers, std::forward<Token>(token));
    return plain_.async_write_some(buffers, std::forward<Token>(token));
  }

  tcp::endpoint remote_endpoint(boost::system::error_code& ec) {
    return socket().remote_endpoint(ec);
  }
  tcp::endpoint local_endpoint(boost::system::error_code& ec) {
    return socket().local_endpoint(ec);
  }
  template <typename Option>
  void set_option(const Option& option, boost::system::error_code& ec) {
    socket().set_option(option, ec);
  }
  /// TCP shutdown. For TLS no close_notify is sent: waiting for the peer's would let a
  /// client hold the connection open, and clients treat the TCP close as the end anyway.
  void shutdown(tcp::socket::shutdown_type what, boost::system::error_code& ec) {
    socket().shutdown(what, ec);
  }
  void close(boost::system::error_code& ec) { socket().close(ec); }

 private:
  tcp::socket plain_;  // unused (never opened) for a TLS client
  std::optional<TlsStream> tls_;
};

}  // namespace petacore::server
