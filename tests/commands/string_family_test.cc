// String commands through the Driver, checked against Redis 7.0's exact replies.
#include <gtest/gtest.h>

#include <string>

#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

class StringFamilyTest : public CommandTest {};

TEST_F(StringFamilyTest, GetSet) {
  EXPECT_EQ(Run({"get", "k"}), kNil);
  EXPECT_EQ(Run({"set", "k", "v"}), kOK);
  EXPECT_EQ(Run({"get", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"SET", "k", "v2"}), kOK);  // case-insensitive command names
  EXPECT_EQ(Run({"GeT", "k"}), Bulk("v2"));
  EXPECT_EQ(Run({"set", "", ""}), kOK);  // empty key and value
  EXPECT_EQ(Run({"get", ""}), Bulk(""));
  std::string binary("a\0b\r\nc", 6);
  EXPECT_EQ(Run({"set", binary, binary}), kOK);
  EXPECT_EQ(Run({"get", binary}), Bulk(binary));
}

TEST_F(StringFamilyTest, Arity) {
  EXPECT_EQ(Run({"get"}), Err("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(Run({"get", "a", "b"}), Err("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(Run({"set", "k"}), Err("ERR wrong number of arguments for 'set' command"));
}

TEST_F(StringFamilyTest, UnknownCommand) {
  std::string reply = Run({"nosuchcommand", "x"});
  EXPECT_TRUE(reply.starts_with("-ERR unknown command 'nosuchcommand'")) << reply;
  EXPECT_TRUE(reply.ends_with("\r\n"));
}

TEST_F(StringFamilyTest, SetNxXx) {
  EXPECT_EQ(Run({"set", "k", "1", "xx"}), kNil);
  EXPECT_EQ(Run({"get", "k"}), kNil);
  EXPECT_EQ(Run({"set", "k", "1", "nx"}), kOK);
  EXPECT_EQ(Run({"set", "k", "2", "NX"}), kNil);
  EXPECT_EQ(Run({"get", "k"}), Bulk("1"));
  EXPECT_EQ(Run({"set", "k", "3", "XX"}), kOK);
  EXPECT_EQ(Run({"get", "k"}), Bulk("3"));
  EXPECT_EQ(Run({"set", "k", "4", "nx", "xx"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"set", "k", "4", "bogus"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"get", "k"}), Bulk("3"));
}

TEST_F(StringFamilyTest, SetGet) {
  EXPECT_EQ(Run({"set", "k", "a", "get"}), kNil);
  EXPECT_EQ(Run({"get", "k"}), Bulk("a"));
  EXPECT_EQ(Run({"set", "k", "b", "GET"}), Bulk("a"));
  EXPECT_EQ(Run({"get", "k"}), Bulk("b"));
  // NX GET on an existing key: no write, the old value is returned.
  EXPECT_EQ(Run({"set", "k", "c", "nx", "get"}), Bulk("b"));
  EXPECT_EQ(Run({"get", "k"}), Bulk("b"));
  // XX GET on a missing key: no write, nil.
  EXPECT_EQ(Run({"set", "m", "c", "xx", "get"}), kNil);
  EXPECT_EQ(Run({"get", "m"}), kNil);
}

TEST_F(StringFamilyTest, SetNxGetSetGetDel) {
  EXPECT_EQ(Run({"setnx", "k", "1"}), Int(1));
  EXPECT_EQ(Run({"setnx", "k", "2"}), Int(0));
  EXPECT_EQ(Run({"getset", "k", "3"}), Bulk("1"));
  EXPECT_EQ(Run({"getset", "new", "x"}), kNil);
  EXPECT_EQ(Run({"get", "new"}), Bulk("x"));
  EXPECT_EQ(Run({"getdel", "k"}), Bulk("3"));
  EXPECT_EQ(Run({"get", "k"}), kNil);
  EXPECT_EQ(Run({"getdel", "k"}), kNil);
}

TEST_F(StringFamilyTest, IncrDecr) {
  EXPECT_EQ(Run({"incr", "n"}), Int(1));
  EXPECT_EQ(Run({"incr", "n"}), Int(2));
  EXPECT_EQ(Run({"incrby", "n", "10"}), Int(12));
  EXPECT_EQ(Run({"decr", "n"}), Int(11));
  EXPECT_EQ(Run({"decrby", "n", "-4"}), Int(15));
  EXPECT_EQ(Run({"get", "n"}), Bulk("15"));
  EXPECT_EQ(Run({"incrby", "n", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"set", "s", "abc"}), kOK);
  EXPECT_EQ(Run({"incr", "s"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"set", "s", " 1"}), kOK);
  EXPECT_EQ(Run({"incr", "s"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"set", "s", "01"}), kOK);
  EXPECT_EQ(Run({"incr", "s"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"set", "neg", "-5"}), kOK);
  EXPECT_EQ(Run({"incr", "neg"}), Int(-4));
}

TEST_F(StringFamilyTest, IncrOverflow) {
  EXPECT_EQ(Run({"set", "n", "9223372036854775807"}), kOK);
  EXPECT_EQ(Run({"incr", "n"}), Err("ERR increment or decrement would overflow"));
  EXPECT_EQ(Run({"get", "n"}), Bulk("9223372036854775807"));  // unchanged
  EXPECT_EQ(Run({"set", "m", "-9223372036854775808"}), kOK);
  EXPECT_EQ(Run({"decr", "m"}), Err("ERR increment or decrement would overflow"));
  EXPECT_EQ(Run({"incrby", "m", "-1"}), Err("ERR increment or decrement would overflow"));
  EXPECT_EQ(Run({"set", "o", "9223372036854775808"}), kOK);  // one past INT64_MAX
  EXPECT_EQ(Run({"incr", "o"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"decrby", "x", "-9223372036854775808"}),
            Err("ERR decrement would overflow"));
}

TEST_F(StringFamilyTest, IncrByFloat) {
  EXPECT_EQ(Run({"set", "f", "10.5"}), kOK);
  EXPECT_EQ(Run({"incrbyfloat", "f", "0.1"}), Bulk("10.6"));
  EXPECT_EQ(DecodeBulk(Run({"get", "f"})), "10.6");
  EXPECT_EQ(Run({"incrbyfloat", "g", "5"}), Bulk("5"));
  EXPECT_EQ(Run({"incrbyfloat", "g", "-5"}), Bulk("0"));
  EXPECT_EQ(Run({"incrbyfloat", "g", "5.0e3"}), Bulk("5000"));
  EXPECT_EQ(Run({"incrbyfloat", "g", "abc"}), Err("ERR value is not a valid float"));
  EXPECT_EQ(Run({"set", "s", "text"}), kOK);
  EXPECT_EQ(Run({"incrbyfloat", "s", "1"}), Err("ERR value is not a valid float"));
  EXPECT_EQ(Run({"incrbyfloat", "g", "inf"}),
            Err("ERR increment would produce NaN or Infinity"));
  EXPECT_EQ(Run({"get", "g"}), Bulk("5000"));
}

TEST_F(StringFamilyTest, AppendStrlen) {
  EXPECT_EQ(Run({"append", "k", "Hello"}), Int(5));
  EXPECT_EQ(Run({"append", "k", " World"}), Int(11));
  EXPECT_EQ(Run({"get", "k"}), Bulk("Hello World"));
  EXPECT_EQ(Run({"strlen", "k"}), Int(11));
  EXPECT_EQ(Run({"strlen", "missing"}), Int(0));
  EXPECT_EQ(Run({"append", "k", std::string("\0", 1)}), Int(12));
  EXPECT_EQ(Run({"get", "k"}), Bulk(std::string("Hello World\0", 12)));
}

TEST_F(StringFamilyTest, SetRange) {
  EXPECT_EQ(Run({"set", "k", "Hello World"}), kOK);
  EXPECT_EQ(Run({"setrange", "k", "6", "Redis"}), Int(11));
  EXPECT_EQ(Run({"get", "k"}), Bulk("Hello Redis"));
  EXPECT_EQ(Run({"setrange", "pad", "3", "x"}), Int(4));
  EXPECT_EQ(Run({"get", "pad"}), Bulk(std::string("\0\0\0x", 4)));
  EXPECT_EQ(Run({"setrange", "empty", "5", ""}), Int(0));
  EXPECT_EQ(Run({"get", "empty"}), kNil);  // an empty patch creates nothing
  EXPECT_EQ(Run({"setrange", "k", "-1", "x"}), Err("ERR offset is out of range"));
  EXPECT_EQ(Run({"setrange", "k", "x", "x"}),
            Err("ERR value is not an integer or out of range"));
}

TEST_F(StringFamilyTest, GetRange) {
  EXPECT_EQ(Run({"set", "k", "This is a string"}), kOK);
  EXPECT_EQ(Run({"getrange", "k", "0", "3"}), Bulk("This"));
  EXPECT_EQ(Run({"getrange", "k", "-3", "-1"}), Bulk("ing"));
  EXPECT_EQ(Run({"getrange", "k", "0", "-1"}), Bulk("This is a string"));
  EXPECT_EQ(Run({"getrange", "k", "10", "100"}), Bulk("string"));
  EXPECT_EQ(Run({"getrange", "k", "-100", "3"}), Bulk("This"));
  EXPECT_EQ(Run({"getrange", "k", "5", "3"}), Bulk(""));
  EXPECT_EQ(Run({"getrange", "k", "-1", "-5"}), Bulk(""));
  EXPECT_EQ(Run({"getrange", "k", "100", "200"}), Bulk(""));
  EXPECT_EQ(Run({"getrange", "missing", "0", "-1"}), Bulk(""));
  EXPECT_EQ(Run({"substr", "k", "0", "3"}), Bulk("This"));
  EXPECT_EQ(Run({"getrange", "k", "a", "1"}),
            Err("ERR value is not an integer or out of range"));
}

TEST_F(StringFamilyTest, MSetMGet) {
  EXPECT_EQ(Run({"mset", "a", "1", "b", "2"}), kOK);
  EXPECT_EQ(Run({"mget", "a", "missing", "b"}), Array({Bulk("1"), kNil, Bulk("2")}));
  EXPECT_EQ(Run({"mset", "a", "1", "b"}), Err("ERR wrong number of arguments for 'mset' command"));
  EXPECT_EQ(Run({"mset", "a", "x", "a", "y"}), kOK);  // the last one wins
  EXPECT_EQ(Run({"get", "a"}), Bulk("y"));
  EXPECT_EQ(Run({"msetnx", "a", "1", "c", "3"}), Int(0));
  EXPECT_EQ(Run({"get", "c"}), kNil);  // all or nothing
  EXPECT_EQ(Run({"msetnx", "c", "3", "d", "4"}), Int(1));
  EXPECT_EQ(Run({"mget", "c", "d"}), Array({Bulk("3"), Bulk("4")}));
  EXPECT_EQ(Run({"msetnx", "x", "1", "y"}),
            Err("ERR wrong number of arguments for 'msetnx' command"));
}

TEST_F(StringFamilyTest, DatabasesAreSeparate) {
  EXPECT_EQ(Run({"set", "k", "db0"}), kOK);
  EXPECT_EQ(Run({"select", "1"}), kOK);
  EXPECT_EQ(Run({"get", "k"}), kNil);
  EXPECT_EQ(Run({"set", "k", "db1"}), kOK);
  EXPECT_EQ(Run({"select", "0"}), kOK);
  EXPECT_EQ(Run({"get", "k"}), Bulk("db0"));
}

TEST_F(StringFamilyTest, WritesAreVisibleToOtherClients) {
  auto other = NewClient();
  EXPECT_EQ(Run({"set", "k", "v"}), kOK);
  EXPECT_EQ(other->Run({"get", "k"}), Bulk("v"));
  EXPECT_EQ(other->Run({"incr", "n"}), Int(1));
  EXPECT_EQ(Run({"incr", "n"}), Int(2));
}

}  // namespace
}  // namespace petacore::testing
