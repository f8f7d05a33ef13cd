// DUMP / RESTORE through the Driver (in-process, LocalCommitter): every type round-trips to
// an equal value; Redis 7.0's error texts and option checks; a corrupt payload never writes.
#include <gtest/gtest.h>

#include <string>

#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

class DumpFamilyTest : public CommandTest {
 protected:
  // DUMP `key`, RESTORE it as `copy`, and return the DUMP.
  std::string RoundTrip(const std::string& key, const std::string& copy) {
    std::string payload = DecodeBulk(Run({"dump", key}));
    EXPECT_EQ(Run({"restore", copy, "0", payload}), kOK) << key;
    return payload;
  }
};

TEST_F(DumpFamilyTest, EveryTypeRoundTrips) {
  EXPECT_EQ(Run({"set", "s", "hello"}), kOK);
  EXPECT_EQ(Run({"set", "i", "-123"}), kOK);
  EXPECT_EQ(Run({"rpush", "l", "a", "1", "", "bb"}), Int(4));
  EXPECT_EQ(Run({"hset", "h", "f", "v", "g", "12"}), Int(2));
  EXPECT_EQ(Run({"sadd", "si", "5", "-7", "100000"}), Int(3));
  EXPECT_EQ(Run({"sadd", "ss", "x", "y"}), Int(2));
  EXPECT_EQ(Run({"zadd", "z", "1.5", "a", "-inf", "b", "3", "c"}), Int(3));
  Run({"xadd", "x", "1-1", "f", "v"});
  Run({"xadd", "x", "1-2", "f", "w", "g", "z"});
  Run({"xgroup", "create", "x", "grp", "0"});
  Run({"xreadgroup", "group", "grp", "c1", "count", "1", "streams", "x", ">"});
  for (const char* key : {"s", "i", "l", "h", "si", "ss", "z", "x"}) {
    std::string copy = std::string(key) + "2";
    std::string payload = RoundTrip(key, copy);
    EXPECT_EQ(DecodeBulk(Run({"dump", copy})), payload) << key;
    EXPECT_EQ(Run({"type", copy}), Run({"type", key}));
  }
  EXPECT_EQ(Run({"lrange", "l2", "0", "-1"}), Run({"lrange", "l", "0", "-1"}));
  EXPECT_EQ(Run({"zrange", "z2", "0", "-1", "withscores"}),
            Run({"zrange", "z", "0", "-1", "withscores"}));
  EXPECT_EQ(Run({"xpending", "x2", "grp"}), Run({"xpending", "x", "grp"}));
  EXPECT_EQ(Run({"dump", "nokey"}), kNil);
}

TEST_F(DumpFamilyTest, ErrorsAndOptions) {
  EXPECT_EQ(Run({"set", "s", "v"}), kOK);
  std::string payload = DecodeBulk(Run({"dump", "s"}));
  EXPECT_EQ(Run({"restore", "s", "0", payload}), Err("BUSYKEY Target key name already exists."));
  EXPECT_EQ(Run({"restore", "n", "-1", payload}), Err("ERR Invalid TTL value, must be >= 0"));
  EXPECT_EQ(Run({"restore", "n", "x", payload}),
            Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"restore", "n", "0", payload, "idletime", "-1"}),
            Err("ERR Invalid IDLETIME value, must be >= 0"));
  EXPECT_EQ(Run({"restore", "n", "0", payload, "freq", "256"}),
            Err("ERR Invalid FREQ value, must be >= 0 and <= 255"));
  EXPECT_EQ(Run({"restore", "n", "0", payload, "freq", "1", "idletime", "1"}),
            Err("ERR syntax error"));
  std::string bad = payload;
  bad.back() ^= 1;
  EXPECT_EQ(Run({"restore", "n", "0", bad}),
            Err("ERR DUMP payload version or checksum are wrong"));
  EXPECT_EQ(Run({"restore", "n", "0", "short"}),
            Err("ERR DUMP payload version or checksum are wrong"));
  EXPECT_EQ(Run({"exists", "n"}), Int(0));
  EXPECT_EQ(Run({"restore", "s", "0", payload, "replace", "absttl"}), kOK);
  EXPECT_EQ(Run({"restore", "t", "1", payload, "absttl"}), kOK);  // already expired
  EXPECT_EQ(Run({"exists", "t"}), Int(0));
  EXPECT_EQ(Run({"restore", "t", "100000", payload, "idletime", "5"}), kOK);
  EXPECT_EQ(Run({"ttl", "t"}), Int(100));
  EXPECT_EQ(Run({"restore-asking", "ra", "0", payload}), kOK);
  EXPECT_EQ(Run({"get", "ra"}), Bulk("v"));
}

}  // namespace
}  // namespace petacore::testing
