// Set commands through the Driver, checked against Redis 7.0's exact replies. Members come
// back in byte order (Redis's order is unspecified; the differential test sorts).
#include <gtest/gtest.h>

#include <string>

#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

class SetFamilyTest : public CommandTest {};

const std::string kWrongType =
    Err("WRONGTYPE Operation against a key holding the wrong kind of value");

TEST_F(SetFamilyTest, AddRemMembers) {
  EXPECT_EQ(Run({"sadd", "s", "b", "a", "b", ""}), Int(3));
  EXPECT_EQ(Run({"sadd", "s", "a", "c"}), Int(1));
  EXPECT_EQ(Run({"scard", "s"}), Int(4));
  EXPECT_EQ(Run({"smembers", "s"}), Array({Bulk(""), Bulk("a"), Bulk("b"), Bulk("c")}));
  EXPECT_EQ(Run({"sismember", "s", ""}), Int(1));
  EXPECT_EQ(Run({"sismember", "s", "x"}), Int(0));
  EXPECT_EQ(Run({"smismember", "s", "a", "x", "c"}), Array({Int(1), Int(0), Int(1)}));
  EXPECT_EQ(Run({"smismember", "nokey", "a"}), Array({Int(0)}));
  EXPECT_EQ(Run({"srem", "s", "a", "x", "a"}), Int(1));
  EXPECT_EQ(Run({"srem", "s", "", "b", "c"}), Int(3));
  EXPECT_EQ(Run({"exists", "s"}), Int(0));
  EXPECT_EQ(Run({"smembers", "s"}), Array({}));
  EXPECT_EQ(Run({"scard", "s"}), Int(0));
  std::string binary("\0\xff\r\n", 4);
  EXPECT_EQ(Run({"sadd", "s", binary}), Int(1));
  EXPECT_EQ(Run({"smembers", "s"}), Array({Bulk(binary)}));
  EXPECT_EQ(Run({"type", "s"}), Simple("set"));
}

TEST_F(SetFamilyTest, PopAndRandMember) {
  EXPECT_EQ(Run({"spop", "nokey"}), kNil);
  EXPECT_EQ(Run({"spop", "nokey", "2"}), Array({}));
  EXPECT_EQ(Run({"srandmember", "nokey"}), kNil);
  EXPECT_EQ(Run({"srandmember", "nokey", "-2"}), Array({}));
  EXPECT_EQ(Run({"sadd", "s", "a"}), Int(1));
  EXPECT_EQ(Run({"srandmember", "s", "-3"}), Array({Bulk("a"), Bulk("a"), Bulk("a")}));
  EXPECT_EQ(Run({"srandmember", "s", "3"}), Array({Bulk("a")}));
  EXPECT_EQ(Run({"spop", "s"}), Bulk("a"));
  EXPECT_EQ(Run({"exists", "s"}), Int(0));
  EXPECT_EQ(Run({"sadd", "s", "a", "b", "c", "d", "e"}), Int(5));
  EXPECT_TRUE(Run({"spop", "s", "2"}).starts_with("*2\r\n"));
  EXPECT_EQ(Run({"scard", "s"}), Int(3));
  EXPECT_EQ(Run({"spop", "s", "0"}), Array({}));
  EXPECT_TRUE(Run({"spop", "s", "10"}).starts_with("*3\r\n"));
  EXPECT_EQ(Run({"exists", "s"}), Int(0));
  EXPECT_EQ(Run({"spop", "s", "-1"}), Err("ERR value is out of range, must be positive"));
  EXPECT_EQ(Run({"spop", "s", "1", "2"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"srandmember", "s", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"srandmember", "s", "1", "2"}), Err("ERR syntax error"));
}

TEST_F(SetFamilyTest, Move) {
  EXPECT_EQ(Run({"sadd", "a", "x", "y"}), Int(2));
  EXPECT_EQ(Run({"smove", "a", "b", "x"}), Int(1));
  EXPECT_EQ(Run({"smove", "a", "b", "x"}), Int(0));
  EXPECT_EQ(Run({"smove", "a", "a", "y"}), Int(1));
  EXPECT_EQ(Run({"smove", "nokey", "b", "x"}), Int(0));
  EXPECT_EQ(Run({"smove", "a", "b", "y"}), Int(1));
  EXPECT_EQ(Run({"exists", "a"}), Int(0));
  EXPECT_EQ(Run({"smembers", "b"}), Array({Bulk("x"), Bulk("y")}));
  EXPECT_EQ(Run({"set", "str", "v"}), kOK);
  EXPECT_EQ(Run({"smove", "b", "str", "x"}), kWrongType);
  EXPECT_EQ(Run({"smove", "nokey", "str", "x"}), Int(0));
}

