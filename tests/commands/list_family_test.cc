// List commands through the Driver (standalone), checked against Redis 7.0's exact replies,
// plus the blocking pops' park/wake path and the subkey layout the list commands maintain.
#include <gtest/gtest.h>

#include <string>

#include "keyspace/encoding.h"
#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

class ListFamilyTest : public CommandTest {
 protected:
  // Every live store key in the range of `user_key` (db 0): the meta key plus its subkeys.
  size_t StoreKeysOf(const std::string& user_key) {
    std::string meta = keyspace::EncodeKey(0, user_key);
    return server_.state().store.Read().Count(meta, keyspace::KeyEnd(meta));
  }
};

TEST_F(ListFamilyTest, PushPopOrder) {
  EXPECT_EQ(Run({"rpush", "l", "a", "b"}), Int(2));
  EXPECT_EQ(Run({"lpush", "l", "x", "y"}), Int(4));
  EXPECT_EQ(Run({"lrange", "l", "0", "-1"}),
            Array({Bulk("y"), Bulk("x"), Bulk("a"), Bulk("b")}));
  EXPECT_EQ(Run({"llen", "l"}), Int(4));
  EXPECT_EQ(Run({"lpop", "l"}), Bulk("y"));
  EXPECT_EQ(Run({"rpop", "l", "2"}), Array({Bulk("b"), Bulk("a")}));
  EXPECT_EQ(Run({"lpop", "l", "0"}), Array({}));
  EXPECT_EQ(Run({"lpop", "l", "5"}), Array({Bulk("x")}));
  // The last pop deleted the key with all its subkeys.
  EXPECT_EQ(Run({"exists", "l"}), Int(0));
  EXPECT_EQ(StoreKeysOf("l"), 0u);
  EXPECT_EQ(Run({"lpop", "l"}), kNil);
  EXPECT_EQ(Run({"lpop", "l", "2"}), kNilArray);
  EXPECT_EQ(Run({"lpop", "l", "-1"}), Err("ERR value is out of range, must be positive"));
}

TEST_F(ListFamilyTest, IndexAndSet) {
  Run({"rpush", "l", "a", "b", "c"});
  EXPECT_EQ(Run({"lindex", "l", "-1"}), Bulk("c"));
  EXPECT_EQ(Run({"lindex", "l", "3"}), kNil);
  EXPECT_EQ(Run({"lset", "l", "1", "B"}), kOK);
  EXPECT_EQ(Run({"lset", "l", "-4", "B"}), Err("ERR index out of range"));
  EXPECT_EQ(Run({"lset", "nokey", "0", "B"}), Err("ERR no such key"));
  EXPECT_EQ(Run({"lrange", "l", "-100", "100"}), Array({Bulk("a"), Bulk("B"), Bulk("c")}));
}

TEST_F(ListFamilyTest, MiddleEditsKeepLayoutCompact) {
  Run({"rpush", "l", "a", "b", "c", "d", "b"});
  EXPECT_EQ(Run({"linsert", "l", "before", "c", "X"}), Int(6));
  EXPECT_EQ(Run({"linsert", "l", "after", "nope", "X"}), Int(-1));
  EXPECT_EQ(Run({"lrem", "l", "-1", "b"}), Int(1));
  EXPECT_EQ(Run({"lrange", "l", "0", "-1"}),
            Array({Bulk("a"), Bulk("b"), Bulk("X"), Bulk("c"), Bulk("d")}));
  EXPECT_EQ(StoreKeysOf("l"), 6u);  // meta + 5 elements: no stale subkeys left behind
  EXPECT_EQ(Run({"ltrim", "l", "1", "-2"}), kOK);
  EXPECT_EQ(Run({"lrange", "l", "0", "-1"}), Array({Bulk("b"), Bulk("X"), Bulk("c")}));
  EXPECT_EQ(StoreKeysOf("l"), 4u);
  EXPECT_EQ(Run({"lrem", "l", "0", "X"}), Int(1));
  EXPECT_EQ(Run({"lrange", "l", "0", "-1"}), Array({Bulk("b"), Bulk("c")}));
  EXPECT_EQ(Run({"ltrim", "l", "5", "1"}), kOK);
  EXPECT_EQ(Run({"exists", "l"}), Int(0));
  EXPECT_EQ(StoreKeysOf("l"), 0u);
}

