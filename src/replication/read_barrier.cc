#include "replication/read_barrier.h"

#include <string_view>
#include <utility>

namespace petacore::replication {

void ReadBarrier::Await(Done done) {
  std::unique_lock lock(mu_);
  next_.push_back(std::move(done));
  if (in_flight_ < max_in_flight_) StartFetch(lock);
}

void ReadBarrier::StartFetch(std::unique_lock<std::mutex>& lock) {
  // Precondition: locked, a free slot, next_ not empty. Every reader in next_ registered
  // before this fetch is numbered, and its request is sent after (below, unlocked).
  ++in_flight_;
  uint64_t seq = ++started_;
  groups_.push_back(Group{seq, {}});
  groups_.back().readers.swap(next_);
  lock.unlock();
  fetch_([this, seq](Result result) { OnFetched(seq, std::move(result)); });
}

void ReadBarrier::OnFetched(uint64_t seq, Result result) {
  std::vector<Done> answered;
  std::unique_lock lock(mu_);
  --in_flight_;
  if (result.ok()) {
    // Every fetch numbered <= seq: its readers registered before `seq` was sent.
    while (!groups_.empty() && groups_.front().seq <= seq) {
      auto& readers = groups_.front().readers;
      if (answered.empty()) {
        answered.swap(readers);
      } else {
        for (auto& d : readers) answered.push_back(std::move(d));
      }
      groups_.pop_front();
    }
  } else {
    for (auto it = groups_.begin(); it != groups_.end(); ++it) {
      if (it->seq == seq) {
        answered.swap(it->readers);
        groups_.erase(it);
        break;
      }
    }
  }
  readers_ += static_cast<int64_t>(answered.size());
  if (!next_.empty() && in_flight_ < max_in_flight_) {
    StartFetch(lock);  // unlocks
  } else {
    lock.unlock();
  }
  for (auto& done : answered) done(result);
}

int64_t ReadBarrier::fetches() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(started_);
}

int64_t ReadBarrier::readers() const {
  std::lock_guard lock(mu_);
  return readers_;
}

int64_t ReadBarrier::waiting() const {
  std::lock_guard lock(mu_);
  size_t n = next_.size();
  for (const auto& g : groups_) n += g.readers.size();
  return static_cast<int64_t>(n);
}

int ReadBarrier::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

std::string ReadBarrier::InfoLines() const {
  auto line = [](std::string_view k, int64_t v) {
    return std::string(k) + ":" + std::to_string(v) + "\r\n";
  };
  return line("read_barrier_fetches", fetches()) + line("read_barrier_readers", readers()) +
         line("read_barrier_waiting", waiting()) + line("read_barrier_in_flight", in_flight()) +
         line("read_barrier_max_in_flight", max_in_flight_) +
         line("read_barrier_shared_reads", shared_reads());
}

ReadBarrier::Fetch EtcdRevisionFetch(etcdlink::Client& client, std::string key) {
  etcdlink::TxnRequest request;
  etcdlink::Op range = etcdlink::Op::Get(std::move(key));
  range.limit = 1;
  request.success.push_back(std::move(range));
  return [&client, request = std::move(request)](ReadBarrier::Done done) {
    client.TxnAsync(request, [done = std::move(done)](absl::StatusOr<etcdlink::TxnResponse> r) {
      if (!r.ok()) return done(r.status());
      done(r->revision);
    });
  };
}

}  // namespace petacore::replication