TEST_F(SetFamilyTest, Algebra) {
  EXPECT_EQ(Run({"sadd", "a", "1", "2", "3", "4"}), Int(4));
  EXPECT_EQ(Run({"sadd", "b", "3", "4", "5"}), Int(3));
  EXPECT_EQ(Run({"sinter", "a", "b"}), Array({Bulk("3"), Bulk("4")}));
  EXPECT_EQ(Run({"sinter", "a", "b", "nokey"}), Array({}));
  EXPECT_EQ(Run({"sunion", "a", "b", "nokey"}),
            Array({Bulk("1"), Bulk("2"), Bulk("3"), Bulk("4"), Bulk("5")}));
  EXPECT_EQ(Run({"sdiff", "a", "b"}), Array({Bulk("1"), Bulk("2")}));
  EXPECT_EQ(Run({"sdiff", "a", "a"}), Array({}));
  EXPECT_EQ(Run({"sdiff", "nokey", "a"}), Array({}));
  EXPECT_EQ(Run({"sintercard", "2", "a", "b"}), Int(2));
  EXPECT_EQ(Run({"sintercard", "2", "a", "b", "LIMIT", "1"}), Int(1));
  EXPECT_EQ(Run({"sintercard", "2", "a", "b", "limit", "0"}), Int(2));
  EXPECT_EQ(Run({"sintercard", "0", "a"}), Err("ERR numkeys should be greater than 0"));
  EXPECT_EQ(Run({"sintercard", "3", "a", "b"}),
            Err("ERR Number of keys can't be greater than number of args"));
  EXPECT_EQ(Run({"sintercard", "1", "a", "limit", "-1"}), Err("ERR LIMIT can't be negative"));
  EXPECT_EQ(Run({"sintercard", "1", "a", "bogus"}), Err("ERR syntax error"));
  // STORE: the destination is replaced, whatever it held; an empty result deletes it.
  EXPECT_EQ(Run({"set", "d", "string"}), kOK);
  EXPECT_EQ(Run({"sinterstore", "d", "a", "b"}), Int(2));
  EXPECT_EQ(Run({"smembers", "d"}), Array({Bulk("3"), Bulk("4")}));
  EXPECT_EQ(Run({"sunionstore", "d", "d", "b"}), Int(3));
  EXPECT_EQ(Run({"smembers", "d"}), Array({Bulk("3"), Bulk("4"), Bulk("5")}));
  EXPECT_EQ(Run({"sdiffstore", "a", "a", "d"}), Int(2));
  EXPECT_EQ(Run({"smembers", "a"}), Array({Bulk("1"), Bulk("2")}));
  EXPECT_EQ(Run({"sdiffstore", "d", "nokey", "a"}), Int(0));
  EXPECT_EQ(Run({"exists", "d"}), Int(0));
  EXPECT_EQ(Run({"scard", "a"}), Int(2));
}

TEST_F(SetFamilyTest, Scan) {
  EXPECT_EQ(Run({"sscan", "nokey", "0", "count", "0"}), Array({Bulk("0"), Array({})}));
  EXPECT_EQ(Run({"sadd", "s", "a", "b", "c"}), Int(3));
  EXPECT_EQ(Run({"sscan", "s", "0", "match", "[ab]"}),
            Array({Bulk("0"), Array({Bulk("a"), Bulk("b")})}));
  std::string page = Run({"sscan", "s", "0", "count", "2"});
  ASSERT_TRUE(page.starts_with("*2\r\n$")) << page;
  std::string cursor = page.substr(page.find("\r\n", 4) + 2);
  cursor = cursor.substr(0, cursor.find("\r\n"));
  EXPECT_EQ(page, Array({Bulk(cursor), Array({Bulk("a"), Bulk("b")})}));
  EXPECT_EQ(Run({"srem", "s", "a"}), Int(1));  // changes behind the cursor do not matter
  EXPECT_EQ(Run({"sscan", "s", cursor, "count", "2"}), Array({Bulk("0"), Array({Bulk("c")})}));
  EXPECT_EQ(Run({"sscan", "s", "987654321"}), Array({Bulk("0"), Array({})}));  // unknown
}

TEST_F(SetFamilyTest, WrongType) {
  EXPECT_EQ(Run({"set", "str", "v"}), kOK);
  EXPECT_EQ(Run({"sadd", "a", "1"}), Int(1));
  for (auto args : std::vector<std::vector<std::string>>{{"sadd", "str", "a"},
                                                         {"srem", "str", "a"},
                                                         {"smembers", "str"},
                                                         {"sismember", "str", "a"},
                                                         {"smismember", "str", "a"},
                                                         {"scard", "str"},
                                                         {"spop", "str"},
                                                         {"spop", "str", "0"},
                                                         {"srandmember", "str"},
                                                         {"srandmember", "str", "0"},
                                                         {"sinter", "nokey", "str"},
                                                         {"sunion", "a", "str"},
                                                         {"sdiff", "nokey", "str"},
                                                         {"sintercard", "2", "nokey", "str"},
                                                         {"sinterstore", "d", "nokey", "str"},
                                                         {"sunionstore", "d", "str"},
                                                         {"sdiffstore", "d", "a", "str"},
                                                         {"sscan", "str", "0"},
                                                         {"smove", "str", "a", "1"},
                                                         {"smove", "a", "str", "1"}}) {
    EXPECT_EQ(Run(args), kWrongType) << args[0];
  }
  EXPECT_EQ(Run({"get", "str"}), Bulk("v"));
  EXPECT_EQ(Run({"exists", "d"}), Int(0));
}

TEST_F(SetFamilyTest, WatchSeesMembershipChanges) {
  auto other = NewClient();
  EXPECT_EQ(Run({"sadd", "s", "a"}), Int(1));
  EXPECT_EQ(Run({"watch", "s"}), kOK);
  EXPECT_EQ(other->Run({"sadd", "s", "a"}), Int(0));  // no change: the watch holds
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"scard", "s"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({Int(1)}));
  EXPECT_EQ(Run({"watch", "s"}), kOK);
  EXPECT_EQ(other->Run({"sadd", "s", "b"}), Int(1));
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"scard", "s"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), kNilArray);
}

}  // namespace
}  // namespace petacore::testing
