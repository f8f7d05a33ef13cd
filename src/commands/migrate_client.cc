// migrate_client.cc — MIGRATE's blocking, timed TCP client (migrate_client.h).
#include "commands/migrate_client.h"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace petacore::commands {

namespace asio = boost::asio;
using asio::ip::tcp;

bool MigrateConnection::RunFor(int64_t timeout_ms, const bool& done) {
  io_.restart();
  io_.run_for(std::chrono::milliseconds(timeout_ms));
  if (done) return true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
  io_.restart();
  io_.run();  // the cancelled handler runs
  return false;
}

MigrateConnection::ConnectResult MigrateConnection::Connect(const std::string& host,
                                                            const std::string& port,
                                                            int64_t timeout_ms) {
  bool done = false, ok = false, resolved = false;
  tcp::resolver resolver(io_);
  resolver.async_resolve(host, port, [&](const boost::system::error_code& ec,
                                         tcp::resolver::results_type results) {
    if (ec) {
      done = true;
      return;
    }
    resolved = true;
    asio::async_connect(socket_, results,
                        [&](const boost::system::error_code& ec2, const tcp::endpoint&) {
                          done = true;
                          ok = !ec2;
                        });
  });
  if (!RunFor(timeout_ms, done)) {
    resolver.cancel();
    return ConnectResult::kFailed;
  }
  if (!ok) return resolved ? ConnectResult::kRefused : ConnectResult::kFailed;
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  return ConnectResult::kOk;
}

bool MigrateConnection::Write(std::string_view data, int64_t timeout_ms) {
  bool done = false, ok = false;
  asio::async_write(socket_, asio::buffer(data.data(), data.size()),
                    [&](const boost::system::error_code& ec, size_t) {
                      done = true;
                      ok = !ec;
                    });
  return RunFor(timeout_ms, done) && ok;
}

bool MigrateConnection::ReadLine(std::string* line, int64_t timeout_ms) {
  bool done = false, ok = false;
  auto dyn = asio::dynamic_buffer(buffer_);
  size_t line_len = 0;
  asio::async_read_until(socket_, dyn, "\r\n",
                         [&](const boost::system::error_code& ec, size_t n) {
                           done = true;
                           ok = !ec;
                           line_len = n;
                         });
  if (!RunFor(timeout_ms, done) || !ok) return false;
  line->assign(buffer_, 0, line_len - 2);
  buffer_.erase(0, line_len);
  return true;
}

}  // namespace petacore::commands
