// Hash commands through the Driver, checked against Redis 7.0's exact replies. Fields come
// back in byte order (Redis's order is unspecified; the differential test sorts).
#include <gtest/gtest.h>

#include <string>

#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

class HashFamilyTest : public CommandTest {};

const std::string kWrongType =
    Err("WRONGTYPE Operation against a key holding the wrong kind of value");

TEST_F(HashFamilyTest, SetGetDel) {
  EXPECT_EQ(Run({"hset", "h", "b", "2", "a", "1"}), Int(2));
  EXPECT_EQ(Run({"hset", "h", "a", "10", "c", "3", "c", "4"}), Int(1));  // c named twice
  EXPECT_EQ(Run({"hget", "h", "a"}), Bulk("10"));
  EXPECT_EQ(Run({"hget", "h", "c"}), Bulk("4"));
  EXPECT_EQ(Run({"hget", "h", "zz"}), kNil);
  EXPECT_EQ(Run({"hget", "nokey", "a"}), kNil);
  EXPECT_EQ(Run({"hlen", "h"}), Int(3));
  EXPECT_EQ(Run({"hgetall", "h"}),
            Array({Bulk("a"), Bulk("10"), Bulk("b"), Bulk("2"), Bulk("c"), Bulk("4")}));
  EXPECT_EQ(Run({"hkeys", "h"}), Array({Bulk("a"), Bulk("b"), Bulk("c")}));
  EXPECT_EQ(Run({"hvals", "h"}), Array({Bulk("10"), Bulk("2"), Bulk("4")}));
  EXPECT_EQ(Run({"hmget", "h", "a", "x", "b"}), Array({Bulk("10"), kNil, Bulk("2")}));
  EXPECT_EQ(Run({"hmget", "nokey", "a"}), Array({kNil}));
  EXPECT_EQ(Run({"hdel", "h", "a", "a", "x"}), Int(1));
  EXPECT_EQ(Run({"hexists", "h", "a"}), Int(0));
  EXPECT_EQ(Run({"hexists", "h", "b"}), Int(1));
  EXPECT_EQ(Run({"hdel", "h", "b", "c"}), Int(2));
  // The last field gone, the key is gone.
  EXPECT_EQ(Run({"exists", "h"}), Int(0));
  EXPECT_EQ(Run({"hlen", "h"}), Int(0));
  EXPECT_EQ(Run({"hgetall", "h"}), Array({}));
  EXPECT_EQ(Run({"type", "h"}), Simple("none"));
}

TEST_F(HashFamilyTest, BinaryAndEmpty) {
  std::string field("f\0\xff", 3), value("\r\n\0", 3);
  EXPECT_EQ(Run({"hset", "h", field, value, "", ""}), Int(2));
  EXPECT_EQ(Run({"hget", "h", field}), Bulk(value));
  EXPECT_EQ(Run({"hget", "h", ""}), Bulk(""));
  EXPECT_EQ(Run({"hstrlen", "h", field}), Int(3));
  EXPECT_EQ(Run({"hstrlen", "h", "none"}), Int(0));
  EXPECT_EQ(Run({"hkeys", "h"}), Array({Bulk(""), Bulk(field)}));
}

TEST_F(HashFamilyTest, SetNxAndHmset) {
  EXPECT_EQ(Run({"hsetnx", "h", "a", "1"}), Int(1));
  EXPECT_EQ(Run({"hsetnx", "h", "a", "2"}), Int(0));
  EXPECT_EQ(Run({"hget", "h", "a"}), Bulk("1"));
  EXPECT_EQ(Run({"hmset", "h", "a", "3", "b", "4"}), kOK);
  EXPECT_EQ(Run({"hlen", "h"}), Int(2));
  EXPECT_EQ(Run({"hset", "h", "a"}), Err("ERR wrong number of arguments for 'hset' command"));
  EXPECT_EQ(Run({"hset", "h", "a", "1", "b"}),
            Err("ERR wrong number of arguments for 'hset' command"));
  EXPECT_EQ(Run({"hmset", "h", "a", "1", "b"}),
            Err("ERR wrong number of arguments for 'hmset' command"));
}

