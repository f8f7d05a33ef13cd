// lua_engine.cc — compiling scripts into this thread's state and running them.
// Linked against Debian's C++ build of Lua 5.1 (liblua5.1-c++): a Lua error unwinds as a C++
// exception, so the C++ objects of redis.call's frame are destroyed properly.
#include "commands/lua_engine.h"

#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "commands/lua_internal.h"
#include "commands/script_flags.h"
#include "config/config.h"
#include "keyspace/txn_view.h"

namespace petacore::commands::lua {

thread_local Frame* current_frame = nullptr;

namespace {

// Pushes f_<sha> (or nil).
void PushFunction(lua_State* L, std::string_view sha) {
  lua_getfield(L, LUA_REGISTRYINDEX, kFunctionsKey);
  std::string name = "f_" + std::string(sha);
  lua_getfield(L, -1, name.c_str());
  lua_remove(L, -2);
}

constexpr int kHookInterval = 100000;  // Lua instructions between two hook calls, as Redis

void Hook(lua_State* L, lua_Debug*);

// Whether the script's view holds writes of the script's own (lua_busy.h: UNKILLABLE).
bool ScriptWrote(const Frame& frame) {
  return !frame.started_with_writes && frame.ctx->txn.has_writes();
}

// Stops the script: the error now, and again on every line from now on, so that a pcall loop
// cannot outlive the kill (as Redis's luaMaskCountHook). Run discards what it buffered.
[[noreturn]] void Kill(lua_State* L, Frame* frame) {
  frame->killed = true;
  lua_sethook(L, Hook, LUA_MASKLINE, 0);
  RaiseError(L, kKilledError);
}

// Every kHookInterval instructions: past busy-reply-threshold the script registers as busy
// (the node answers BUSY), serves its io thread's other connections (the thread's event
// pump: SCRIPT KILL and BUSY replies reach them), and dies when killed or when the server
// stops. docs/architecture.md "Busy scripts".
void Hook(lua_State* L, lua_Debug*) {
  Frame* frame = current_frame;
  if (frame == nullptr) return;
  if (frame->killed) RaiseError(L, kKilledError);
  frame->instructions += frame->hook_interval;
  const int64_t limit = InstructionLimitForTesting();
  if (limit > 0 && frame->instructions >= limit) Kill(L, frame);
  if (!frame->registered) {
    if (!frame->has_deadline || std::chrono::steady_clock::now() < frame->deadline) return;
    frame->busy.wrote.store(ScriptWrote(*frame), std::memory_order_release);
    BusyEnter(&frame->busy);
    frame->registered = true;
    spdlog::warn("Slow script detected: still in execution after {} milliseconds. You can try "
                 "killing the script using the {} command.",
                 frame->ctx->server.Options().busy_reply_threshold_ms.get(),
                 frame->busy.function ? "FUNCTION KILL" : "SCRIPT KILL");
  } else {
    // Before pumping: a SCRIPT KILL served by the pump decides on it.
    frame->busy.wrote.store(ScriptWrote(*frame), std::memory_order_release);
  }
  if (!PumpThreadEvents()) Kill(L, frame);  // the server is stopping
  if (frame->busy.kill.load(std::memory_order_acquire)) Kill(L, frame);
}

// Takes a busy script out of the registry however Run leaves (lua_pcall catches Lua errors,
// but not a C++ exception from outside Lua).
struct BusyGuard {
  Frame* frame;
  ~BusyGuard() {
    if (frame->registered) BusyLeave(&frame->busy);
  }
};

void PushArray(lua_State* L, std::span<const std::string_view> items) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

}  // namespace

std::string Sha1Hex(std::string_view body) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(40, '0');
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

bool IsCompiled(std::string_view sha) {
  lua_State* L = State();
  PushFunction(L, sha);
  bool found = lua_isfunction(L, -1);
  lua_pop(L, 1);
  return found;
}

std::string Compile(std::string_view sha, std::string_view body) {
  // A retried EVAL of another connection run by a busy script's event pump: the state is
  // the busy script's (lua_busy.h InsideEventPump).
  if (InsideEventPump()) return std::string(BusyError().empty() ? kBusyEvalError : BusyError());
  if (IsCompiled(sha)) return "";
  lua_State* L = State();
  if (!body.empty() && body[0] == LUA_SIGNATURE[0]) {
    return "Error compiling script (new function): user_script: bytecode is not allowed";
  }
  if (luaL_loadbuffer(L, body.data(), body.size(), "@user_script") != 0) {
    std::string err = "Error compiling script (new function): ";
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    if (s != nullptr) err.append(s, len);
    lua_pop(L, 1);
    return err;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, kSandboxKey);
  lua_setfenv(L, -2);
  lua_getfield(L, LUA_REGISTRYINDEX, kFunctionsKey);
  lua_insert(L, -2);
  std::string name = "f_" + std::string(sha);
  lua_setfield(L, -2, name.c_str());
  lua_pop(L, 1);
  return "";
}

void ForgetCompiled() {
  lua_State* L = State();
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kFunctionsKey);
  lua_gc(L, LUA_GCCOLLECT, 0);
}

