// limits_test.cc — Redis's limit values (memory units, client-output-buffer-limit) and
// maxmemory's noeviction refusals, in-process through the real Driver.
#include <gtest/gtest.h>

#include <string>

#include "config/client_limits.h"
#include "server/memory_limit.h"
#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

using config::OutputBufferLimit;
using config::ParseMemorySize;
using config::ParseOutputBufferLimits;

TEST(ParseMemorySizeTest, RedisUnits) {
  EXPECT_EQ(ParseMemorySize("0"), 0u);
  EXPECT_EQ(ParseMemorySize("123"), 123u);
  EXPECT_EQ(ParseMemorySize("1k"), 1000u);
  EXPECT_EQ(ParseMemorySize("1kb"), 1024u);
  EXPECT_EQ(ParseMemorySize("2m"), 2000000u);
  EXPECT_EQ(ParseMemorySize("2MB"), 2u << 20);
  EXPECT_EQ(ParseMemorySize("1g"), 1000000000u);
  EXPECT_EQ(ParseMemorySize("1Gb"), 1u << 30);
  EXPECT_EQ(ParseMemorySize("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(ParseMemorySize("18446744073709551616"));
  EXPECT_FALSE(ParseMemorySize("17179869184gb"));  // overflows 64 bits
  EXPECT_FALSE(ParseMemorySize(""));
  EXPECT_FALSE(ParseMemorySize("-1"));
  EXPECT_FALSE(ParseMemorySize("mb"));
  EXPECT_FALSE(ParseMemorySize("1tb"));
  EXPECT_FALSE(ParseMemorySize("1 mb"));
}

TEST(ParseOutputBufferLimitTest, ClassesAndErrors) {
  std::string error;
  config::OutputBufferLimit n, p{32u << 20, 8u << 20, 60};
  ASSERT_TRUE(ParseOutputBufferLimits("normal 1gb 64mb 60", &n, &p, &error)) << error;
  EXPECT_EQ(n.hard_bytes, 1u << 30);
  EXPECT_EQ(n.soft_bytes, 64u << 20);
  EXPECT_EQ(n.soft_seconds, 60);
  EXPECT_EQ(p.hard_bytes, 32u << 20);  // a class not named keeps its limits
  ASSERT_TRUE(ParseOutputBufferLimits("0 0 0", &n, &p, &error)) << error;  // class left out
  EXPECT_EQ(n.hard_bytes, 0u);
  // redis.conf style: several classes on one line; "replica" is accepted and ignored.
  ASSERT_TRUE(ParseOutputBufferLimits("replica 256mb 64mb 60 normal 10mb 5mb 7 pubsub 1mb 0 0",
                                      &n, &p, &error))
      << error;
  EXPECT_EQ(n.hard_bytes, 10u << 20);
  EXPECT_EQ(n.soft_seconds, 7);
  EXPECT_EQ(p.hard_bytes, 1u << 20);
  EXPECT_EQ(config::FormatOutputBufferLimits(n, p),
            "normal 10485760 5242880 7 pubsub 1048576 0 0");
  ASSERT_TRUE(ParseOutputBufferLimits("pubsub 2mb 1mb 1", &n, &p, &error)) << error;
  EXPECT_EQ(n.hard_bytes, 10u << 20);
  EXPECT_EQ(p.hard_bytes, 2u << 20);
  const auto before = p;
  EXPECT_FALSE(ParseOutputBufferLimits("normal 1mb 1mb", &n, &p, &error));
  EXPECT_FALSE(ParseOutputBufferLimits("master 1mb 1mb 1", &n, &p, &error));
  EXPECT_NE(error.find("invalid client class"), std::string::npos);
  EXPECT_FALSE(ParseOutputBufferLimits("normal 1mbs 1mb 1", &n, &p, &error));
  // A bad group leaves every class as it was, even one named before it.
  EXPECT_FALSE(ParseOutputBufferLimits("pubsub 5mb 0 0 normal 1mb 1mb 1s", &n, &p, &error));
  EXPECT_EQ(p.hard_bytes, before.hard_bytes);
}

class MaxmemoryTest : public CommandTest {
 protected:
  const std::string kOom = Err(server::kOomError);
};

TEST_F(MaxmemoryTest, NoLimitByDefault) {
  EXPECT_EQ(server_.state().config.maxmemory, 0u);
  EXPECT_EQ(Run({"set", "k", std::string(10000, 'x')}), kOK);
}

TEST_F(MaxmemoryTest, DenyoomRefusedReadsAndDeletesServed) {
  EXPECT_EQ(Run({"set", "k", "v"}), kOK);
  server_.state().config.maxmemory = 1;  // the store holds more than a byte already
  EXPECT_GT(server::UsedMemory(server_.state()), 1u);
  EXPECT_EQ(Run({"set", "k2", "v"}), kOom);
  EXPECT_EQ(Run({"rpush", "l", "a"}), kOom);
  EXPECT_EQ(Run({"incr", "n"}), kOom);
  EXPECT_EQ(Run({"get", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"del", "k"}), Int(1));
  EXPECT_EQ(Run({"ping"}), Simple("PONG"));
  server_.state().config.maxmemory = 1 << 30;
  EXPECT_EQ(Run({"set", "k2", "v"}), kOK);
}

TEST_F(MaxmemoryTest, InsideMultiTheTransactionIsFlagged) {
  server_.state().config.maxmemory = 1;
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"get", "k"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"set", "k", "v"}), kOom);
  EXPECT_EQ(Run({"exec"}), Err("EXECABORT Transaction discarded because of previous errors."));
}

TEST_F(MaxmemoryTest, ExecWithQueuedDenyoomIsAbortedWhenOver) {
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "v"}), Simple("QUEUED"));
  server_.state().config.maxmemory = 1;
  EXPECT_EQ(Run({"exec"}),
            Err("EXECABORT Transaction discarded because of: " + std::string(server::kOomError)));
  EXPECT_FALSE(client_.session().in_multi);
  EXPECT_EQ(Run({"get", "k"}), kNil);
  // A read-only transaction still runs.
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"get", "k"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({kNil}));
}

}  // namespace
}  // namespace petacore::testing
