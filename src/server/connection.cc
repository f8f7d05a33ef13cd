#include "server/connection.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>

#include "auth/access.h"  // SubscriptionsAllowed (ACL channel revocation)
#include "auth/protected_mode.h"
#include "commands/table.h"
#include "keyspace/encoding.h"

namespace petacore::server {
namespace {

namespace asio = boost::asio;
constexpr size_t kReadChunk = 16 * 1024;

/// The io_context thread the connection's socket runs on.
class IoExecutor final : public Executor {
 public:
  explicit IoExecutor(asio::any_io_executor ex) : ex_(std::move(ex)) {}

 protected:
  void Schedule(std::function<void()> fn) override { asio::post(ex_, std::move(fn)); }
  void ScheduleAfter(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto timer = std::make_shared<asio::steady_timer>(ex_, delay);
    timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code&) { fn(); });
  }

 private:
  asio::any_io_executor ex_;
};

std::string Endpoint(const asio::ip::tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

Connection::Connection(Stream socket, ServerState& state, Driver& driver)
    : socket_(std::move(socket)),
      executor_(std::make_shared<IoExecutor>(socket_.get_executor())),
      state_(state),
      driver_(driver),
      parser_(resp::Limits{.max_bulk_len = state.config.proto_max_bulk_len}),
      push_done_(socket_.get_executor()),
      wake_(socket_.get_executor()),
      watchdog_(socket_.get_executor(), state.config) {
  boost::system::error_code ec;
  session_.id = state_.next_client_id.fetch_add(1);
  session_.created_ms = keyspace::NowMs();
  session_.last_command_ms = session_.created_ms;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) session_.addr = Endpoint(remote);
  auto local = socket_.local_endpoint(ec);
  if (!ec) session_.laddr = Endpoint(local);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  std::lock_guard lock(state_.clients_mu);
  state_.clients[session_.id] = &session_;
}

Connection::~Connection() {
  executor_->Close();  // normally done at the end of Run already
  state_.observability.monitors().Remove(session_.id);  // MONITOR (observability.h)
  state_.tracking.Disable(session_.id);
  std::lock_guard lock(state_.clients_mu);
  state_.clients.erase(session_.id);
}

std::string Connection::Describe() const {
  return "id=" + std::to_string(session_.id) + " addr=" + session_.addr +
         " laddr=" + session_.laddr + " name=" + session_.name;
}

void Connection::Close(std::string_view reason) {
  if (reason == "idle") {
    spdlog::debug("Closing idle client {}", Describe());  // as Redis, at verbose level
  } else {
    spdlog::warn("Client {} closed for overcoming of output buffer limits.", Describe());
    state_.output_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
  }
  boost::system::error_code ignored;
  socket_.close(ignored);  // the pending read or write completes with an error
}

void Connection::WatchForHangUp() {
  socket_.socket().async_wait(
      asio::ip::tcp::socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec) return;  // cancelled: the command ended first
        char byte;
        size_t n = self->socket_.socket().receive(asio::buffer(&byte, 1),
                                                  asio::socket_base::message_peek, ec);
        if (ec == asio::error::would_block || (!ec && n > 0)) return;  // data, not a hang-up
        if (self->session_.abandon_blocked) self->session_.abandon_blocked();
      });
}

void Connection::QueueInvalidation(const std::vector<std::string>* keys,
                                   int64_t broken_redirect, bool redirected) {
  if (broken_redirect != 0) {
    if (!session_.tracking.on || session_.tracking.redirect != broken_redirect) return;  // stale
    session_.tracking.broken_redirect = true;
  }
  if (session_.protocol < 3) {
    // RESP2: only a REDIRECT target in subscribed mode gets it, as a pub/sub message on
    // __redis__:invalidate whose payload is the array of keys (null: everything), as Redis's
    // sendTrackingMessage. A broken redirect is not reported in RESP2.
    if (!redirected || broken_redirect != 0 || session_.subscriptions() == 0) return;
    std::string* buf = awaiting_command_ ? &out_ : &push_buf_;
    resp::ReplyWriter w(buf, 2);
    w.ArrayHeader(3);
    w.Bulk("message");
    w.Bulk("__redis__:invalidate");
    if (keys == nullptr) {
      w.NullBulk();
    } else {
      w.ArrayHeader(keys->size());
      for (const auto& k : *keys) w.Bulk(k);
    }
    if (CheckPushLimits() && !awaiting_command_) MaybeFlushPushes();
    return;
  }
  resp::ReplyWriter w(&push_buf_, 3);
  w.PushHeader(2);
  if (broken_redirect != 0) {
    w.Bulk("tracking-redir-broken");
    w.Integer(broken_redirect);
  } else if (keys == nullptr) {
    w.Bulk("invalidate");
    w.NullBulk();
  } else {
    w.Bulk("invalidate");
    w.ArrayHeader(keys->size());
    for (const auto& k : *keys) w.Bulk(k);
  }
  if (watchdog_.OverHardLimit(push_buf_.size())) {  // a client that does not read its pushes
    Close("output-buffer");
    return;
  }
  MaybeFlushPushes();
}

