// members_test.cc — per-member channels and silence detection (etcdlink/members.h): a member
// that answers nothing is found silent and gets no new requests.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "etcdlink/client.h"
#include "etcdlink/retry_policy.h"
#include "tests/etcdlink/etcd_env.h"

namespace petacore::etcdlink {
namespace {

using testing::Etcd;
using testing::TestPrefix;

/// A loopback port that accepts TCP connections and never answers: a frozen member (the
/// kernel completes handshakes into the listen backlog; nothing reads them).
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 64);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

bool WaitFor(const std::function<bool()>& cond, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

TEST(MembersTest, SilentMemberGetsNoNewRequests) {
  SilentListener silent;
  ClientOptions options;
  options.endpoints = {silent.endpoint(), Etcd().endpoint()};
  // A request that went to the silent member would wait a minute: far past the test's
  // bounded waits, so a request routed there shows as a failure, not as a slow pass.
  options.call_timeout = std::chrono::milliseconds(60000);
  options.member_timeout = std::chrono::milliseconds(500);
  Client client(options);
  ASSERT_TRUE(WaitFor([&] { return client.member_silences() == 1; }, std::chrono::seconds(30)))
      << client.DescribeMembers();
  EXPECT_EQ(client.DescribeMembers(), silent.endpoint() + "=silent," + Etcd().endpoint() + "=up");
  const std::string p = TestPrefix();
  for (int i = 0; i < 20; ++i) {  // round robin would send every other one to the silent member
    auto put = client.Put(p + std::to_string(i), "v");
    ASSERT_TRUE(put.ok()) << put.status();
    auto got = client.Range(p + std::to_string(i), "");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->kvs.size(), 1u);
  }
}

TEST(MembersTest, CallInFlightOnAMemberThatGoesSilentEndsInDoubt) {
  SilentListener silent;
  ClientOptions options;
  options.endpoints = {silent.endpoint()};  // the only member: Pick() falls back to it
  options.call_timeout = std::chrono::milliseconds(60000);
  options.member_timeout = std::chrono::milliseconds(500);
  Client client(options);
  auto put = client.Put(TestPrefix() + "k", "v");  // sent before the member is found silent
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable) << put.status();
  EXPECT_NE(put.status().message().find("may or may not have been applied"), std::string::npos)
      << put.status();
  EXPECT_FALSE(NotApplied(put.status()));  // a write in doubt is never sent again
}

TEST(MembersTest, ProbesOffKeepEveryMemberUp) {
  SilentListener silent;
  ClientOptions options;
  options.endpoints = {silent.endpoint(), Etcd().endpoint()};
  options.member_timeout = std::chrono::milliseconds(0);
  Client client(options);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(client.member_silences(), 0);
  EXPECT_EQ(client.DescribeMembers(), silent.endpoint() + "=up," + Etcd().endpoint() + "=up");
}

}  // namespace
}  // namespace petacore::etcdlink
