// MULTI / EXEC / DISCARD / WATCH through the Driver.
#include <gtest/gtest.h>

#include <string>

#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

class TxnFamilyTest : public CommandTest {};

TEST_F(TxnFamilyTest, MultiExec) {
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "v"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"incr", "n"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"get", "k"}), Simple("QUEUED"));
  EXPECT_TRUE(client_.session().in_multi);
  EXPECT_EQ(Run({"exec"}), Array({kOK, Int(1), Bulk("v")}));
  EXPECT_FALSE(client_.session().in_multi);
  EXPECT_EQ(Run({"get", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"get", "n"}), Bulk("1"));
}

TEST_F(TxnFamilyTest, QueuedWritesAreInvisibleUntilExec) {
  auto other = NewClient();
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "v"}), Simple("QUEUED"));
  EXPECT_EQ(other->Run({"get", "k"}), kNil);
  EXPECT_EQ(Run({"exec"}), Array({kOK}));
  EXPECT_EQ(other->Run({"get", "k"}), Bulk("v"));
}

TEST_F(TxnFamilyTest, EmptyExec) {
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"exec"}), "*0\r\n");
}

TEST_F(TxnFamilyTest, ExecWithoutMulti) {
  EXPECT_EQ(Run({"exec"}), Err("ERR EXEC without MULTI"));
  EXPECT_EQ(Run({"discard"}), Err("ERR DISCARD without MULTI"));
}

TEST_F(TxnFamilyTest, NestedMulti) {
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_TRUE(Run({"multi"}).starts_with("-ERR MULTI calls can not be nested"));
  EXPECT_TRUE(client_.session().in_multi);
  Run({"discard"});
}

TEST_F(TxnFamilyTest, Discard) {
  EXPECT_EQ(Run({"set", "k", "old"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "new"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"discard"}), kOK);
  EXPECT_FALSE(client_.session().in_multi);
  EXPECT_TRUE(client_.session().queued.empty());
  EXPECT_EQ(Run({"get", "k"}), Bulk("old"));
  EXPECT_EQ(Run({"exec"}), Err("ERR EXEC without MULTI"));
}

TEST_F(TxnFamilyTest, QueueingErrorAbortsExec) {
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "v"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"get"}), Err("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(Run({"exec"}), Err("EXECABORT Transaction discarded because of previous errors."));
  EXPECT_FALSE(client_.session().in_multi);
  EXPECT_EQ(Run({"get", "k"}), kNil);

  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "v"}), Simple("QUEUED"));
  EXPECT_TRUE(Run({"nosuchcommand"}).starts_with("-ERR unknown command"));
  EXPECT_EQ(Run({"exec"}), Err("EXECABORT Transaction discarded because of previous errors."));
  EXPECT_EQ(Run({"get", "k"}), kNil);
}

TEST_F(TxnFamilyTest, RuntimeErrorDoesNotAbortTheOthers) {
  EXPECT_EQ(Run({"set", "s", "text"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"incr", "s"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"set", "k", "v"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}),
            Array({Err("ERR value is not an integer or out of range"), kOK}));
  EXPECT_EQ(Run({"get", "k"}), Bulk("v"));
}

TEST_F(TxnFamilyTest, CommandsInExecSeeEarlierOnes) {
  EXPECT_EQ(Run({"multi"}), kOK);
  Run({"set", "n", "10"});
  Run({"incrby", "n", "5"});
  Run({"append", "n", "0"});
  Run({"get", "n"});
  Run({"del", "n"});
  Run({"get", "n"});
  EXPECT_EQ(Run({"exec"}), Array({kOK, Int(15), Int(3), Bulk("150"), Int(1), kNil}));
  EXPECT_EQ(Run({"get", "n"}), kNil);
}

