#include "replication/etcd_errors.h"

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
  if (message.empty()) error += absl::StatusCodeToString(status.code());
  return error;
}

}  // namespace petacore::replication
