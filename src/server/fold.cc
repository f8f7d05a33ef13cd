#include "server/fold.h"

#include <algorithm>

#include "server/job.h"

namespace petacore::server {

bool FoldQueues::LeadOrWait(const std::string& key, const std::shared_ptr<Job>& job,
                            std::function<void()>& resume) {
  std::lock_guard lock(mu_);
  auto [it, fresh] = waiting_.try_emplace(key);
  if (!fresh) {  // a write on this key is in flight: wait to run with the next group
    job->state = Job::State::kFoldWaiting;
    job->resume = std::move(resume);
    it->second.push_back(job);
    return false;
  }
  job->folds = this;
  job->fold_key = key;
  return true;
}

void FoldQueues::Next(const std::string& key) {
  std::shared_ptr<Job> leader;
  {
    std::lock_guard lock(mu_);
    auto it = waiting_.find(key);
    if (it == waiting_.end()) return;
    auto& waiting = it->second;
    if (waiting.empty()) {
      waiting_.erase(it);  // nobody queued: the key is free
      return;
    }
    size_t n = std::min(waiting.size(), kMaxGroup);
    leader = waiting.front();
    leader->folds = this;
    leader->fold_key = key;
    leader->followers.assign(waiting.begin() + 1, waiting.begin() + n);
    waiting.erase(waiting.begin(), waiting.begin() + n);
  }
  leader->executor->Post([leader] {
    leader->state = Job::State::kNew;
    leader->Start();
  });
}

}  // namespace petacore::server
