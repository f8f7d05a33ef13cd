// The protected-mode decision (the machine's tests can reach the server only over loopback,
// so the refusal itself is also tested end to end in tests/integration/test_auth.py when the
// host has a non-loopback address).
#include "auth/protected_mode.h"

#include <gtest/gtest.h>

namespace petacore::auth {
namespace {

using boost::asio::ip::make_address;

TEST(ProtectedModeTest, Loopback) {
  EXPECT_TRUE(IsLoopback(make_address("127.0.0.1")));
  EXPECT_TRUE(IsLoopback(make_address("127.200.3.4")));
  EXPECT_TRUE(IsLoopback(make_address("::1")));
  EXPECT_TRUE(IsLoopback(make_address("::ffff:127.0.0.1")));
  EXPECT_FALSE(IsLoopback(make_address("192.0.2.2")));
  EXPECT_FALSE(IsLoopback(make_address("128.0.0.1")));
  EXPECT_FALSE(IsLoopback(make_address("::ffff:10.0.0.1")));
  EXPECT_FALSE(IsLoopback(make_address("fd00::2")));
  EXPECT_FALSE(IsLoopback(make_address("0.0.0.0")));
}

TEST(ProtectedModeTest, RefusesOnlyRemoteClientsWithoutPassword) {
  auto remote = make_address("192.0.2.2");
  auto local = make_address("127.0.0.1");
  EXPECT_TRUE(ProtectedModeRefuses(true, true, remote));
  EXPECT_FALSE(ProtectedModeRefuses(true, true, local));
  EXPECT_FALSE(ProtectedModeRefuses(true, false, remote));  // a password is set
  EXPECT_FALSE(ProtectedModeRefuses(false, true, remote));  // --protected-mode no
  EXPECT_TRUE(ProtectedModeDenial().starts_with("-DENIED Redis is running in protected mode"));
  EXPECT_TRUE(ProtectedModeDenial().ends_with("from the outside.\r\n"));
}

}  // namespace
}  // namespace petacore::auth
