#include "server/park.h"

#include <chrono>

#include "server/job.h"

namespace petacore::server {
namespace {

// Runs the job again if it is still parked (a wake-up or a change seen late).
void Wake(const std::shared_ptr<Job>& job) {
  if (job->state != Job::State::kParked) return;
  job->server->blocking.Remove(job->park.token);
  job->Attempt();
}

// Answers a parked job now with its timeout reply (a null array, as Redis for BLPOP, BZPOPMIN
// ...) or CLIENT UNBLOCK's error; nothing if it is no longer parked.
void AnswerParked(const std::shared_ptr<Job>& job, bool unblock_error) {
  if (job->state != Job::State::kParked) return;
  job->reply.clear();
  resp::ReplyWriter writer(&job->reply, job->session->protocol);
  if (unblock_error) {
    writer.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
  } else if (!job->park.block.timeout_reply.empty()) {
    job->reply = job->park.block.timeout_reply;  // WAIT's count
  } else {
    writer.NullArray();
  }
  job->Finish();  // leaves the registry
}

}  // namespace

void Park(const std::shared_ptr<Job>& job, int64_t read_revision) {
  ParkSlot& slot = job->park;
  if (!slot.timer_armed && slot.block.timeout_ms > 0) {
    slot.timer_armed = true;
    job->executor->PostAfter(std::chrono::milliseconds(slot.block.timeout_ms),
                             [job] { AnswerParked(job, /*unblock_error=*/false); });
  }
  job->state = Job::State::kParked;
  // Conflicts are counted per run of retries: a job that lost a race (another waiter took the
  // element) and parks again starts afresh, so a long wait never ends in "too many concurrent
  // changes" (max-commit-retries bounds a burst of conflicts, not a wait).
  job->attempts = 0;
  job->session->blocked.store(true, std::memory_order_relaxed);
  job->session->wake_blocked = [weak = std::weak_ptr<Job>(job)](bool error) {
    if (auto parked = weak.lock()) AnswerParked(parked, error);
  };
  job->session->abandon_blocked = [weak = std::weak_ptr<Job>(job)] {
    auto parked = weak.lock();
    if (!parked || parked->state != Job::State::kParked) return;
    parked->reply.clear();  // the client is gone: nothing to say
    parked->Finish();       // leaves the registry and resumes the connection
  };
  slot.token = job->server->blocking.Add(slot.block.keys,
                                         [job] { job->executor->Post([job] { Wake(job); }); });
  // A change applied after our snapshot but before registering would be missed: look again.
  if (job->server->store.applied_revision() > read_revision) {
    job->executor->Post([job] { Wake(job); });
  }
}

void LeaveParking(Job& job) {
  if (job.kind != Job::Kind::kBlocking) return;
  if (job.state == Job::State::kParked) job.server->blocking.Remove(job.park.token);
  job.session->abandon_blocked = nullptr;
  job.session->wake_blocked = nullptr;
  job.session->blocked.store(false, std::memory_order_relaxed);
}

}  // namespace petacore::server
