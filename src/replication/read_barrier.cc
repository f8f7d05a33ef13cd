#include "replication/read_barrier.h"

#include <utility>

namespace petacore::replication {

void ReadBarrier::Await(Done done) {
  std::unique_lock lock(mu_);
  next_.push_back(std::move(done));
  if (!in_flight_) StartFetch(lock);
}

void ReadBarrier::StartFetch(std::unique_lock<std::mutex>& lock) {
  // Precondition: locked, nothing in flight, next_ not empty. The readers in next_ all
  // arrived before this fetch is sent, so its reply is recent enough for each of them.
  in_flight_ = true;
  current_.swap(next_);
  ++fetches_;
  lock.unlock();
  fetch_([this](Result result) { OnFetched(std::move(result)); });
}

void ReadBarrier::OnFetched(Result result) {
  std::vector<Done> answered;
  std::unique_lock lock(mu_);
  answered.swap(current_);
  readers_ += static_cast<int64_t>(answered.size());
  in_flight_ = false;
  if (!next_.empty()) {
    StartFetch(lock);  // unlocks
  } else {
    lock.unlock();
  }
  for (auto& done : answered) done(result);
}

int64_t ReadBarrier::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

int64_t ReadBarrier::readers() const {
  std::lock_guard lock(mu_);
  return readers_;
}

int64_t ReadBarrier::waiting() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(current_.size() + next_.size());
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
