// The error replies of commits etcd refused or left in doubt (replication/etcd_errors.h).
#include "replication/etcd_errors.h"

#include <gtest/gtest.h>

#include <string>

namespace petacore::replication {
namespace {

TEST(EtcdErrorsTest, TimeoutIsInDoubtAndAStagingTimeoutIsNot) {
  const std::string timeout = CommitErrorReply(absl::DeadlineExceededError("Deadline Exceeded"));
  EXPECT_EQ(timeout, "ERR etcd: Deadline Exceeded (the write may or may not have been applied)");
  // A staging commit in doubt wrote keys nothing references; the switch was never sent.
  const std::string staged = StagingFailedReply(timeout);
  EXPECT_EQ(staged,
            "ERR etcd: a commit staging this command's large value or collection failed "
            "(Deadline Exceeded); the command's own commit was never sent, so nothing was "
            "applied: retry");
  EXPECT_EQ(staged.find("may or may not"), std::string::npos);
}

TEST(EtcdErrorsTest, StagingReplyDropsEtcdlinksInDoubtClause) {
  const std::string silent = CommitErrorReply(absl::UnavailableError(
      "etcd member 127.0.0.1:2379 stopped answering (no reply to health probes for 1000 ms); "
      "the request was sent to it and may or may not have been applied"));
  const std::string staged = StagingFailedReply(silent);
  EXPECT_NE(staged.find("(etcd member 127.0.0.1:2379 stopped answering (no reply to health "
                        "probes for 1000 ms)); the command's own commit was never sent"),
            std::string::npos)
      << staged;
  EXPECT_EQ(staged.find("may or may not"), std::string::npos) << staged;
}

TEST(EtcdErrorsTest, StagingRefusalKeepsItsCause) {
  const std::string staged = StagingFailedReply("ERR chunk write failed");
  EXPECT_EQ(staged.rfind("ERR etcd: a commit staging", 0), 0u);
  EXPECT_NE(staged.find("(chunk write failed)"), std::string::npos) << staged;
}

}  // namespace
}  // namespace petacore::replication
