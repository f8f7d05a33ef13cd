// Authentication and ACL checks driven through the real server::Driver (in-process,
// standalone): NOAUTH, AUTH both forms, NOPERM for commands and keys, MULTI's queue-time
// check, ACL SETUSER/DELUSER through the commit path, and the disconnect of a deleted user.
#include <gtest/gtest.h>

#include <string>

#include "tests/commands/test_util.h"

namespace petacore::testing {
namespace {

const std::string kNoAuth = Err("NOAUTH Authentication required.");
const std::string kWrongPass = Err("WRONGPASS invalid username-password pair or user is disabled.");

class AccessTest : public CommandTest {};

TEST_F(AccessTest, NoPasswordNeedsNoAuth) {
  EXPECT_EQ(Run({"set", "k", "v"}), kOK);
  EXPECT_EQ(Run({"auth", "x"}),
            Err("ERR AUTH <password> called without any password configured for the default "
                "user. Are you sure your configuration is correct?"));
  EXPECT_EQ(Run({"auth", "default", "anything"}), kOK);  // nopass: any password
  EXPECT_EQ(Run({"acl", "whoami"}), Bulk("default"));
}

TEST_F(AccessTest, RequirePass) {
  server_.state().acl.Configure("secret");
  auto c = NewClient();
  EXPECT_EQ(c->Run({"ping"}), kNoAuth);
  EXPECT_EQ(c->Run({"nosuch"}), Err("ERR unknown command 'nosuch', with args beginning with: "));
  EXPECT_EQ(c->Run({"get"}), Err("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(c->Run({"multi"}), kNoAuth);
  EXPECT_EQ(c->Run({"auth", "wrong"}), kWrongPass);
  EXPECT_EQ(c->Run({"auth", "a", "b", "c"}), Err("ERR syntax error"));
  EXPECT_TRUE(
      c->Run({"hello", "2"})
          .starts_with("-NOAUTH HELLO must be called with the client already authenticated"));
  EXPECT_EQ(c->Run({"hello", "2", "auth", "default", "bad"}), kWrongPass);
  EXPECT_EQ(c->Run({"auth", "secret"}), kOK);
  EXPECT_EQ(c->Run({"ping"}), Simple("PONG"));
  auto d = NewClient();
  EXPECT_EQ(d->Run({"hello", "2", "auth", "default", "secret", "setname", "n"}).substr(0, 4),
            "*14\r");
  EXPECT_EQ(d->Run({"client", "getname"}), Bulk("n"));
}

TEST_F(AccessTest, CommandAndKeyPermissions) {
  EXPECT_EQ(
      Run({"acl", "setuser", "bob", "on", ">pw", "~k*", "+@read", "+set", "-get", "+@transaction"}),
      kOK);
  auto c = NewClient();
  EXPECT_EQ(c->Run({"auth", "bob", "pw"}), kOK);
  EXPECT_EQ(c->Run({"acl", "whoami"}),
            Err("NOPERM this user has no permissions to run the 'acl|whoami' command"));
  EXPECT_EQ(c->Run({"set", "k1", "v"}), kOK);
  EXPECT_EQ(c->Run({"set", "x1", "v"}),
            Err("NOPERM this user has no permissions to access one of the keys used as "
                "arguments"));
  EXPECT_EQ(c->Run({"get", "k1"}),
            Err("NOPERM this user has no permissions to run the 'get' command"));
  EXPECT_EQ(c->Run({"mget", "k1", "k2"}), Array({Bulk("v"), kNil}));
  EXPECT_EQ(c->Run({"mget", "k1", "x"}).substr(0, 7), "-NOPERM");
  EXPECT_EQ(c->Run({"zunion", "2", "k1", "x1"}).substr(0, 7), "-NOPERM");  // numkeys keys
  EXPECT_EQ(c->Run({"object", "encoding", "x"}).substr(0, 7), "-NOPERM");
  // Queue-time check inside MULTI: the transaction is discarded at EXEC, as Redis.
  EXPECT_EQ(c->Run({"multi"}), kOK);
  EXPECT_EQ(c->Run({"set", "k2", "v"}), Simple("QUEUED"));
  EXPECT_EQ(c->Run({"set", "x2", "v"}).substr(0, 7), "-NOPERM");
  EXPECT_EQ(c->Run({"exec"}), Err("EXECABORT Transaction discarded because of previous errors."));
  EXPECT_EQ(Run({"exists", "k2"}), Int(0));
  // A permission change applies to the connected client at its next command.
  EXPECT_EQ(Run({"acl", "setuser", "bob", "+get"}), kOK);
  EXPECT_EQ(c->Run({"get", "k1"}), Bulk("v"));
}

// Key permissions per key spec, as Redis 7.0: "access" keys need read permission, keys the
// command inserts into, deletes from or updates need write permission.
TEST_F(AccessTest, KeyPermissionsFollowKeySpecFlags) {
  EXPECT_EQ(Run({"acl", "setuser", "rw", "on", ">pw", "%R~r*", "%W~w*", "+@all"}), kOK);
  EXPECT_EQ(Run({"set", "r1", "v"}), kOK);
  auto c = NewClient();
  EXPECT_EQ(c->Run({"auth", "rw", "pw"}), kOK);
  EXPECT_EQ(c->Run({"get", "r1"}), Bulk("v"));
  EXPECT_EQ(c->Run({"set", "w1", "v"}), kOK);           // OW + update: write only
  EXPECT_EQ(c->Run({"copy", "r1", "w2"}), Int(1));      // source RO + access, destination OW
  EXPECT_EQ(c->Run({"copy", "w1", "r2"}).substr(0, 7), "-NOPERM");
  EXPECT_EQ(c->Run({"set", "w1", "v", "get"}).substr(0, 7), "-NOPERM");  // GET: RW + access
  EXPECT_EQ(c->Run({"get", "w1"}).substr(0, 7), "-NOPERM");
  EXPECT_EQ(c->Run({"object", "encoding", "w1"}), Bulk("embstr"));  // RO, no access: any pattern
  EXPECT_EQ(c->Run({"object", "encoding", "x"}).substr(0, 7), "-NOPERM");
}

TEST_F(AccessTest, ExecRechecksQueuedCommands) {
  EXPECT_EQ(Run({"acl", "setuser", "ex", "on", "nopass", "~*", "+@all"}), kOK);
  auto c = NewClient();
  EXPECT_EQ(c->Run({"auth", "ex", "x"}), kOK);
  EXPECT_EQ(c->Run({"multi"}), kOK);
  EXPECT_EQ(c->Run({"set", "k", "v"}), Simple("QUEUED"));
  EXPECT_EQ(c->Run({"set", "a1", "v"}), Simple("QUEUED"));
  EXPECT_EQ(c->Run({"get", "k"}), Simple("QUEUED"));
  EXPECT_EQ(Run({"acl", "setuser", "ex", "-set", "resetkeys", "~a*", "~k*"}), kOK);
  const std::string changed =
      "NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
      "EXEC call. This command is no longer allowed for the following reason: ";
  EXPECT_EQ(c->Run({"exec"}),
            Array({Err(changed + "no permission to execute the command or subcommand"),
                   Err(changed + "no permission to execute the command or subcommand"), kNil}));
}

TEST_F(AccessTest, DisabledOrDeletedUsers) {
  EXPECT_EQ(Run({"acl", "setuser", "eve", "on", ">pw", "+@all", "~*"}), kOK);
  auto c = NewClient();
  EXPECT_EQ(c->Run({"auth", "eve", "pw"}), kOK);
  EXPECT_EQ(Run({"acl", "setuser", "eve", "off"}), kOK);
  auto d = NewClient();
  EXPECT_EQ(d->Run({"auth", "eve", "pw"}), kWrongPass);
  EXPECT_EQ(d->Run({"auth", "nosuch", "pw"}), kWrongPass);
  EXPECT_EQ(Run({"acl", "deluser", "eve", "nosuch"}), Int(1));
  EXPECT_EQ(Run({"acl", "deluser", "default"}), Err("ERR The 'default' user cannot be removed"));
  // The deleted user's client is disconnected (no reply) at its next command.
  EXPECT_EQ(c->Run({"ping"}), "");
  EXPECT_TRUE(c->session().close_after_reply);
}

TEST_F(AccessTest, SetUserErrorsChangeNothing) {
  EXPECT_EQ(Run({"acl", "setuser", "u", "on", ">pw", "+get"}), kOK);
  EXPECT_EQ(Run({"acl", "setuser", "u", "+set", "+nosuch"}),
            Err("ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name "
                "in ACL"));
  EXPECT_EQ(
      Run({"acl", "list"}),
      Array({Bulk("user default on nopass ~* &* +@all"),
             Bulk("user u on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 "
                  "resetchannels -@all +get")}));
  EXPECT_EQ(Run({"acl", "setuser", "a b"}),
            Err("ERR Usernames can't contain spaces or null characters"));
  EXPECT_EQ(Run({"acl", "getuser", "nosuch"}), kNil);
  EXPECT_EQ(Run({"acl", "users"}), Array({Bulk("default"), Bulk("u")}));
}

TEST_F(AccessTest, AclUsersAreInvisibleToKeyCommands) {
  EXPECT_EQ(Run({"acl", "setuser", "u"}), kOK);
  EXPECT_EQ(Run({"dbsize"}), Int(0));
  EXPECT_EQ(Run({"keys", "*"}), Array({}));
  EXPECT_EQ(Run({"flushall"}), kOK);
  EXPECT_EQ(Run({"acl", "users"}), Array({Bulk("default"), Bulk("u")}));
}

// Channel permissions through the Driver (issue 13): PUBLISH refused with Redis's text and an
// ACL LOG entry, also when queued in MULTI; a pattern must be one of the user's literally.
TEST_F(AccessTest, ChannelPermissions) {
  const std::string kNoChannel =
      Err("NOPERM this user has no permissions to access one of the channels used as arguments");
  EXPECT_EQ(Run({"acl", "setuser", "ch", "on", ">pw", "+@all", "~*", "&news.*"}), kOK);
  auto c = NewClient();
  EXPECT_EQ(c->Run({"auth", "ch", "pw"}), kOK);
  EXPECT_EQ(c->Run({"publish", "news.a", "m"}), Int(0));
  EXPECT_EQ(c->Run({"publish", "other", "m"}), kNoChannel);
  EXPECT_EQ(c->Run({"psubscribe", "news*"}), kNoChannel);
  EXPECT_EQ(c->Run({"multi"}), kOK);
  EXPECT_EQ(c->Run({"publish", "other", "m"}), kNoChannel);
  EXPECT_EQ(c->Run({"discard"}), kOK);
  std::string log = Run({"acl", "log"});
  EXPECT_EQ(log.substr(0, 4), "*3\r\n");
  for (std::string_view want : {"$7\r\nchannel\r\n", "$5\r\nother\r\n", "$5\r\nmulti\r\n",
                                "$5\r\nnews*\r\n", "$2\r\nch\r\n"}) {
    EXPECT_NE(log.find(want), std::string::npos) << want;
  }
  EXPECT_EQ(Run({"acl", "log", "reset"}), kOK);
  EXPECT_EQ(Run({"acl", "log"}), Array({}));
}

}  // namespace
}  // namespace petacore::testing
