// eval_fuzz.cc — libFuzzer target for EVAL: random scripts and random KEYS/ARGV through the
// real server::Driver on a fresh standalone store (LocalCommitter), as command_fuzz.cc does.
//
// The input drives a small grammar of Lua snippets (FuzzedDataProvider): locals, tables,
// if/for/while (endless loops included), pcall and error, redis.call / redis.pcall of a set of
// commands (some refused in scripts, some blocking, unknown ones), redis.error_reply /
// status_reply / sha1hex, cjson encode/decode, bit, string and table functions, and returns
// of every Lua type. Sometimes the rest of the input is compiled as a script's bytes as they
// are (SCRIPT LOAD: syntax errors, bytecode). Each input runs up to kMaxCommands commands on one
// session: EVAL, EVALSHA of an earlier script, EVAL_RO, EVAL inside MULTI/EXEC, SCRIPT LOAD/FLUSH,
// and data-setting commands on the keys scripts use.
//
// No crash, no sanitizer finding, no leak, no hang: every script is stopped after
// kInstructionLimit Lua instructions (commands/lua_busy.h SetInstructionLimitForTesting — with
// no other client, nothing could send SCRIPT KILL), and every command must reply. Sizes stay
// small (string.rep counts, loop bounds) so memory stays bounded.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/session.h"
#include "commands/lua_busy.h"
#include "commands/lua_engine.h"
#include "commands/table.h"
#include "replication/local_committer.h"
#include "server/driver.h"
#include "server/server_state.h"
#include "tests/fuzz/queue_executor.h"

namespace {

using namespace petacore;

constexpr size_t kMaxCommands = 8;
constexpr int64_t kInstructionLimit = 200000;
constexpr int kMaxDepth = 3;

struct Harness {
  server::ServerState state;
  server::Driver driver{state};
  std::shared_ptr<fuzz::QueueExecutor> executor = std::make_shared<fuzz::QueueExecutor>();
  client::Session session;

  Harness() {
    state.committer = std::make_unique<replication::LocalCommitter>(state.store, 16);
    state.start_ms = 1;
    session.id = state.next_client_id.fetch_add(1);
    std::lock_guard lock(state.clients_mu);
    state.clients[session.id] = &session;
  }
  ~Harness() {
    std::lock_guard lock(state.clients_mu);
    state.clients.clear();
  }

  // Runs one command to its reply; aborts if it never comes. EVAL_FUZZ_PRINT=1 prints each
  // command and its reply (to look at what the grammar produces).
  void Run(const std::vector<std::string>& owned) {
    std::vector<std::string_view> args(owned.begin(), owned.end());
    std::string out;
    bool resumed = false;
    bool done = driver.Execute(session, args, &out, executor, [&resumed] { resumed = true; });
    executor->RunUntilIdle();
    if ((!done && !resumed) || out.empty()) std::abort();
    if (print) {
      for (const auto& a : owned) std::fprintf(stderr, "%s | ", a.c_str());
      std::fprintf(stderr, "\n=> %s\n", out.c_str());
    }
  }

  const bool print = std::getenv("EVAL_FUZZ_PRINT") != nullptr;
};

constexpr std::array<const char*, 6> kKeys = {"k1", "k2", "h", "l", "z", "s"};
constexpr std::array<const char*, 8> kValues = {"1",   "-7",   "3.5", "",
                                                "abc", "\\0x", "{}",  "[1,2,{\"a\":null}]"};

/// Builds a script from the grammar; every choice comes from the fuzzer's bytes.
class ScriptBuilder {
 public:
  explicit ScriptBuilder(FuzzedDataProvider& in) : in_(in) {}

  std::string Build() {
    std::string out;
    Block(&out, 0);
    if (in_.ConsumeBool()) out += "return " + Expr(0) + "\n";
    return out;
  }

 private:
  int Pick(int n) { return in_.ConsumeIntegralInRange<int>(0, n - 1); }

  std::string Var() {
    if (vars_ == 0) return "nil";
    return "v" + std::to_string(Pick(vars_));
  }

  std::string StringLit() {
    static constexpr std::array<const char*, 8> kStrings = {
        "'a'", "''", "'hello world'", "'12'", "'-3.25'", "'\\0nul'", "'ERR x'", "'{\"k\":[1,2]}'"};
    return kStrings[Pick(kStrings.size())];
  }

  std::string Key() {
    switch (Pick(3)) {
      case 0:
        return "KEYS[" + std::to_string(Pick(3) + 1) + "]";
      case 1:
        return std::string("'") + kKeys[Pick(kKeys.size())] + "'";
      default:
        return "'undeclared'";
    }
  }