TEST_F(HashFamilyTest, IncrBy) {
  EXPECT_EQ(Run({"hincrby", "h", "n", "5"}), Int(5));
  EXPECT_EQ(Run({"hincrby", "h", "n", "-7"}), Int(-2));
  EXPECT_EQ(Run({"hincrby", "h", "n", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"hset", "h", "s", "abc", "big", "9223372036854775807"}), Int(2));
  EXPECT_EQ(Run({"hincrby", "h", "s", "1"}), Err("ERR hash value is not an integer"));
  EXPECT_EQ(Run({"hincrby", "h", "big", "1"}), Err("ERR increment or decrement would overflow"));
  EXPECT_EQ(Run({"hincrby", "h", "big", "0"}), Int(9223372036854775807LL));
  EXPECT_EQ(Run({"hlen", "h"}), Int(3));
}

TEST_F(HashFamilyTest, IncrByFloat) {
  EXPECT_EQ(Run({"hincrbyfloat", "h", "f", "10.5"}), Bulk("10.5"));
  EXPECT_EQ(Run({"hincrbyfloat", "h", "f", "0.1"}), Bulk("10.6"));
  EXPECT_EQ(Run({"hincrbyfloat", "h", "f", "-10.6"}), Bulk("0"));
  EXPECT_EQ(Run({"hincrbyfloat", "h", "g", "5.0e3"}), Bulk("5000"));
  EXPECT_EQ(Run({"hincrbyfloat", "h", "g", "inf"}), Err("ERR value is NaN or Infinity"));
  EXPECT_EQ(Run({"hincrbyfloat", "h", "g", "abc"}), Err("ERR value is not a valid float"));
  EXPECT_EQ(Run({"hset", "h", "s", "x"}), Int(1));
  EXPECT_EQ(Run({"hincrbyfloat", "h", "s", "1"}), Err("ERR hash value is not a float"));
  // long double arithmetic, printed "%.17Lf" (as Redis 7.0 on x86-64)
  EXPECT_EQ(Run({"hincrbyfloat", "h", "g", "1.7976931348623157e308"}),
            Bulk("17976931348623156999592104677410443404838644694432917848531442076517662852312439"
                 "63547018686083870855644287934194255206893087083634511360553578972780264776170734"
                 "98977686288394835618163294045594434929537447290627480669417384648879122776218333"
                 "598953852832103282504751611691208117720159985926376802466863339536384"));
}

TEST_F(HashFamilyTest, RandField) {
  EXPECT_EQ(Run({"hrandfield", "nokey"}), kNil);
  EXPECT_EQ(Run({"hrandfield", "nokey", "3"}), Array({}));
  EXPECT_EQ(Run({"hset", "h", "a", "1"}), Int(1));
  EXPECT_EQ(Run({"hrandfield", "h"}), Bulk("a"));
  EXPECT_EQ(Run({"hrandfield", "h", "5"}), Array({Bulk("a")}));
  EXPECT_EQ(Run({"hrandfield", "h", "-3"}), Array({Bulk("a"), Bulk("a"), Bulk("a")}));
  EXPECT_EQ(Run({"hrandfield", "h", "-2", "WITHVALUES"}),
            Array({Bulk("a"), Bulk("1"), Bulk("a"), Bulk("1")}));
  EXPECT_EQ(Run({"hrandfield", "h", "0"}), Array({}));
  EXPECT_EQ(Run({"hrandfield", "h", "1", "bogus"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"hrandfield", "h", "-9223372036854775808"}),
            Err("ERR value is out of range, value must between -9223372036854775807 and "
                "9223372036854775807"));
  EXPECT_EQ(Run({"hrandfield", "h", "-4611686018427387904", "withvalues"}),
            Err("ERR value is out of range"));
  EXPECT_EQ(Run({"hset", "h", "b", "2", "c", "3"}), Int(2));
  std::string two = Run({"hrandfield", "h", "2"});
  EXPECT_TRUE(two.starts_with("*2\r\n")) << two;
  EXPECT_EQ(Run({"hrandfield", "h", "10"}).substr(0, 4), "*3\r\n");
}

