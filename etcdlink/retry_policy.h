// etcdlink/retry_policy.h — which failed etcd calls Client sends again, and for how long.
//
// A write (Txn, Put, DeleteRange) is sent again only when etcd refused it before it entered
// Raft, so it cannot have been applied and cannot be applied twice: those errors are listed
// in etcd's rpctypes (facts §3.12). Every other failure of a write (timeouts, "leader
// changed", a connection lost after the request was sent, client deadline) is ambiguous and
// goes back to the caller untouched. A read (Range) changes nothing and is retried on any
// UNAVAILABLE, as clientv3 retries its "repeatable" calls.
#pragma once

#include <chrono>

#include "absl/status/status.h"

namespace petacore::etcdlink {

/// Whether `status` proves that etcd did not apply the request (refused before Raft):
/// UNAVAILABLE "etcdserver: no leader" (the hasleader check), "etcdserver: not capable",
/// "etcdserver: rpc not supported for learner", RESOURCE_EXHAUSTED "etcdserver: too many
/// requests". Such a write may be sent again (to the next member in round-robin order).
bool NotApplied(const absl::Status& status);

/// Whether a read (Range) that failed with `status` may be sent again: any UNAVAILABLE (a
/// member that died, lost its leader, or timed out; the next attempt goes to another member).
bool RetryableRead(const absl::Status& status);

/// How long writes refused with NotApplied errors are retried in all, from the first attempt
/// (further capped by the client's call_timeout). Long enough to ride out one etcd leader
/// election (election timeout 1 s by default), short enough that a cluster without quorum
/// answers writes with "etcdserver: no leader" in about a second.
inline constexpr std::chrono::milliseconds kWriteRetryBudget{1500};

/// Pause before retry number `attempt` (1-based): 25 ms doubling to 200 ms.
std::chrono::milliseconds RetryBackoff(int attempt);

}  // namespace petacore::etcdlink
