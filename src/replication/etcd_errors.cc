#include "replication/etcd_errors.h"

#include "etcdlink/retry_policy.h"

namespace petacore::replication {

std::string CommitErrorReply(const absl::Status& status) {
  const std::string message(status.message());  // absl::string_view here is not std's
  if (message.find(kEtcdNoSpace) != std::string::npos) {
    return "OOM etcd refused the write: its NOSPACE alarm is raised (" +
           std::string(kEtcdNoSpace) +
           "); writes fail until the etcd cluster is compacted, defragmented and the alarm "
           "disarmed";
  }
  std::string error = "ERR etcd: " + message;
  // The two limits a single command can reach (a script or a MULTI/EXEC writing thousands of
  // keys, a huge value): name the settings, on both sides, that bound it.
  if (message.find(kEtcdTooManyOps) != std::string::npos) {
    return error + " (the command's one etcd Txn has more operations than the etcd cluster's "
                   "--max-txn-ops allows; nothing of it was applied. Raise etcd's "
                   "--max-txn-ops and PetaCore's etcd-max-txn-ops, or split the work)";
  }
  if (message.find(kEtcdTooLarge) != std::string::npos ||
      message.find(kGrpcTooLarge) != std::string::npos) {
    return error + " (the command's one etcd Txn is larger than the etcd cluster's "
                   "--max-request-bytes allows; nothing of it was applied. Raise etcd's "
                   "--max-request-bytes and PetaCore's etcd-max-request-bytes, or split the "
                   "work)";
  }
  if (message.empty()) error += absl::StatusCodeToString(status.code());
  // Anything etcd did not refuse before Raft (a timeout, a lost connection, a silent member)
  // leaves the write in doubt: say so, distinct from a write that surely failed.
  const bool refused = etcdlink::NotApplied(status) || RefusedForShape(status) ||
                       status.code() == absl::StatusCode::kInvalidArgument ||
                       status.code() == absl::StatusCode::kPermissionDenied ||
                       status.code() == absl::StatusCode::kFailedPrecondition;
  if (!refused && message.find(kInDoubt) == std::string::npos) {
    error += " (the write " + std::string(kInDoubt) + ")";
  }
  return error;
}

std::string StagingFailedReply(const std::string& staging_error) {
  std::string cause = staging_error;
  for (std::string_view prefix : {"ERR etcd: ", "ERR "}) {
    if (cause.starts_with(prefix)) {
      cause.erase(0, prefix.size());
      break;
    }
  }
  // Cut the in-doubt wording (CommitErrorReply's suffix, or etcdlink's "...; the request was
  // sent to it and may or may not have been applied") with what introduces it.
  if (const size_t doubt = cause.find(kInDoubt);
      doubt != std::string::npos) {
    const size_t cut = cause.find_last_of(";(", doubt);
    cause.erase(cut == std::string::npos ? doubt : cut);
    while (!cause.empty() && cause.back() == ' ') cause.pop_back();
  }
  return "ERR etcd: a commit staging this command's large value or collection failed (" +
         cause + "); the command's own commit was never sent, so nothing was applied: retry";
}

}  // namespace petacore::replication

namespace petacore::replication {

bool RefusedForShape(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ||
         (status.code() == absl::StatusCode::kResourceExhausted &&
          std::string(status.message()).find(kGrpcTooLarge) != std::string::npos);
}

bool FailedCheck(const absl::Status& status) {
  return status.code() == absl::StatusCode::kOutOfRange &&
         std::string(status.message()).find(kEtcdFutureRevision) != std::string::npos;
}

bool FailedGuardCheck(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         std::string(status.message()).find(kEtcdKeyNotFound) != std::string::npos;
}

}  // namespace petacore::replication