void Connection::TakeInbox() {
  std::vector<std::shared_ptr<const client::PubSubDelivery>> inbox;
  {
    std::lock_guard lock(inbox_mu_);
    inbox.swap(inbox_);
  }
  for (const auto& d : inbox) QueueMessages(*d, d);
}

void Connection::WriteMessage(resp::ReplyWriter& w, int protocol,
                              const client::PubSubDelivery::Item& item) {
  const size_t n = item.type == 'p' ? 4 : 3;
  if (protocol >= 3) {
    w.PushHeader(n);
  } else {
    w.ArrayHeader(n);
  }
  switch (item.type) {
    case 'p':
      w.Bulk("pmessage");
      w.Bulk(item.pattern);
      break;
    case 's':
      w.Bulk("smessage");
      break;
    default:
      w.Bulk("message");
  }
  w.Bulk(item.channel);
  w.Bulk(item.payload);
}

namespace {

/// The session's subscription an item was delivered for: kind byte + name.
std::string SubscriptionOf(const client::PubSubDelivery::Item& item) {
  if (item.type == 'p') return 'p' + item.pattern;
  return (item.type == 's' ? 's' : 'c') + std::string(item.channel);
}

bool Subscribed(const client::Session& s, const client::PubSubDelivery::Item& item) {
  if (item.type == 'p') return s.patterns.count(item.pattern) > 0;
  const std::string channel(item.channel);
  return item.type == 's' ? s.shard_channels.count(channel) > 0 : s.channels.count(channel) > 0;
}

}  // namespace

void Connection::QueueMessages(const client::PubSubDelivery& delivery,
                               const std::shared_ptr<const client::PubSubDelivery>& owner) {
  std::string* buf = awaiting_command_ ? &out_ : &push_buf_;
  const int protocol = session_.protocol;
  resp::ReplyWriter w(buf, protocol);
  for (const auto& item : delivery.items) {
    // Only what the session is subscribed to: a SUBSCRIBE whose commit failed with an
    // unknown outcome (an etcd error) may have left a key the session does not count, and a
    // RESP2 client out of subscribed mode must never get a message. A subscription not yet
    // confirmed holds its message until the confirmation is written (FlushDeferred).
    if (!Subscribed(session_, item)) {
      if (session_.pending_subscriptions.count(SubscriptionOf(item))) {
        deferred_.push_back(item);
        if (deferred_owners_.empty() || deferred_owners_.back() != owner) {
          deferred_owners_.push_back(owner);
        }
      }
      continue;
    }
    WriteMessage(w, protocol, item);
  }
  if (!CheckPushLimits()) return;
  if (!awaiting_command_) MaybeFlushPushes();
}

void Connection::FlushDeferred() {
  if (deferred_.empty()) {
    session_.pending_subscriptions.clear();
    return;
  }
  resp::ReplyWriter w(&out_, session_.protocol);
  for (const auto& item : deferred_) {
    if (Subscribed(session_, item)) WriteMessage(w, session_.protocol, item);
  }
  deferred_.clear();
  deferred_owners_.clear();
  session_.pending_subscriptions.clear();
}

bool Connection::CheckPushLimits() {
  const size_t pending = push_buf_.size() + push_inflight_;
  if (watchdog_.OverHardLimit(pending)) {  // a client that does not read its messages
    Close("output-buffer");
    push_buf_.clear();
    return false;
  }
  watchdog_.OnPending(pending);
  return true;
}

void Connection::MaybeFlushPushes() {
  if (!reading_ || push_writing_ || push_buf_.empty()) return;
  push_writing_ = true;
  asio::co_spawn(socket_.get_executor(), WritePushes(shared_from_this()), asio::detached);
}

