// Which etcd errors etcdlink sends again (etcdlink/retry_policy.h); the messages are etcd
// 3.4's rpctypes texts.
#include "etcdlink/retry_policy.h"

#include <gtest/gtest.h>

namespace petacore::etcdlink {
namespace {

TEST(RetryPolicy, WritesOnlyOnPreRaftRefusals) {
  EXPECT_TRUE(NotApplied(absl::UnavailableError("etcdserver: no leader")));
  EXPECT_TRUE(NotApplied(absl::UnavailableError("etcdserver: not capable")));
  EXPECT_TRUE(NotApplied(absl::UnavailableError("etcdserver: rpc not supported for learner")));
  EXPECT_TRUE(NotApplied(absl::ResourceExhaustedError("etcdserver: too many requests")));
  // Ambiguous: the Txn may have been committed.
  EXPECT_FALSE(NotApplied(absl::UnavailableError("etcdserver: leader changed")));
  EXPECT_FALSE(NotApplied(absl::UnavailableError("etcdserver: request timed out")));
  EXPECT_FALSE(NotApplied(absl::UnavailableError("Socket closed")));
  EXPECT_FALSE(NotApplied(absl::DeadlineExceededError("Deadline Exceeded")));
  EXPECT_FALSE(NotApplied(absl::UnknownError("context deadline exceeded")));
  // Refused for good: sending again changes nothing.
  EXPECT_FALSE(
      NotApplied(absl::ResourceExhaustedError("etcdserver: mvcc: database space exceeded")));
  EXPECT_FALSE(NotApplied(absl::OkStatus()));
}

TEST(RetryPolicy, ReadsOnAnyUnavailable) {
  EXPECT_TRUE(RetryableRead(absl::UnavailableError("etcdserver: leader changed")));
  EXPECT_TRUE(RetryableRead(absl::UnavailableError("Socket closed")));
  EXPECT_FALSE(RetryableRead(
      absl::OutOfRangeError("etcdserver: mvcc: required revision has been compacted")));
  EXPECT_FALSE(RetryableRead(absl::DeadlineExceededError("Deadline Exceeded")));
}

TEST(RetryPolicy, BackoffDoublesToACap) {
  EXPECT_EQ(RetryBackoff(1).count(), 25);
  EXPECT_EQ(RetryBackoff(2).count(), 50);
  EXPECT_EQ(RetryBackoff(3).count(), 100);
  EXPECT_EQ(RetryBackoff(4).count(), 200);
  EXPECT_EQ(RetryBackoff(40).count(), 200);
}

}  // namespace
}  // namespace petacore::etcdlink
