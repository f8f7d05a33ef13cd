// src/replication/etcd_errors.h — the error reply a client gets when etcd refuses a commit.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace petacore::replication {

/// etcd v3's error text when its NOSPACE alarm is raised (the backend passed
/// --quota-backend-bytes): every request that would store more is refused until an operator
/// compacts, defragments and disarms the alarm (`etcdctl alarm disarm`).
inline constexpr std::string_view kEtcdNoSpace = "etcdserver: mvcc: database space exceeded";

/// etcd v3's error texts for a Txn over --max-txn-ops operations in one list, and over
/// --max-request-bytes: the commit is refused whole.
inline constexpr std::string_view kEtcdTooManyOps = "etcdserver: too many operations in txn request";
inline constexpr std::string_view kEtcdTooLarge = "etcdserver: request is too large";
/// grpc-go's refusal (RESOURCE_EXHAUSTED) of a request above etcd's receive limit
/// (--max-request-bytes + 512 KiB), before etcd sees it: nothing of it was applied.
inline constexpr std::string_view kGrpcTooLarge = "grpc: received message larger than max";

/// The words every in-doubt error carries (CommitErrorReply's suffix, etcdlink's silent-member
/// error): the write may or may not have been applied (docs/consistency.md "In doubt").
inline constexpr std::string_view kInDoubt = "may or may not have been applied";

/// The Redis error reply (without '-' and CRLF) for a commit etcd answered with `status`.
/// NOSPACE becomes an "OOM ..." error — Redis's class for "writes refused for lack of space,
/// reads go on", which is what happens: reads are served by the local replica — naming the
/// etcd alarm and what clears it; the Txn-size limits get etcd's message and the settings
/// that bound it; anything else is "ERR etcd: <etcd's message>".
std::string CommitErrorReply(const absl::Status& status);

/// The error reply of a command whose staging (the chunks of a big value, the elements of a
/// new incarnation: keyspace/chunked_value.h) failed with `staging_error` (a reply as
/// CommitErrorReply gives): the command's own commit was never sent, so whatever the failed
/// staging commit did, nothing the command meant is applied — the reply says so and drops the
/// staging commit's "may or may not have been applied", which is about invisible keys only.
std::string StagingFailedReply(const std::string& staging_error);

/// Whether etcd (or its gRPC server) refused a request before Raft for its shape or size, so
/// that none of it was applied: INVALID_ARGUMENT (too many ops, too large, duplicate key) or
/// kGrpcTooLarge. EtcdCommitter then re-sends a refused batch's requests alone.
bool RefusedForShape(const absl::Status& status);

/// etcd's refusal of a Range at a revision it has not reached (OUT_OF_RANGE): what a failed
/// compare of a CheckTree (etcd_txn_fanout.h) makes etcd answer for the whole Txn.
inline constexpr std::string_view kEtcdFutureRevision =
    "mvcc: required revision is a future revision";

/// Whether `status` is that refusal: the Txn was not applied because a check failed.
bool FailedCheck(const absl::Status& status);

/// etcd's refusal of a Put with ignore_value of an absent key (INVALID_ARGUMENT): what a failed
/// guard of a guards' CheckTree makes etcd answer for the whole Txn.
inline constexpr std::string_view kEtcdKeyNotFound = "etcdserver: key not found";

/// Whether `status` is that refusal: the Txn was not applied because a WATCHed key changed.
bool FailedGuardCheck(const absl::Status& status);

}  // namespace petacore::replication
