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
using config::ParseOutputBufferLimit;

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
  auto l = ParseOutputBufferLimit("normal 1gb 64mb 60", &error);
  ASSERT_TRUE(l) << error;
  EXPECT_EQ(l->hard_bytes, 1u << 30);
  EXPECT_EQ(l->soft_bytes, 64u << 20);
  EXPECT_EQ(l->soft_seconds, 60);
  l = ParseOutputBufferLimit("0 0 0", &error);  // the class may be left out
  ASSERT_TRUE(l) << error;
  EXPECT_EQ(l->hard_bytes, 0u);
  // redis.conf style: several classes on one line; only "normal" applies.
  l = ParseOutputBufferLimit("replica 256mb 64mb 60 normal 10mb 5mb 7 pubsub 32mb 8mb 60", &error);
  ASSERT_TRUE(l) << error;
  EXPECT_EQ(l->hard_bytes, 10u << 20);
  EXPECT_EQ(l->soft_seconds, 7);
  EXPECT_EQ(config::FormatOutputBufferLimit(*l), "normal 10485760 5242880 7");
  EXPECT_FALSE(ParseOutputBufferLimit("normal 1mb 1mb", &error));
  EXPECT_FALSE(ParseOutputBufferLimit("master 1mb 1mb 1", &error));
  EXPECT_NE(error.find("invalid client class"), std::string::npos);
  EXPECT_FALSE(ParseOutputBufferLimit("normal 1mbs 1mb 1", &error));
  EXPECT_FALSE(ParseOutputBufferLimit("normal 1mb 1mb 1s", &error));
  EXPECT_FALSE(ParseOutputBufferLimit("pubsub 1mb 1mb 1", &error));  // no normal class
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
