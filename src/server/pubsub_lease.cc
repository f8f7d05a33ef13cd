#include "server/pubsub_lease.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace petacore::server {

PubSubLease::PubSubLease(etcdlink::Client& client, int64_t ttl_s, std::function<void()> on_lost,
                         std::function<void()> tick)
    : client_(client), ttl_s_(ttl_s), on_lost_(std::move(on_lost)), tick_(std::move(tick)) {}

PubSubLease::~PubSubLease() { Stop(); }

bool PubSubLease::Grant() {
  auto granted = client_.LeaseGrant(ttl_s_);
  if (!granted.ok()) {
    spdlog::warn("pub/sub lease: grant failed: {}", granted.status().ToString());
    return false;
  }
  id_.store(granted->first, std::memory_order_release);
  return true;
}

void PubSubLease::Start() {
  while (!Grant()) std::this_thread::sleep_for(std::chrono::seconds(1));
  thread_ = std::thread([this] { Run(); });
}

void PubSubLease::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (int64_t id = id_.exchange(0); id != 0) (void)client_.LeaseRevoke(id);
}

void PubSubLease::Run() {
  const auto period = std::chrono::milliseconds(std::max<int64_t>(ttl_s_ * 1000 / 3, 500));
  auto last_ok = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, period, [this] { return stop_; })) return;
    }
    auto ttl = client_.LeaseKeepAliveOnce(id());
    bool lost = false;
    if (ttl.ok() && *ttl > 0) {
      last_ok = std::chrono::steady_clock::now();
    } else if (ttl.ok()) {
      lost = true;  // etcd answered: the lease is gone
    } else if (std::chrono::steady_clock::now() - last_ok > std::chrono::seconds(ttl_s_)) {
      lost = true;  // no keep-alive for a whole TTL: it has expired by now
    }
    if (lost && Grant()) {
      last_ok = std::chrono::steady_clock::now();
      spdlog::warn("pub/sub lease expired; granted a new one and disconnected this node's "
                   "subscribers (their subscriptions were deleted with the old lease)");
      on_lost_();
    }
    tick_();
  }
}

}  // namespace petacore::server