TEST_F(ListFamilyTest, LPos) {
  Run({"rpush", "l", "a", "b", "a", "c", "a"});
  EXPECT_EQ(Run({"lpos", "l", "a"}), Int(0));
  EXPECT_EQ(Run({"lpos", "l", "a", "rank", "-1"}), Int(4));
  EXPECT_EQ(Run({"lpos", "l", "a", "count", "0"}), Array({Int(0), Int(2), Int(4)}));
  EXPECT_EQ(Run({"lpos", "l", "a", "rank", "2", "count", "1"}), Array({Int(2)}));
  EXPECT_EQ(Run({"lpos", "l", "a", "count", "0", "maxlen", "3"}), Array({Int(0), Int(2)}));
  EXPECT_EQ(Run({"lpos", "l", "z"}), kNil);
  EXPECT_EQ(Run({"lpos", "l", "a", "rank", "0"}).substr(0, 25), "-ERR RANK can't be zero: ");
}

TEST_F(ListFamilyTest, MoveSameAndOtherKey) {
  Run({"rpush", "l", "a", "b", "c"});
  EXPECT_EQ(Run({"rpoplpush", "l", "l"}), Bulk("c"));
  EXPECT_EQ(Run({"lrange", "l", "0", "-1"}), Array({Bulk("c"), Bulk("a"), Bulk("b")}));
  EXPECT_EQ(Run({"lmove", "l", "m", "left", "right"}), Bulk("c"));
  EXPECT_EQ(Run({"set", "s", "x"}), kOK);
  EXPECT_EQ(Run({"lmove", "l", "s", "left", "right"}),
            Err("WRONGTYPE Operation against a key holding the wrong kind of value"));
  EXPECT_EQ(Run({"lrange", "l", "0", "-1"}), Array({Bulk("a"), Bulk("b")}));
  EXPECT_EQ(Run({"lmove", "nokey", "s", "left", "right"}), kNil);
}

TEST_F(ListFamilyTest, BlockingPopParksAndIsWokenByPush) {
  auto waiter = NewClient();
  std::vector<std::string> args = {"blpop", "q1", "q2", "0"};
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string out;
  bool resumed = false;
  bool done = server_.driver().Execute(waiter->session(), views, &out, server_.shared_executor(),
                                       [&resumed] { resumed = true; });
  server_.executor().RunUntilIdle();
  ASSERT_FALSE(done);
  EXPECT_FALSE(resumed);  // parked: no reply while both lists are empty
  EXPECT_EQ(out, "");
  EXPECT_EQ(Run({"rpush", "q2", "x", "y"}), Int(2));
  server_.executor().RunUntilIdle();
  EXPECT_TRUE(resumed);
  EXPECT_EQ(out, Array({Bulk("q2"), Bulk("x")}));
  EXPECT_EQ(Run({"lrange", "q2", "0", "-1"}), Array({Bulk("y")}));
}

TEST_F(ListFamilyTest, BlockingTimeoutAndErrors) {
  // The test executor runs delayed work once everything else is idle: the timeout fires.
  EXPECT_EQ(Run({"blpop", "q", "0.5"}), kNilArray);
  EXPECT_EQ(Run({"blpop", "q", "x"}), Err("ERR timeout is not a float or out of range"));
  EXPECT_EQ(Run({"blpop", "q", "-1"}), Err("ERR timeout is negative"));
  Run({"rpush", "q", "v"});
  EXPECT_EQ(Run({"brpop", "nokey", "q", "1"}), Array({Bulk("q"), Bulk("v")}));
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"blpop", "q", "0"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({kNilArray}));
}

}  // namespace
}  // namespace petacore::testing
