// src/commands/lua_internal.h — what the Lua engine's files share (not a public header:
// only lua_*.cc include it). The engine is split by concept: lua_state.cc builds a thread's
// Lua state and its sandbox, lua_convert.cc converts between RESP and Lua values,
// lua_redis_api.cc is the redis.* table, lua_engine.cc compiles and runs scripts.
// Everything here works on the calling thread's own state and is not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

extern "C" {
#include <lua.h>
}

#include "commands/context.h"
#include "commands/lua_busy.h"
#include "resp/value_parser.h"

namespace petacore::commands::lua {

// Registry keys of this engine's tables.
inline constexpr const char* kFunctionsKey = "petacore.functions";  // "f_<sha>" -> function
inline constexpr const char* kSandboxKey = "petacore.sandbox";      // the scripts' global proxy
inline constexpr const char* kErrHandlerKey = "petacore.errhandler";
inline constexpr const char* kProtectedKey = "petacore.protected";  // weak set of read-only proxies

/// The RESP version redis.setresp chose in the running (or just finished) script of this
/// thread: 2 or 3. Every Frame's construction resets it to 2, so each run starts in RESP2 (as
/// Redis's prepareLuaClient), and it stays readable while the finished run's reply is written.
extern thread_local int script_resp;

/// What a running script's redis.call needs: the caller's command and the script's mode;
/// and what its hook needs (lua_engine.cc): when it becomes busy, its entry in the node's
/// busy registry (lua_busy.h), whether it was killed.
struct Frame {
  Frame() { script_resp = 2; }
  CommandContext* ctx = nullptr;
  bool read_only = false;
  /// The view had writes before the script started (a script inside EXEC after writes):
  /// those are not the script's, so they neither make it unkillable nor are discarded.
  bool started_with_writes = false;
  /// Deny-oom commands are refused until the script writes (over maxmemory at its start,
  /// not allow-oom): Redis's scriptVerifyOOM.
  bool deny_oom = false;
  /// When the script becomes busy (start + busy-reply-threshold).
  std::chrono::steady_clock::time_point deadline{};
  bool has_deadline = false;
  BusyScript busy;  ///< registered in the busy registry while `registered`
  bool registered = false;
  bool killed = false;       ///< the hook raised kKilledError once: it raises on every line
  int64_t instructions = 0;  ///< counted by the hook, for the test instruction limit
  int hook_interval = 0;     ///< instructions between two hook calls
};

/// The running script's frame on this thread (null outside a script). Set by Run.
extern thread_local Frame* current_frame;

/// This thread's Lua state, built on first use (lua_state.cc); closed when the thread ends.
lua_State* State();

/// Sets the global `redis` table: redis.call / pcall / log / ... and Redis 7.0's constants.
void OpenRedisLib(lua_State* L);

/// Pushes Redis's error table {err = "<CODE> <msg>"} (as Redis's luaPushErrorBuff): a text
/// starting with '-' carries its code up to the first space; any other text gets "ERR ".
void PushError(lua_State* L, std::string_view text);

/// Raises Redis's error table; the error handler adds source and line. Never returns (a Lua
/// error unwinds as a C++ exception under liblua5.1-c++).
[[noreturn]] void RaiseError(lua_State* L, std::string_view text);

/// Pushes a command's reply as a Lua value (Redis's redisProtocolToLuaType): `resp` is the
/// protocol the command replied in (script_resp). RESP2: null is false, a status {ok=},
/// an error {err=}. RESP3 adds: null is nil, map {map={k=v}}, set {set={m=true}}, double
/// {double=n}, big number {big_number=s}, verbatim {verbatim_string={format=,string=}},
/// booleans true/false.
void PushValue(lua_State* L, const resp::Value& v, int resp = 2);

/// Writes the Lua value at `idx` as a reply in out's protocol (the caller's), as Redis's
/// luaReplyToRedisReply: tables {err=}, {ok=}, {double=}, {big_number=}, {verbatim_string=},
/// {map=}, {set=} and arrays; booleans by script_resp (RESP2 script: true is 1, false null;
/// RESP3 script: a boolean, downgraded to 1/0 for a RESP2 caller).
/// `depth`: 0 for a script's reply. A value nested so deep that Redis's Lua stack would
/// overflow converting it (about 8000 array levels) is replied as "reached lua stack limit".
void WriteReply(lua_State* L, int idx, resp::ReplyWriter& out, int depth);

}  // namespace petacore::commands::lua
