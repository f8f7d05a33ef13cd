// lua_engine.cc — compiling scripts into this thread's state and running them.
// Linked against Debian's C++ build of Lua 5.1 (liblua5.1-c++): a Lua error unwinds as a C++
// exception, so the C++ objects of redis.call's frame are destroyed properly.
#include "commands/lua_engine.h"

#include <openssl/sha.h>

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

// Stops a script that has run past its deadline, unless it has written.
void Hook(lua_State* L, lua_Debug*) {
  Frame* frame = current_frame;
  if (frame == nullptr || !frame->has_deadline) return;
  if (std::chrono::steady_clock::now() < frame->deadline) return;
  if (!frame->started_with_writes && frame->ctx->txn.has_writes()) return;  // unkillable
  lua_sethook(L, Hook, LUA_MASKLINE, 0);  // fail fast from now on, even under pcall loops
  RaiseError(L, "-BUSY Script killed: it ran longer than 10 x busy-reply-threshold without "
                "writing (PetaCore has no SCRIPT KILL yet)");
}

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
  frame.started_with_writes = ctx.txn.has_writes();
  frame.deny_oom = !opts.allow_oom && OverMaxmemory(ctx.server);  // Redis's pre-command state
  {
    const int64_t threshold_ms = ctx.server.Options().busy_reply_threshold_ms.get();
    if (threshold_ms > 0) {
      frame.has_deadline = true;
      frame.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(threshold_ms * 10);
    }
  }
  Frame* saved = current_frame;
  current_frame = &frame;
  const int saved_db = ctx.session.db;
  lua_sethook(L, Hook, LUA_MASKCOUNT, 100000);
  int rc = lua_pcall(L, is_function ? 2 : 0, 1, handler);
  lua_sethook(L, nullptr, 0, 0);
  current_frame = saved;
  ctx.session.db = saved_db;  // a SELECT inside the script ends with it, as Redis

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
