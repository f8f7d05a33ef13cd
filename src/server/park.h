// src/server/park.h — parking: a blocking command (BLPOP, BZPOPMIN, ...) that found nothing
// waits in the BlockingRegistry, without a reply, until a key it names changes, its timeout
// passes or its client hangs up.
#pragma once

#include <cstdint>
#include <memory>

#include "commands/context.h"

namespace petacore::server {

struct Job;

/// A blocking job's wait: what the handler asked for and where it is registered. Part of its
/// Job; touched on the connection's thread only.
struct ParkSlot {
  commands::BlockRequest block;  ///< filled by the handler when it wants to wait
  uint64_t token = 0;            ///< BlockingRegistry token while the job is kParked
  bool timer_armed = false;      ///< the timeout runs from the first park, not each re-park
};

/// Parks `job` (state kParked): registers it for job->park.block.keys, arms the timeout once
/// (a null array reply at expiry, as Redis), sets Session::blocked and Session::wake_blocked
/// (CLIENT UNBLOCK: the timeout reply, or the UNBLOCKED error, at once) and
/// Session::abandon_blocked so a client
/// that hangs up ends the job without a reply. A key changing wakes it to run again
/// (kRunning); a change applied after `read_revision` (the snapshot the handler read) but
/// before the registration wakes it at once. Parking restarts the job's conflict count
/// (Job::attempts): max-commit-retries bounds one burst of conflicts, not a whole wait.
/// Callbacks hold the Job by shared_ptr and reach the connection only through its executor.
void Park(const std::shared_ptr<Job>& job, int64_t read_revision);

/// Removes a parked job from the registry and clears Session::abandon_blocked, wake_blocked
/// and blocked (from Finish).
/// No-op for a job that never parked.
void LeaveParking(Job& job);

}  // namespace petacore::server
