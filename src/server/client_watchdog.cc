#include "server/client_watchdog.h"

namespace petacore::server {

ClientWatchdog::ClientWatchdog(const boost::asio::any_io_executor& executor,
                               const config::Config& config)
    : limit_(config.client_output_buffer_limit),
      pubsub_limit_(config.client_output_buffer_limit_pubsub),
      timeout_(config.timeout_seconds),
      idle_timer_(executor),
      soft_timer_(executor) {}

void ClientWatchdog::Start(std::shared_ptr<void> owner, CloseFn close) {
  owner_ = std::move(owner);
  close_ = std::move(close);
  OnActivity();
  if (timeout_.count() > 0) ArmIdle(last_activity_ + timeout_);
}

void ClientWatchdog::Stop() {
  stopped_ = true;
  idle_timer_.cancel();
  soft_timer_.cancel();
  owner_.reset();
}

void ClientWatchdog::ArmIdle(Clock::time_point at) {
  idle_timer_.expires_at(at);
  // One wake-up per `timeout` per client at most: the deadline moves lazily, on expiry.
  idle_timer_.async_wait([this, keep = owner_](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    auto now = Clock::now();
    if (busy_) return ArmIdle(now + timeout_);
    if (now - last_activity_ >= timeout_) return close_("idle");
    ArmIdle(last_activity_ + timeout_);
  });
}

void ClientWatchdog::OnPending(size_t pending) {
  const config::OutputBufferLimit limit = Limit();
  if (limit.soft_bytes == 0 || limit.soft_seconds == 0 || stopped_) return;
  if (pending < limit.soft_bytes) {
    if (soft_since_) {
      soft_since_.reset();
      soft_timer_.cancel();
    }
    return;
  }
  if (soft_since_) return;  // already counting
  soft_since_ = Clock::now();
  ArmSoft();
}

void ClientWatchdog::ArmSoft() {
  const config::OutputBufferLimit limit = Limit();
  soft_timer_.expires_at(*soft_since_ + std::chrono::seconds(limit.soft_seconds));
  soft_timer_.async_wait([this, keep = owner_](const boost::system::error_code& ec) {
    if (ec || stopped_ || !soft_since_) return;
    const config::OutputBufferLimit now_limit = Limit();  // CONFIG SET may have changed it
    if (now_limit.soft_bytes == 0 || now_limit.soft_seconds == 0) return;
    // Not yet over for long enough (a late handler of an older wait, or a longer limit set
    // since): wait again until the current deadline.
    if (Clock::now() - *soft_since_ < std::chrono::seconds(now_limit.soft_seconds)) {
      return ArmSoft();
    }
    close_("output-buffer");
  });
}

}  // namespace petacore::server