TEST_F(TxnFamilyTest, WatchUnchangedKeyExecs) {
  EXPECT_EQ(Run({"set", "k", "1"}), kOK);
  EXPECT_EQ(Run({"watch", "k", "absent"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"incr", "k"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({Int(2)}));
  EXPECT_TRUE(client_.session().watched.empty());
}

TEST_F(TxnFamilyTest, WatchedKeyChangedByAnotherClientAbortsExec) {
  auto other = NewClient();
  EXPECT_EQ(Run({"set", "k", "1"}), kOK);
  EXPECT_EQ(Run({"watch", "k"}), kOK);
  EXPECT_EQ(other->Run({"set", "k", "2"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "3"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), kNilArray);
  EXPECT_EQ(Run({"get", "k"}), Bulk("2"));
  EXPECT_TRUE(client_.session().watched.empty());
  // The watch is gone after EXEC: the next transaction commits.
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "4"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({kOK}));
  EXPECT_EQ(Run({"get", "k"}), Bulk("4"));
}

TEST_F(TxnFamilyTest, WatchedAbsentKeyCreatedByAnotherClientAbortsExec) {
  auto other = NewClient();
  EXPECT_EQ(Run({"watch", "k"}), kOK);
  EXPECT_EQ(other->Run({"set", "k", "x"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"get", "k"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), kNilArray);
}

TEST_F(TxnFamilyTest, WatchedKeyDeletedByAnotherClientAbortsExec) {
  auto other = NewClient();
  EXPECT_EQ(Run({"set", "k", "1"}), kOK);
  EXPECT_EQ(Run({"watch", "k"}), kOK);
  EXPECT_EQ(other->Run({"del", "k"}), Int(1));
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "j", "1"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), kNilArray);
  EXPECT_EQ(Run({"get", "j"}), kNil);
}

TEST_F(TxnFamilyTest, WriteToAnotherKeyDoesNotAbort) {
  auto other = NewClient();
  EXPECT_EQ(Run({"watch", "k"}), kOK);
  EXPECT_EQ(other->Run({"set", "unrelated", "x"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "1"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({kOK}));
}

TEST_F(TxnFamilyTest, UnwatchAndDiscardForgetWatches) {
  auto other = NewClient();
  EXPECT_EQ(Run({"watch", "k"}), kOK);
  EXPECT_EQ(Run({"unwatch"}), kOK);
  EXPECT_EQ(other->Run({"set", "k", "x"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "1"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({kOK}));

  EXPECT_EQ(Run({"watch", "k"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"discard"}), kOK);
  EXPECT_EQ(other->Run({"set", "k", "y"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "2"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({kOK}));
  EXPECT_EQ(Run({"get", "k"}), Bulk("2"));
}

// Redis decides at EXEC time, before running the queued commands, whether a WATCHed key was
// touched (the CAS-dirty flag is set by the write itself), so an UNWATCH queued inside the
// transaction cannot rescue it: EXEC answers nil. Disabled: PetaCore's Driver checks
// session.watched only after running the queued commands, which a queued UNWATCH has cleared,
// so this EXEC commits (see the report; the fix belongs in src/server/driver.cc).
TEST_F(TxnFamilyTest, QueuedUnwatchDoesNotCancelTheWatch) {
  auto other = NewClient();
  EXPECT_EQ(Run({"set", "k", "1"}), kOK);
  EXPECT_EQ(Run({"watch", "k"}), kOK);
  EXPECT_EQ(other->Run({"set", "k", "2"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"unwatch"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"set", "k", "3"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), kNilArray);
  EXPECT_EQ(Run({"get", "k"}), Bulk("2"));
}

TEST_F(TxnFamilyTest, WatchInsideMultiIsAnError) {
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"watch", "k"}), Err("ERR WATCH inside MULTI is not allowed"));
  EXPECT_TRUE(client_.session().watched.empty());
  Run({"discard"});
}

TEST_F(TxnFamilyTest, DelThenFlushdbInOneExecDeletesTheKey) {
  EXPECT_EQ(Run({"set", "a", "1"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"del", "a"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"flushdb"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({Int(1), kOK}));
  EXPECT_EQ(Run({"get", "a"}), kNil);
  EXPECT_EQ(Run({"dbsize"}), Int(0));
}

TEST_F(TxnFamilyTest, FlushdbAndSetsInOneExec) {
  EXPECT_EQ(Run({"mset", "a", "1", "b", "2"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  Run({"set", "x", "1"});
  Run({"flushdb"});
  Run({"set", "y", "2"});
  Run({"flushdb"});
  Run({"set", "b", "3"});
  EXPECT_EQ(Run({"exec"}), Array({kOK, kOK, kOK, kOK, kOK}));
  EXPECT_EQ(Run({"mget", "a", "b", "x", "y"}), Array({kNil, Bulk("3"), kNil, kNil}));
  EXPECT_EQ(Run({"dbsize"}), Int(1));
}


// Redis 7 answers an EXEC aborted by a WATCHed key with a null array: "_" in RESP3.
TEST_F(TxnFamilyTest, AbortedExecIsANullInResp3) {
  auto other = NewClient();
  client_.session().protocol = 3;
  EXPECT_EQ(Run({"watch", "k"}), kOK);
  EXPECT_EQ(other->Run({"set", "k", "2"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "3"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), "_\r\n");
  EXPECT_FALSE(client_.session().in_multi);
  EXPECT_TRUE(client_.session().queued.empty());
  EXPECT_EQ(Run({"get", "k"}), Bulk("2"));
}

// Every rejection while queuing (unknown command, arity) flags the transaction; the EXECABORT
// ends it, watches included, and the next transaction starts clean.
TEST_F(TxnFamilyTest, ExecAbortEndsTheTransactionAndItsWatches) {
  EXPECT_EQ(Run({"watch", "k"}), kOK);
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"get"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Run({"set", "k", "1"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}),
            "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_FALSE(client_.session().in_multi);
  EXPECT_TRUE(client_.session().watched.empty());
  EXPECT_EQ(Run({"exec"}), "-ERR EXEC without MULTI\r\n");
  EXPECT_EQ(Run({"multi"}), kOK);
  EXPECT_EQ(Run({"set", "k", "2"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"exec"}), Array({kOK}));
  EXPECT_EQ(Run({"get", "k"}), Bulk("2"));
}

}  // namespace
}  // namespace petacore::testing