  std::string Call(int depth) {
    static constexpr std::array<const char*, 26> kCommands = {
        "GET",    "SET",  "INCR",     "DEL",    "HSET",   "HGETALL", "LPUSH", "LRANGE", "ZADD",
        "ZRANGE", "SADD", "SMEMBERS", "EXISTS", "TYPE",   "EXPIRE",  "TTL",   "MGET",   "APPEND",
        "PING",   "EVAL", "BLPOP",    "NOPE",   "SELECT", "SCRIPT",  "MULTI", "INFO"};
    std::string call = in_.ConsumeBool() ? "redis.call(" : "redis.pcall(";
    call += std::string("'") + kCommands[Pick(kCommands.size())] + "'";
    const int args = Pick(4);
    for (int i = 0; i < args; ++i) call += ", " + (i == 0 ? Key() : Expr(depth + 1));
    return call + ")";
  }

  std::string Expr(int depth) {
    const int choices = depth >= kMaxDepth ? 8 : 26;
    switch (Pick(choices)) {
      case 0:
        return std::to_string(in_.ConsumeIntegralInRange<int>(-100, 100));
      case 1:
        return StringLit();
      case 2:
        return "ARGV[" + std::to_string(Pick(3) + 1) + "]";
      case 3:
        return Key();
      case 4:
        return Var();
      case 5:
        return Pick(2) ? "true" : "false";
      case 6:
        return "nil";
      case 7:
        return "3.75";
      case 8:
        return Call(depth);
      case 9:
        return "{" + Expr(depth + 1) + ", " + Expr(depth + 1) + "}";
      case 10:
        return "{err=" + Expr(depth + 1) + "}";
      case 11:
        return "{ok=" + StringLit() + "}";
      case 12:
        return "cjson.encode(" + Expr(depth + 1) + ")";
      case 13:
        return "cjson.decode(" + Expr(depth + 1) + ")";
      case 14:
        return "string.rep(" + Expr(depth + 1) + ", " + std::to_string(Pick(50)) + ")";
      case 15:
        return "tostring(" + Expr(depth + 1) + ")";
      case 16:
        return "tonumber(" + Expr(depth + 1) + ")";
      case 17:
        return "(" + Expr(depth + 1) + " .. " + Expr(depth + 1) + ")";
      case 18:
        return "(" + Expr(depth + 1) + " + " + Expr(depth + 1) + ")";
      case 19:
        return "#" + Var();
      case 20:
        return "redis.error_reply(" + Expr(depth + 1) + ")";
      case 21:
        return "redis.status_reply(" + Expr(depth + 1) + ")";
      case 22:
        return "redis.sha1hex(" + Expr(depth + 1) + ")";
      case 23:
        return "bit.band(" + Expr(depth + 1) + ", 255)";
      case 24:
        return "table.concat({" + Expr(depth + 1) + ", " + Expr(depth + 1) + "}, ',')";
      default:
        return "string.format('%s', " + Expr(depth + 1) + ")";
    }
  }

  void Block(std::string* out, int depth) {
    const int statements = Pick(depth == 0 ? 6 : 3) + 1;
    const int outer_vars = vars_;  // locals declared in this block end with it
    for (int i = 0; i < statements && in_.remaining_bytes() > 0; ++i) Statement(out, depth);
    if (depth > 0) vars_ = outer_vars;  // the top level's stay for the final return
  }