asio::awaitable<void> Connection::WritePushes(std::shared_ptr<Connection> self) {
  while (!push_buf_.empty() && reading_) {
    std::string buf;
    buf.swap(push_buf_);
    push_inflight_ = buf.size();
    CountWrite(buf.size());  // before the bytes can reach the client: see CountWrite
    boost::system::error_code ec;
    size_t written = co_await asio::async_write(socket_, asio::buffer(buf),
                                                asio::redirect_error(asio::use_awaitable, ec));
    push_inflight_ = 0;
    UncountUnwritten(buf.size() - written);
    if (ec) break;
    watchdog_.OnActivity();
    watchdog_.OnPending(push_buf_.size());
  }
  push_writing_ = false;
  push_done_.cancel();
}

asio::awaitable<bool> Connection::WriteOutput() {
  size_t sent = 0;
  bool ok = true;
  // One write of the replies, as Redis's writeToClient counts; before the bytes can reach the
  // client (see CountWrite).
  CountWrite(out_.size());
  while (sent < out_.size()) {
    watchdog_.OnPending(out_.size() - sent);
    boost::system::error_code ec;
    size_t n = co_await socket_.async_write_some(
        asio::buffer(out_.data() + sent, out_.size() - sent),
        asio::redirect_error(asio::use_awaitable, ec));
    sent += n;
    if (ec) {
      ok = false;
      break;
    }
    watchdog_.OnActivity();
  }
  UncountUnwritten(out_.size() - sent);
  if (ok) watchdog_.OnPending(0);
  co_return ok;
}

void Connection::CountWrite(size_t bytes) {
  state_.writes_processed.fetch_add(1, std::memory_order_relaxed);
  state_.net_output_bytes.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
}

void Connection::UncountUnwritten(size_t bytes) {
  if (bytes == 0) return;
  state_.net_output_bytes.fetch_sub(static_cast<int64_t>(bytes), std::memory_order_relaxed);
}

