// Busy scripts (commands/lua_busy.h) in process: the registry's SCRIPT KILL / FUNCTION KILL
// answers (Redis 7.0.15's scriptKill), the Driver's BUSY replies and allow-busy commands, and
// a busy script serving another client of its own thread through the thread's event pump —
// the path a --threads 1 server takes — including a SCRIPT KILL that arrives that way.
#include "commands/lua_busy.h"

#include <string>
#include <vector>

#include "commands/lua_engine.h"
#include "test_util.h"

namespace petacore::testing {
namespace {

namespace lua = commands::lua;

const std::string kBusy = std::string(lua::kBusyEvalError) + "\r\n";
constexpr std::string_view kUnkillable =
    "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";

TEST(LuaBusyRegistry, KillAnswersAsRedis) {
  EXPECT_EQ(lua::BusyError(), "");
  EXPECT_EQ(lua::KillBusy(false), "-NOTBUSY No scripts in execution right now.");

  lua::BusyScript eval;
  lua::BusyEnter(&eval);
  EXPECT_EQ(lua::BusyError(), lua::kBusyEvalError);
  // FUNCTION KILL of an EVAL script: the EVAL's BUSY text, and the script is not marked.
  EXPECT_EQ(lua::KillBusy(true), lua::kBusyEvalError);
  EXPECT_FALSE(eval.kill.load());
  eval.wrote = true;
  EXPECT_EQ(lua::KillBusy(false), kUnkillable);
  EXPECT_FALSE(eval.kill.load());
  eval.wrote = false;
  EXPECT_EQ(lua::KillBusy(false), "");
  EXPECT_TRUE(eval.kill.load());
  lua::BusyLeave(&eval);
  EXPECT_EQ(lua::BusyError(), "");

  lua::BusyScript function;
  function.function = true;
  lua::BusyEnter(&function);
  EXPECT_EQ(lua::BusyError(), lua::kBusyFunctionError);
  EXPECT_EQ(lua::KillBusy(false), lua::kBusyFunctionError);
  EXPECT_EQ(lua::KillBusy(true), "");
  EXPECT_TRUE(function.kill.load());
  lua::BusyLeave(&function);
  EXPECT_EQ(lua::KillBusy(true), "-NOTBUSY No scripts in execution right now.");
}

TEST(LuaBusyRegistry, OneKillStopsEveryKillableScript) {
  lua::BusyScript a, b, written;
  written.wrote = true;
  for (auto* s : {&a, &b, &written}) lua::BusyEnter(s);
  EXPECT_EQ(lua::KillBusy(false), "");
  EXPECT_TRUE(a.kill.load());
  EXPECT_TRUE(b.kill.load());
  EXPECT_FALSE(written.kill.load());
  for (auto* s : {&a, &b, &written}) lua::BusyLeave(s);
}

class BusyScriptTest : public CommandTest {
 protected:
  void TearDown() override {
    lua::SetThreadEventPump(nullptr);
    lua::SetInstructionLimitForTesting(0);
  }
};

TEST_F(BusyScriptTest, TheDriverAnswersBusyExceptForAllowBusyCommands) {
  auto other = NewClient();
  lua::BusyScript script;
  lua::BusyEnter(&script);
  EXPECT_EQ(other->Run({"PING"}), kBusy);
  EXPECT_EQ(other->Run({"GET", "k"}), kBusy);
  EXPECT_EQ(other->Run({"EVAL", "return 1", "0"}), kBusy);
  // MULTI is allow-busy; a command refused inside it aborts the transaction.
  EXPECT_EQ(other->Run({"MULTI"}), kOK);
  EXPECT_EQ(other->Run({"SET", "k", "v"}), kBusy);
  EXPECT_EQ(Run({"SCRIPT", "KILL"}), kOK);
  EXPECT_TRUE(script.kill.load());
  lua::BusyLeave(&script);
  EXPECT_EQ(other->Run({"EXEC"}).substr(0, 10), "-EXECABORT");
  EXPECT_EQ(other->Run({"PING"}), "+PONG\r\n");
}

TEST_F(BusyScriptTest, ABusyScriptServesItsThreadAndIsKilledFromThere) {
  server_.state().config.busy_reply_threshold_ms = 0;  // busy from the first hook call
  auto other = NewClient();
  std::vector<std::string> seen;
  int pumps = 0;
  // The thread's other client, as the io thread's ready handlers would run it.
  lua::SetThreadEventPump([&] {
    ++pumps;
    if (pumps == 1) {
      seen.push_back(other->Run({"PING"}));
      // A job admitted before the node got busy (a conflict retry, a lock wake) may reach a
      // script here: the thread's Lua state is the busy script's, so it answers BUSY.
      EXPECT_TRUE(lua::InsideEventPump());
      EXPECT_EQ(lua::Compile(lua::Sha1Hex("return 1"), "return 1"), lua::kBusyEvalError);
    }
    if (pumps == 2) seen.push_back(other->Run({"EVAL", "return 1", "0"}));
    if (pumps == 3) seen.push_back(other->Run({"SCRIPT", "KILL"}));
    return true;
  });
  std::string reply = Run({"EVAL", "local n = 0 while true do n = n + 1 end", "0"});
  EXPECT_EQ(reply.rfind("-ERR Script killed by user with SCRIPT KILL... script: ", 0), 0u) << reply;
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], kBusy);
  EXPECT_EQ(seen[1], kBusy);
  EXPECT_EQ(seen[2], kOK);
  lua::SetThreadEventPump(nullptr);
  EXPECT_EQ(other->Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(lua::BusyError(), "");
}

TEST_F(BusyScriptTest, AKilledScriptHasNoEffectAndAWrittenOneIsUnkillable) {
  server_.state().config.busy_reply_threshold_ms = 0;
  auto other = NewClient();
  // A write, then a loop: UNKILLABLE; the pump stops reporting the loop alive (a server
  // stop) to end it, which drops its write.
  std::string kill_reply;
  lua::SetThreadEventPump([&] {
    if (kill_reply.empty()) kill_reply = other->Run({"SCRIPT", "KILL"});
    return false;
  });
  std::string reply = Run({"EVAL", "redis.call('SET', 'w', '1') while true do end", "0"});
  EXPECT_EQ(kill_reply, std::string(kUnkillable) + "\r\n");
  EXPECT_EQ(reply.rfind("-ERR Script killed by user with SCRIPT KILL...", 0), 0u) << reply;
  lua::SetThreadEventPump(nullptr);
  EXPECT_EQ(Run({"GET", "w"}), kNil);
  // pcall cannot keep a killed script alive, even on one line.
  lua::SetInstructionLimitForTesting(50000);
  reply =
      Run({"EVAL", "local ok = pcall(function() while true do end end) return 'survived'", "0"});
  EXPECT_EQ(reply.rfind("-ERR Script killed by user with SCRIPT KILL...", 0), 0u) << reply;
  reply =
      Run({"EVAL",
           "redis.call('SET', 'w', '2') while true do pcall(function() while true do end end) end",
           "0"});
  EXPECT_EQ(reply.rfind("-ERR Script killed by user with SCRIPT KILL...", 0), 0u) << reply;
  EXPECT_EQ(Run({"GET", "w"}), kNil);
  EXPECT_EQ(Run({"EVAL", "return 'ok'", "0"}), Bulk("ok"));
}

}  // namespace
}  // namespace petacore::testing