  void Statement(std::string* out, int depth) {
    const int choices = depth >= kMaxDepth ? 4 : 12;
    switch (Pick(choices)) {
      case 0:  // a new local: never reassigned, so no value grows across loop iterations
        *out += "local v" + std::to_string(vars_) + " = " + Expr(depth) + "\n";
        ++vars_;
        break;
      case 1:
        *out += Call(depth) + "\n";
        break;
      case 2:
        if (vars_ > 0) {  // a table field set (errors when the local is not a table)
          const std::string v = Var();
          *out += "if type(" + v + ") == 'table' then " + v + "[1] = " + Expr(depth) + " end\n";
        }
        break;
      case 3:
        if (Pick(4) == 0) *out += "return " + Expr(depth) + "\n";
        break;
      case 4:
        *out += "if " + Expr(depth) + " then\n";
        Block(out, depth + 1);
        *out += "else\n";
        Block(out, depth + 1);
        *out += "end\n";
        break;
      case 5:
        *out += "for i = 1, " + std::to_string(Pick(20)) + " do\n";
        Block(out, depth + 1);
        *out += "end\n";
        break;
      case 6:  // endless: the instruction limit stops it
        *out += "while true do\n";
        Block(out, depth + 1);
        *out += "end\n";
        break;
      case 7:
        *out += "error(" + Expr(depth) + ")\n";
        break;
      case 8:
        *out += "pcall(function()\n";
        Block(out, depth + 1);
        *out += "end)\n";
        break;
      case 9:
        *out += "local ok, e = pcall(" + std::string(Pick(2) ? "redis.call" : "error") + ", " +
                Expr(depth) + ")\n";
        break;
      case 10:
        if (Pick(8) == 0) {  // refused: "Script attempted to create global variable"
          *out += "global_" + std::to_string(Pick(3)) + " = " + Expr(depth) + "\n";
        } else {
          *out += "local t" + std::to_string(depth) + " = {} for j = 1, " +
                  std::to_string(Pick(10)) + " do t" + std::to_string(depth) +
                  "[j] = " + Expr(depth) + " end\n";
        }
        break;
      default:
        *out += "redis.log(redis.LOG_DEBUG, " + Expr(depth) + ")\n";
        break;
    }
  }

  FuzzedDataProvider& in_;
  int vars_ = 0;  ///< locals v0 .. v<vars_-1> are in scope
};

std::vector<std::string> EvalCommand(FuzzedDataProvider& in, std::string verb, std::string body) {
  std::vector<std::string> cmd = {std::move(verb), std::move(body)};
  const int keys = in.ConsumeIntegralInRange<int>(0, 3);
  const int args = in.ConsumeIntegralInRange<int>(0, 3);
  cmd.push_back(std::to_string(keys));
  for (int i = 0; i < keys; ++i)
    cmd.push_back(kKeys[in.ConsumeIntegralInRange<size_t>(0, kKeys.size() - 1)]);
  for (int i = 0; i < args; ++i) {
    cmd.push_back(
        in.ConsumeBool()
            ? std::string(kValues[in.ConsumeIntegralInRange<size_t>(0, kValues.size() - 1)])
            : in.ConsumeRandomLengthString(16));
  }
  return cmd;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  commands::Table();  // built once, as the server does before any thread uses it
  commands::lua::SetInstructionLimitForTesting(kInstructionLimit);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Harness h;
  std::vector<std::string> shas;
  for (size_t n = 0; n < kMaxCommands && in.remaining_bytes() > 0; ++n) {
    switch (in.ConsumeIntegralInRange<int>(0, 9)) {
      case 0:  // data for the scripts to read
        h.Run({"MSET", "k1", "5", "k2", "x"});
        h.Run({"HSET", "h", "f", "1", "g", "two"});
        h.Run({"RPUSH", "l", "a", "b", "c"});
        h.Run({"ZADD", "z", "1", "a", "2.5", "b"});
        break;
      case 1: {  // the rest of the input as the script's bytes: compiled only (a free-form
                 // script could ask for any amount of memory, e.g. string.rep('x', 2^31))
        std::string body = in.ConsumeRemainingBytesAsString();
        h.Run({"SCRIPT", "LOAD", body});
        break;
      }
      case 2:
        if (!shas.empty()) {
          auto cmd = EvalCommand(in, in.ConsumeBool() ? "EVALSHA" : "EVALSHA_RO",
                                 shas[in.ConsumeIntegralInRange<size_t>(0, shas.size() - 1)]);
          h.Run(cmd);
        }
        break;
      case 3:
        h.Run({"SCRIPT", "FLUSH"});
        shas.clear();
        break;
      case 4: {  // inside MULTI/EXEC
        std::string body = ScriptBuilder(in).Build();
        h.Run({"MULTI"});
        h.Run({"SET", "k1", "7"});
        h.Run(EvalCommand(in, "EVAL", body));
        h.Run({in.ConsumeBool() ? "EXEC" : "DISCARD"});
        break;
      }
      case 5: {
        std::string body = ScriptBuilder(in).Build();
        h.Run(EvalCommand(in, "EVAL_RO", body));
        break;
      }
      default: {
        std::string body = ScriptBuilder(in).Build();
        shas.push_back(commands::lua::Sha1Hex(body));
        h.Run(EvalCommand(in, "EVAL", body));
        break;
      }
    }
  }
  commands::lua::ForgetCompiled();  // the thread's compiled scripts would grow without bound
  return 0;
}
