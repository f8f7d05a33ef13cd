#include "etcdlink/retry_policy.h"

#include <algorithm>
#include <string_view>

namespace petacore::etcdlink {

bool NotApplied(const absl::Status& status) {
  const auto msg = status.message();  // absl::string_view
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return msg == "etcdserver: no leader" || msg == "etcdserver: not capable" ||
             msg == "etcdserver: rpc not supported for learner";
    case absl::StatusCode::kResourceExhausted:
      return msg == "etcdserver: too many requests";
    default:
      return false;
  }
}

bool RetryableRead(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable;
}

std::chrono::milliseconds RetryBackoff(int attempt) {
  return std::chrono::milliseconds(std::min(200, 25 << std::min(std::max(attempt - 1, 0), 4)));
}

}  // namespace petacore::etcdlink