void Run(CommandContext& ctx, std::span<const std::string_view> keys,
         std::span<const std::string_view> argv, const RunOptions& opts) {
  const std::string_view sha = opts.sha;
  const bool is_function = opts.function_ref != LUA_NOREF;
  if (InsideEventPump() || current_frame != nullptr) {  // see Compile
    ctx.out.Error(BusyError().empty() ? kBusyEvalError : BusyError());
    return;
  }
  lua_State* L = State();
  const int base = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, kErrHandlerKey);
  const int handler = lua_gettop(L);
  if (is_function) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, opts.function_ref);
  } else {
    PushFunction(L, sha);
  }
  if (!lua_isfunction(L, -1)) {
    lua_settop(L, base);
    ctx.out.Error(is_function ? "ERR Function not found"
                              : "-NOSCRIPT No matching script. Please use EVAL.");
    return;
  }
  // EVAL: KEYS and ARGV are globals; FCALL: the function's two arguments.
  PushArray(L, keys);
  if (!is_function) lua_setglobal(L, "KEYS");
  PushArray(L, argv);
  if (!is_function) lua_setglobal(L, "ARGV");

  Frame frame;
  frame.ctx = &ctx;
  frame.read_only = opts.read_only;
  frame.busy.function = is_function;  // FUNCTION KILL, not SCRIPT KILL, stops it
  frame.busy.name = opts.function_name;
  frame.busy.command = ctx.args;
  frame.busy.started = std::chrono::steady_clock::now();
  frame.started_with_writes = ctx.txn.has_writes();
  frame.deny_oom = !opts.allow_oom && OverMaxmemory(ctx.server);  // Redis's pre-command state
  {
    // As Redis's scriptInterrupt: busy once the run is older than the threshold (0: from the
    // first hook call).
    const int64_t threshold_ms = ctx.server.Options().busy_reply_threshold_ms.get();
    frame.has_deadline = true;
    frame.deadline = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(std::max<int64_t>(threshold_ms, 0));
  }
  frame.hook_interval = kHookInterval;
  if (const int64_t limit = InstructionLimitForTesting(); limit > 0 && limit < kHookInterval) {
    frame.hook_interval = static_cast<int>(limit);
  }
  Frame* saved = current_frame;
  current_frame = &frame;
  const int saved_db = ctx.session.db;
  int rc;
  {
    BusyGuard guard{&frame};
    lua_sethook(L, Hook, LUA_MASKCOUNT, frame.hook_interval);
    rc = lua_pcall(L, is_function ? 2 : 0, 1, handler);
    lua_sethook(L, nullptr, 0, 0);
  }
  current_frame = saved;
  ctx.session.db = saved_db;  // a SELECT inside the script ends with it, as Redis

  if (frame.killed) {
    // A killed script has no effect: what it buffered is dropped (Redis kills only scripts
    // that have not written; here a write just before the kill, or a server stop, is
    // undone too). Writes from before the script (EXEC) are not its own and stay.
    if (!frame.started_with_writes) (void)ctx.txn.BuildCommit(keyspace::Isolation::kSerializable);
    if (rc == 0) {  // the kill error was caught by pcall and the script returned on its line
      lua_settop(L, base);
      lua_pushnil(L);
      lua_setglobal(L, "KEYS");
      lua_pushnil(L);
      lua_setglobal(L, "ARGV");
      ctx.out.Error(std::string(kKilledError) + " script: " +
                    std::string(is_function ? opts.function_name : sha));
      return;
    }
  }
  if (rc == 0) {
    WriteReply(L, -1, ctx.out, 0);
  } else if (lua_istable(L, -1)) {
    std::string msg = "-";
    lua_getfield(L, -1, "err");
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    msg.append(s ? std::string_view(s, len) : std::string_view("ERR unknown error"));
    lua_pop(L, 1);
    lua_getfield(L, -1, "source");
    lua_getfield(L, -2, "line");
    if (lua_isstring(L, -2) && lua_isstring(L, -1)) {
      msg += " script: " + std::string(is_function ? opts.function_name : sha) + ", on " +
             lua_tostring(L, -2) + ":" +
             lua_tostring(L, -1) + ".";
    }
    lua_pop(L, 2);
    ctx.out.Error(msg);
  } else {
    const char* s = lua_tostring(L, -1);
    ctx.out.Error("Error running script " +
                  (is_function ? std::string(opts.function_name) : "f_" + std::string(sha)) + ", " +
                  std::string(s ? s : "execution failure").substr(0, 100));
  }
  lua_settop(L, base);
  // Drop KEYS/ARGV so large arguments are not kept alive between scripts.
  lua_pushnil(L);
  lua_setglobal(L, "KEYS");
  lua_pushnil(L);
  lua_setglobal(L, "ARGV");
}

}  // namespace petacore::commands::lua
