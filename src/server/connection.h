// src/server/connection.h — one client connection: read, parse every complete command,
// execute in order, write all replies of the batch with one socket write.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/session.h"
#include "resp/parser.h"
#include "resp/reply.h"
#include "server/client_watchdog.h"
#include "server/driver.h"
#include "server/server_state.h"
#include "server/stream.h"

namespace petacore::server {

/// Owns the client stream (plain TCP or TLS, see stream.h) and the Session. Lives as long as its Run() coroutine; all of it runs on
/// the socket's io_context thread (one thread per io_context), so no locks are needed.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Stream socket, ServerState& state, Driver& driver);
  ~Connection();

  /// Serves the client until it disconnects, sends QUIT, or breaks the protocol. `self` (this
  /// connection) rides in the coroutine frame and keeps the connection alive until it ends.
  boost::asio::awaitable<void> Run(std::shared_ptr<Connection> self);

 private:
  /// Parses and executes what the buffer holds; false when the connection must close.
  boost::asio::awaitable<bool> ProcessInput();
  /// Writes out_ in pieces, reporting progress to the watchdog; false on a socket error.
  boost::asio::awaitable<bool> WriteOutput();
  /// One write of `bytes` to the client, for INFO: total_writes_processed and
  /// total_net_output_bytes in ServerState. Counted before the write starts, so that a client
  /// that has read a reply sees it counted by an INFO on any connection (another io thread
  /// may run that INFO before this one resumes after the write).
  void CountWrite(size_t bytes);
  /// Takes back the part of a counted write that a socket error left unwritten.
  void UncountUnwritten(size_t bytes);
  /// While a blocking command waits: notices the client hanging up (EOF on the socket) and
  /// abandons the command (Session::abandon_blocked). Data the client sends meanwhile stays
  /// in the socket for after the command, and ends the watch: a hang-up after it, or over TLS
  /// (whose close_notify is data), is noticed only when the command ends.
  void WatchForHangUp();
  /// CLIENT PAUSE: while this node's pause holds the command in command_, waits (after the
  /// commands in flight) until the deadline or CLIENT UNPAUSE.
  boost::asio::awaitable<void> WaitWhilePaused();
  bool held_ = false;  ///< inside WaitWhilePaused's wait: an UNPAUSE wake-up may cancel wake_
  /// Session::disconnect ran (CLIENT KILL, a deleted ACL user): a held command is dropped.
  bool killed_ = false;
  /// Connection thread: appends an invalidation message (CLIENT TRACKING; `keys` null = all),
  /// or a tracking-redir-broken one when `broken_redirect` != 0, to push_buf_ (RESP3 only),
  /// and writes it at once when the connection is idle.
  void QueueInvalidation(const std::vector<std::string>* keys, int64_t broken_redirect,
                         bool redirected);
  /// Connection thread: appends pub/sub messages (RESP2 arrays, RESP3 pushes) — to out_ while
  /// a command waits for its commit (so they precede its reply: a message delivered before an
  /// UNSUBSCRIBE's confirmation is sent before it), else to push_buf_, written at once when
  /// idle. A client over client-output-buffer-limit pubsub is disconnected (as Redis).
  void QueueMessages(const client::PubSubDelivery& delivery,
                     const std::shared_ptr<const client::PubSubDelivery>& owner);
  /// Pub/sub output limits: the pending push bytes against the pubsub class (hard: close now;
  /// soft: the watchdog's clock). False when the connection was closed.
  bool CheckPushLimits();
  /// Messages that reached a subscription before its SUBSCRIBE was confirmed (committed in
  /// the same revision): written after the command's reply, if it was confirmed (else
  /// dropped). Connection thread.
  std::vector<client::PubSubDelivery::Item> deferred_;
  std::vector<std::shared_ptr<const client::PubSubDelivery>> deferred_owners_;
  void FlushDeferred();
  /// Appends one message in the session's protocol.
  static void WriteMessage(resp::ReplyWriter& w, int protocol,
                           const client::PubSubDelivery::Item& item);
  bool awaiting_command_ = false;  ///< ProcessInput waits for a command's commit
  /// Deliveries handed over by the store's writer, in revision order, until the connection's
  /// thread takes them (TakeInbox): a post from the connection's own thread and one from
  /// another thread may run in either order, the inbox keeps them in order.
  std::mutex inbox_mu_;
  std::vector<std::shared_ptr<const client::PubSubDelivery>> inbox_;
  void TakeInbox();
  size_t push_inflight_ = 0;       ///< bytes WritePushes is writing now
  /// Idle (awaiting input) with pushes pending: writes them (WritePushes) unless already.
  void MaybeFlushPushes();
  /// Writes push_buf_ while the connection awaits input; the read loop waits for it to end
  /// before writing replies, so pushes never land inside a reply.
  boost::asio::awaitable<void> WritePushes(std::shared_ptr<Connection> self);
  /// Disconnects the client now (a limit was hit): pending reads and writes fail.
  void Close(std::string_view reason);
  /// "id=.. addr=.. laddr=.. name=..", for log lines about this client.
  std::string Describe() const;

  Stream socket_;  // named for what it mostly is; TLS clients have a TLS stream here
  /// This connection's thread, shared with every callback that may outlive it (executor.h);
  /// closed when Run ends, so late callbacks are dropped.
  std::shared_ptr<Executor> executor_;
  ServerState& state_;
  Driver& driver_;
  client::Session session_;
  resp::Parser parser_;
  resp::Command command_;
  std::string in_;       // received bytes; [in_start_, in_end_) not yet consumed
  size_t in_start_ = 0;
  size_t in_end_ = 0;
  /// Waits until every command launched concurrently has its reply, then appends those
  /// replies to out_ in command order.
  boost::asio::awaitable<void> DrainInFlight();

  std::string out_;      // replies waiting for the next write
  // Invalidation pushes (CLIENT TRACKING) go out between replies: appended to out_ after a
  // command's reply, or written by WritePushes while the connection awaits input.
  std::string push_buf_;
  bool reading_ = false;       // Run awaits input: no command, no reply being written
  bool push_writing_ = false;  // WritePushes runs
  boost::asio::steady_timer push_done_;  // cancelled when WritePushes ends
  boost::asio::steady_timer wake_;  // cancelled when an asynchronous command completes
  // Pipelined single-key writes run concurrently (so they can share an etcd Txn); each keeps
  // its own argument list and reply slot until the batch drains. Any other command waits
  // for them first, so the pipeline still behaves as if executed one by one.
  struct InFlight {
    std::vector<std::string_view> args;
    std::string reply;
    bool suppressed = false;  ///< CLIENT REPLY OFF/SKIP: the reply is dropped
  };
  std::deque<InFlight> in_flight_;
  int outstanding_ = 0;
  // Redis's client limits: idle timeout and output-buffer limits (client_watchdog.h).
  ClientWatchdog watchdog_;
};

}  // namespace petacore::server
