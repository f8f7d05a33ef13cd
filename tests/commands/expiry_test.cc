// TTL commands and lazy expiry through the Driver (standalone, LocalCommitter).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "keyspace/encoding.h"
#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

class ExpiryTest : public CommandTest {
 protected:
  void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
};

TEST(ExpiryEncoding, WithExpireKeepsTypeAndPayload) {
  using namespace keyspace;
  std::string v = EncodeValue(ValueType::kHash, "12");
  std::string e = WithExpire(v, 0x0102030405);
  auto d = DecodeValue(e);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->type, ValueType::kHash);
  EXPECT_EQ(d->expire_at_ms, 0x0102030405);
  EXPECT_EQ(d->payload, "12");
  EXPECT_EQ(WithExpire(e, 0), v);
  EXPECT_TRUE(Expired(*d, 0x0102030405));
  EXPECT_FALSE(Expired(*d, 0x0102030404));
  EXPECT_FALSE(Expired(*DecodeValue(v), NowMs()));
  std::string meta = EncodeKey(0, "k");
  EXPECT_TRUE(IsExpiredMeta(meta, e, 0x0102030406));
  EXPECT_FALSE(IsExpiredMeta(SubKey(meta, 'f', "x"), e, 0x0102030406));  // a subkey's bytes
}

TEST_F(ExpiryTest, TtlReplies) {
  EXPECT_EQ(Run({"ttl", "k"}), Int(-2));
  EXPECT_EQ(Run({"set", "k", "v"}), kOK);
  EXPECT_EQ(Run({"ttl", "k"}), Int(-1));
  EXPECT_EQ(Run({"pexpiretime", "k"}), Int(-1));
  EXPECT_EQ(Run({"expire", "k", "100"}), Int(1));
  EXPECT_EQ(Run({"ttl", "k"}), Int(100));
  EXPECT_EQ(Run({"expire", "k", "50", "nx"}), Int(0));
  EXPECT_EQ(Run({"expire", "k", "50", "gt"}), Int(0));
  EXPECT_EQ(Run({"expire", "k", "50", "lt"}), Int(1));
  EXPECT_EQ(Run({"ttl", "k"}), Int(50));
  EXPECT_EQ(Run({"pexpireat", "k", "4102444800123"}), Int(1));
  EXPECT_EQ(Run({"pexpiretime", "k"}), Int(4102444800123));
  EXPECT_EQ(Run({"expiretime", "k"}), Int(4102444800));
  EXPECT_EQ(Run({"persist", "k"}), Int(1));
  EXPECT_EQ(Run({"persist", "k"}), Int(0));
  EXPECT_EQ(Run({"ttl", "k"}), Int(-1));
  EXPECT_EQ(Run({"expire", "k", "1", "nx", "xx"}),
            Err("ERR NX and XX, GT or LT options at the same time are not compatible"));
  EXPECT_EQ(Run({"expire", "k", "1", "gt", "lt"}),
            Err("ERR GT and LT options at the same time are not compatible"));
  EXPECT_EQ(Run({"expire", "k", "1", "foo"}), Err("ERR Unsupported option foo"));
  EXPECT_EQ(Run({"expire", "k", "9223372036854775807"}),
            Err("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(Run({"expire", "k", "-1"}), Int(1));  // in the past: deleted
  EXPECT_EQ(Run({"exists", "k"}), Int(0));
}

TEST_F(ExpiryTest, SetOptions) {
  EXPECT_EQ(Run({"set", "k", "v", "ex", "0"}), Err("ERR invalid expire time in 'set' command"));
  EXPECT_EQ(Run({"set", "k", "v", "ex", "10", "keepttl"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"set", "k", "v", "px", "100000"}), kOK);
  EXPECT_EQ(Run({"ttl", "k"}), Int(100));
  EXPECT_EQ(Run({"set", "k", "w", "keepttl"}), kOK);
  EXPECT_EQ(Run({"ttl", "k"}), Int(100));
  EXPECT_EQ(Run({"incr", "n"}), Int(1));
  EXPECT_EQ(Run({"expire", "n", "100"}), Int(1));
  EXPECT_EQ(Run({"incr", "n"}), Int(2));
  EXPECT_EQ(Run({"ttl", "n"}), Int(100));
  EXPECT_EQ(Run({"set", "k", "x"}), kOK);
  EXPECT_EQ(Run({"ttl", "k"}), Int(-1));
  EXPECT_EQ(Run({"setex", "s", "0", "v"}), Err("ERR invalid expire time in 'setex' command"));
  EXPECT_EQ(Run({"psetex", "s", "5000", "v"}), kOK);
  EXPECT_EQ(Run({"ttl", "s"}), Int(5));
  EXPECT_EQ(Run({"getex", "s", "persist"}), Bulk("v"));
  EXPECT_EQ(Run({"ttl", "s"}), Int(-1));
}

TEST_F(ExpiryTest, ExpiredKeysReadAsAbsent) {
  EXPECT_EQ(Run({"set", "k", "v", "px", "30"}), kOK);
  EXPECT_EQ(Run({"set", "keep", "v"}), kOK);
  EXPECT_EQ(Run({"get", "k"}), Bulk("v"));
  SleepMs(60);
  EXPECT_EQ(Run({"get", "k"}), kNil);
  EXPECT_EQ(Run({"exists", "k"}), Int(0));
  EXPECT_EQ(Run({"type", "k"}), "+none\r\n");
  EXPECT_EQ(Run({"ttl", "k"}), Int(-2));
  EXPECT_EQ(Run({"dbsize"}), Int(1));
  EXPECT_EQ(Run({"keys", "*"}), "*1\r\n" + Bulk("keep"));
  EXPECT_EQ(Run({"setnx", "k", "new"}), Int(1));
  EXPECT_EQ(Run({"get", "k"}), Bulk("new"));
  EXPECT_EQ(Run({"ttl", "k"}), Int(-1));
}

TEST_F(ExpiryTest, ExpiredCollectionComesBackEmpty) {
  EXPECT_EQ(Run({"hset", "h", "a", "1", "b", "2"}), Int(2));
  EXPECT_EQ(Run({"pexpire", "h", "30"}), Int(1));
  EXPECT_EQ(Run({"hset", "h", "c", "3"}), Int(1));  // modifying keeps the TTL
  SleepMs(60);
  EXPECT_EQ(Run({"hgetall", "h"}), "*0\r\n");
  EXPECT_EQ(Run({"hset", "h", "d", "4"}), Int(1));
  EXPECT_EQ(Run({"hgetall", "h"}), "*2\r\n" + Bulk("d") + Bulk("4"));
  EXPECT_EQ(Run({"ttl", "h"}), Int(-1));

  EXPECT_EQ(Run({"rpush", "l", "a", "b"}), Int(2));
  EXPECT_EQ(Run({"pexpire", "l", "30"}), Int(1));
  SleepMs(60);
  EXPECT_EQ(Run({"set", "l", "s"}), kOK);  // a string over an expired list
  EXPECT_EQ(Run({"del", "l"}), Int(1));
  EXPECT_EQ(Run({"rpush", "l", "x"}), Int(1));
  EXPECT_EQ(Run({"lrange", "l", "0", "-1"}), "*1\r\n" + Bulk("x"));
}

}  // namespace
}  // namespace petacore::testing