TEST_F(HashFamilyTest, Scan) {
  EXPECT_EQ(Run({"hscan", "nokey", "0"}), Array({Bulk("0"), Array({})}));
  EXPECT_EQ(Run({"hset", "h", "a", "1", "b", "2", "c", "3", "ab", "4"}), Int(4));
  EXPECT_EQ(Run({"hscan", "h", "0"}),
            Array({Bulk("0"), Array({Bulk("a"), Bulk("1"), Bulk("ab"), Bulk("4"), Bulk("b"),
                                     Bulk("2"), Bulk("c"), Bulk("3")})}));
  EXPECT_EQ(Run({"hscan", "h", "0", "match", "a*"}),
            Array({Bulk("0"), Array({Bulk("a"), Bulk("1"), Bulk("ab"), Bulk("4")})}));
  // Page by page: COUNT fields per page, a cursor to continue.
  std::string page = Run({"hscan", "h", "0", "count", "3"});
  ASSERT_TRUE(page.starts_with("*2\r\n$")) << page;
  std::string cursor = page.substr(page.find("\r\n", 4) + 2);
  cursor = cursor.substr(0, cursor.find("\r\n"));
  EXPECT_NE(cursor, "0");
  EXPECT_EQ(Run({"hscan", "h", cursor, "count", "3"}),
            Array({Bulk("0"), Array({Bulk("c"), Bulk("3")})}));
  EXPECT_EQ(Run({"hscan", "h", "0", "count", "0"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"hscan", "h", "x"}), Err("ERR invalid cursor"));
}

TEST_F(HashFamilyTest, WrongType) {
  EXPECT_EQ(Run({"set", "s", "v"}), kOK);
  for (auto args : std::vector<std::vector<std::string>>{{"hset", "s", "a", "1"},
                                                         {"hsetnx", "s", "a", "1"},
                                                         {"hget", "s", "a"},
                                                         {"hmget", "s", "a"},
                                                         {"hgetall", "s"},
                                                         {"hdel", "s", "a"},
                                                         {"hexists", "s", "a"},
                                                         {"hlen", "s"},
                                                         {"hkeys", "s"},
                                                         {"hvals", "s"},
                                                         {"hstrlen", "s", "a"},
                                                         {"hincrby", "s", "a", "1"},
                                                         {"hincrbyfloat", "s", "a", "1"},
                                                         {"hrandfield", "s"},
                                                         {"hrandfield", "s", "0"},
                                                         {"hscan", "s", "0"},
                                                         {"hmset", "s", "a", "1"}}) {
    EXPECT_EQ(Run(args), kWrongType) << args[0];
  }
  EXPECT_EQ(Run({"get", "s"}), Bulk("v"));
  // SET over a hash replaces it whole; a new hash at the key starts empty.
  EXPECT_EQ(Run({"hset", "h", "a", "1", "b", "2"}), Int(2));
  EXPECT_EQ(Run({"get", "h"}), kWrongType);
  EXPECT_EQ(Run({"set", "h", "x"}), kOK);
  EXPECT_EQ(Run({"del", "h"}), Int(1));
  EXPECT_EQ(Run({"hset", "h", "c", "3"}), Int(1));
  EXPECT_EQ(Run({"hgetall", "h"}), Array({Bulk("c"), Bulk("3")}));
}

// Every change to a hash moves its meta key, so WATCH sees a changed field value.
TEST_F(HashFamilyTest, WatchSeesFieldUpdate) {
  auto other = NewClient();
  EXPECT_EQ(Run({"hset", "h", "a", "1"}), Int(1));
  EXPECT_EQ(Run({"watch", "h"}), kOK);
  EXPECT_EQ(other->Run({"hset", "h", "a", "2"}), Int(0));
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"hget", "h", "a"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), kNilArray);
  EXPECT_EQ(Run({"watch", "h"}), kOK);
  EXPECT_EQ(other->Run({"hincrby", "h", "a", "1"}), Int(3));
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"hget", "h", "a"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), kNilArray);
  // A no-op (HDEL of a missing field) does not touch the key.
  EXPECT_EQ(Run({"watch", "h"}), kOK);
  EXPECT_EQ(other->Run({"hdel", "h", "zz"}), Int(0));
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"hget", "h", "a"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({Bulk("3")}));
}

TEST_F(HashFamilyTest, InsideMulti) {
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"hset", "h", "a", "1"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"hincrby", "h", "a", "2"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"hdel", "h", "a"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"hset", "h", "b", "x"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"hlen", "h"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({Int(1), Int(3), Int(1), Int(1), Int(1)}));
  EXPECT_EQ(Run({"hgetall", "h"}), Array({Bulk("b"), Bulk("x")}));
}

}  // namespace
}  // namespace petacore::testing