asio::awaitable<void> Connection::DrainInFlight() {
  watchdog_.SetBusy(true);
  while (outstanding_ > 0) {
    wake_.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ignored;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  for (auto& f : in_flight_) {
    if (!f.suppressed) out_.append(f.reply);
  }
  in_flight_.clear();
  watchdog_.SetBusy(false);
}

asio::awaitable<void> Connection::WaitWhilePaused() {
  const commands::CommandSpec* spec = commands::Table().Resolve(command_.args);
  auto writes = [](const commands::CommandSpec* s) {
    return s != nullptr && (s->flags & (commands::kWrite | commands::kMayReplicate));
  };
  // As Redis's is_may_replicate_command: a write, or EXEC of a transaction that queued one.
  bool may_write = writes(spec);
  if (!may_write && spec != nullptr && (spec->flags & commands::kRunsQueue) && session_.in_multi) {
    for (const auto& queued : session_.queued) {
      std::vector<std::string_view> args(queued.begin(), queued.end());
      may_write = may_write || writes(commands::Table().Resolve(args));
    }
  }
  int64_t until_ms = 0;
  // A late wake-up (UNPAUSE after this wait timed out) must not end another wait on wake_.
  auto wake = [ex = executor_, this] {
    ex->Post([this] {
      if (held_) wake_.cancel();
    });
  };
  while (!killed_ && state_.pause.Hold(may_write, keyspace::NowMs(), &until_ms, wake)) {
    if (!in_flight_.empty()) {
      co_await DrainInFlight();  // may swallow the UNPAUSE wake-up: look again
      continue;
    }
    watchdog_.SetBusy(true);  // held, as blocked: never closed as idle
    wake_.expires_after(std::chrono::milliseconds(std::max<int64_t>(until_ms - keyspace::NowMs(), 1)));
    boost::system::error_code ignored;
    held_ = true;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    held_ = false;
    watchdog_.SetBusy(false);
  }
}

asio::awaitable<bool> Connection::ProcessInput() {
  while (in_start_ < in_end_ && !session_.close_after_reply) {
    std::string_view pending(in_.data() + in_start_, in_end_ - in_start_);
    auto result = parser_.Parse(pending, &command_);
    if (result.status == resp::Parser::Status::kNeedMore) break;
    if (result.status == resp::Parser::Status::kError) {
      if (!in_flight_.empty()) co_await DrainInFlight();
      // As Redis: reply with the protocol error, then close the connection.
      resp::ReplyWriter(&out_).Error(parser_.error());
      co_return false;
    }
    in_start_ += result.consumed;  // the args stay valid: in_ is not moved before draining
    if (command_.args.empty()) continue;
    if (state_.pause.active()) co_await WaitWhilePaused();  // no frame per command otherwise
    if (killed_) {  // CLIENT KILL: the rest of the input is not run
      if (!in_flight_.empty()) co_await DrainInFlight();
      co_return false;
    }
    session_.last_command_ms.store(keyspace::NowMs(), std::memory_order_relaxed);
    // CLIENT REPLY SKIP drops the reply of the command after it (Redis's CLIENT_REPLY_SKIP).
    const bool skip_reply = std::exchange(session_.reply_skip_next, false);
    if (driver_.Overlappable(session_, command_.args)) {
      auto& f = in_flight_.emplace_back();
      f.args = command_.args;
      f.suppressed = skip_reply || session_.reply_off;
      ++outstanding_;
      bool done = driver_.Execute(session_, f.args, &f.reply, executor_, [this] {
        if (--outstanding_ == 0) wake_.cancel();
      });
      if (done) --outstanding_;
      continue;
    }
    if (!in_flight_.empty()) co_await DrainInFlight();
    const size_t reply_start = out_.size();
    bool done = driver_.Execute(session_, command_.args, &out_, executor_,
                                [this] { wake_.cancel(); });
    if (!done) {
      watchdog_.SetBusy(true);  // blocked or committing: never closed as idle
      // A blocking command that found nothing has parked inside Execute (it set
      // abandon_blocked): only then is the socket watched, with no lookup on the write path.
      bool blocking = static_cast<bool>(session_.abandon_blocked);
      if (blocking) WatchForHangUp();
      wake_.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ignored;
      awaiting_command_ = true;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      awaiting_command_ = false;
      if (blocking) socket_.socket().cancel(ignored);  // ends a pending WatchForHangUp
      watchdog_.SetBusy(false);
    }
    FlushDeferred();  // messages that came before this command's subscribe confirmation
    // A client with a subscription is of Redis's pubsub class (output buffer limits).
    watchdog_.SetPubSub(session_.subscriptions() > 0);
    session_.CountSubscriptions();
    // CLIENT REPLY OFF (its own reply included) or SKIP: the reply is not sent.
    if (skip_reply || session_.reply_off) out_.resize(reply_start);
    // Pushes are sent even with replies off (as Redis). Invalidations go after the reply
    // that preceded them.
    if (!push_buf_.empty()) {
      out_.append(push_buf_);
      push_buf_.clear();
    }
    if (watchdog_.OverHardLimit(out_.size())) {
      // As Redis: the client is dropped with its pending replies, not sent a partial batch.
      spdlog::warn("Client {} closed for overcoming of output buffer limits.", Describe());
      state_.output_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
      out_.clear();
      co_return false;
    }
    if (session_.close_after_reply) co_return false;
  }
  if (!in_flight_.empty()) co_await DrainInFlight();
  if (!push_buf_.empty()) {
    out_.append(push_buf_);
    push_buf_.clear();
  }
  co_return !session_.close_after_reply;
}

asio::awaitable<void> Connection::Run(std::shared_ptr<Connection> self) {
  state_.total_connections.fetch_add(1, std::memory_order_relaxed);
  watchdog_.Start(self, [this](std::string_view reason) { Close(reason); });
  const size_t query_limit = state_.config.client_query_buffer_limit;
  in_.resize(kReadChunk);
  boost::system::error_code peer_ec;
  auto peer = socket_.remote_endpoint(peer_ec);
  if (auto denial =
          auth::OnConnect(state_.acl, state_.config.protected_mode, session_, peer.address());
      !denial.empty()) {
    // Protected mode (as Redis): the DENIED line, then close.
    co_await asio::async_write(socket_, asio::buffer(denial),
                               asio::redirect_error(asio::use_awaitable, peer_ec));
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, peer_ec);
    socket_.close(peer_ec);
    co_return;
  }
  {
    std::lock_guard lock(state_.clients_mu);
    // ACL channel revocation (Session::recheck_channels): on this thread, a subscriber whose
    // user no longer allows all its subscriptions is disconnected.
    session_.recheck_channels = [weak = weak_from_this(), ex = socket_.get_executor()] {
      asio::post(ex, [weak] {
        auto c = weak.lock();
        if (!c || auth::SubscriptionsAllowed(c->state_.acl, c->session_)) return;
        auto disconnect = c->session_.disconnect;
        if (disconnect) disconnect();
      });
    };
    session_.disconnect = [weak = weak_from_this(), ex = socket_.get_executor()] {
      asio::post(ex, [weak] {
        boost::system::error_code ignored;
        auto c = weak.lock();
        if (!c) return;
        c->killed_ = true;
        c->socket_.close(ignored);  // the read loop then ends
        // A parked blocking command ends without a reply (as Redis frees a blocked client),
        // and a command held by CLIENT PAUSE is dropped.
        auto abandon = c->session_.abandon_blocked;
        if (abandon) abandon();
        if (c->held_) c->wake_.cancel();
      });
    };
    session_.unblock = [weak = weak_from_this(), ex = socket_.get_executor()](bool error) {
      asio::post(ex, [weak, error] {
        auto c = weak.lock();
        if (!c) return;
        auto wake = c->session_.wake_blocked;  // a copy: answering clears the session's
        if (wake) wake(error);
      });
    };
    session_.push_messages = [weak = weak_from_this(),
                              ex = executor_](std::shared_ptr<const client::PubSubDelivery> d) {
      auto c = weak.lock();
      if (!c) return;
      bool first;
      {
        std::lock_guard lock(c->inbox_mu_);
        first = c->inbox_.empty();
        c->inbox_.push_back(std::move(d));
      }
      if (first) {
        ex->Post([weak] {
          if (auto c = weak.lock()) c->TakeInbox();
        });
      }
    };
    // MONITOR lines (monitor.h): written between replies, like the other pushes.
    session_.push_raw = [weak = weak_from_this(), ex = executor_](
                            std::shared_ptr<const std::string> bytes) {
      ex->Post([weak, bytes = std::move(bytes)] {
        auto c = weak.lock();
        if (!c) return;
        c->push_buf_.append(*bytes);
        if (c->watchdog_.OverHardLimit(c->push_buf_.size())) return c->Close("output-buffer");
        c->MaybeFlushPushes();
      });
    };
    session_.push_invalidation = [weak = weak_from_this(), ex = executor_](
                                     std::shared_ptr<const std::vector<std::string>> keys,
                                     int64_t broken_redirect, bool redirected) {
      ex->Post([weak, keys = std::move(keys), broken_redirect, redirected] {
        if (auto c = weak.lock()) c->QueueInvalidation(keys.get(), broken_redirect, redirected);
      });
    };
  }
  for (;;) {
    if (in_start_ == in_end_) {
      in_start_ = in_end_ = 0;
    } else if (in_start_ > 0 && in_end_ == in_.size()) {
      // Keep the unparsed tail at the front (the parser keeps offsets, not pointers).
      std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
      in_end_ -= in_start_;
      in_start_ = 0;
    }
    if (in_end_ == in_.size()) {
      if (in_.size() >= query_limit) {  // as Redis's client-query-buffer-limit
        spdlog::warn("Closing client that reached max query buffer length: {} (limit {} bytes)",
                     Describe(), query_limit);
        break;
      }
      in_.resize(std::min(in_.size() * 2, query_limit));
    }
    boost::system::error_code ec;
    reading_ = true;
    MaybeFlushPushes();
    size_t n = co_await socket_.async_read_some(
        asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
        asio::redirect_error(asio::use_awaitable, ec));
    reading_ = false;
    // INFO total_reads_processed (every read, the last one too, as Redis) and
    // total_net_input_bytes.
    state_.reads_processed.fetch_add(1, std::memory_order_relaxed);
    state_.net_input_bytes.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
    if (ec) break;
    while (push_writing_) {  // a push being written: replies go after it
      push_done_.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ignored;
      co_await push_done_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (!push_buf_.empty()) {  // pushes that came before this input go before its replies
      out_.append(push_buf_);
      push_buf_.clear();
    }
    in_end_ += n;
    watchdog_.OnActivity();
    session_.read_fence.NewBatch();  // linearizable reads: one fence for this read's commands
    bool keep_open = co_await ProcessInput();
    if (!out_.empty()) {
      bool written = co_await WriteOutput();
      out_.clear();
      if (out_.capacity() > 1024 * 1024) out_.shrink_to_fit();
      if (!written) break;
    }
    if (!keep_open) break;
    if (in_.size() > 4 * kReadChunk && in_end_ - in_start_ < kReadChunk) {
      // Give back a buffer grown for one huge argument.
      std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
      in_end_ -= in_start_;
      in_start_ = 0;
      in_.resize(kReadChunk);
      in_.shrink_to_fit();
    }
  }
  watchdog_.Stop();
  state_.DropSubscriptions(session_);  // its subscription keys are deleted cluster-wide
  // Every command has its reply (ProcessInput drains before returning): from here on a late
  // callback (an ack waiter whose bound answered, a conflict retry) must find nothing to do.
  executor_->Close();
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace petacore::server
