#include "server/replica_lag.h"

#include <chrono>

namespace petacore::server {

ReplicaLag::ReplicaLag(const etcdlink::Client& client, const mvcc::Store& store,
                       const config::Live<int64_t>& max_lag_ms, std::function<void()> restart_watch)
    : client_(client),
      store_(store),
      max_lag_ms_(max_lag_ms),
      restart_watch_(std::move(restart_watch)),
      task_([] { return kTickMs; }, [this] { Tick(expiry::SteadyMs()); }) {}

ReplicaLag::~ReplicaLag() { task_.Stop(); }

void ReplicaLag::Start() {
  if (!client_.probing()) return;
  task_.Start();
}

void ReplicaLag::Tick(int64_t now_ms) {
  const int64_t known = client_.known_revision();
  const int64_t applied = store_.applied_revision();
  if (known > last_known_) {
    // At most one entry per tick; past kMaxPending (a watch stalled for many minutes) the
    // newest entry absorbs the new revision instead: its time is older than the truth, so the
    // lag is over-reported until it drains, never under-reported.
    if (pending_.size() < kMaxPending) {
      pending_.emplace_back(known, now_ms);
    } else {
      pending_.back().first = known;
    }
    last_known_ = known;
  }
  while (!pending_.empty() && pending_.front().first <= applied) pending_.pop_front();
  const int64_t lag = pending_.empty() ? 0 : now_ms - pending_.front().second;
  const int64_t contact = now_ms - client_.last_contact_ms();
  lag_ms_.store(lag, std::memory_order_relaxed);
  lag_revisions_.store(known > applied ? known - applied : 0, std::memory_order_relaxed);
  contact_ms_.store(contact, std::memory_order_relaxed);
  const int64_t max_lag = max_lag_ms_.get();
  stale_.store(max_lag > 0 && (lag > max_lag || contact > max_lag), std::memory_order_release);
  if (lag > kWatchStallMs && now_ms - last_restart_ms_ > kWatchStallMs && restart_watch_) {
    last_restart_ms_ = now_ms;
    restart_watch_();
  }
}

std::string ReplicaLag::StaleError() const {
  const int64_t lag = lag_ms_.load(std::memory_order_relaxed);
  const int64_t contact = contact_ms_.load(std::memory_order_relaxed);
  return "MASTERDOWN this node's replica is " + std::to_string(lag > contact ? lag : contact) +
         " ms behind etcd (replica-max-lag-ms is " + std::to_string(max_lag_ms_.get()) +
         "): local reads are refused until it catches up; writes and linearizable reads "
         "still work";
}

std::string ReplicaLag::InfoLines() const {
  auto line = [](std::string_view k, int64_t v) {
    return std::string(k) + ":" + std::to_string(v) + "\r\n";
  };
  return line("replica_lag_revisions", lag_revisions_.load()) +
         line("replica_lag_ms", lag_ms_.load()) + line("etcd_last_contact_ms", contact_ms_.load()) +
         line("replica_stale", stale() ? 1 : 0) + line("replica_stale_refusals", refusals_.load());
}

}  // namespace petacore::server
