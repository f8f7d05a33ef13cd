// src/commands/lua_engine.h — the Lua 5.1 engine behind EVAL and friends (script_family.cc):
// one Lua state per thread (thread_local, created on first use), Redis 7.0's scripting
// environment in it (the redis.* API, cjson, bit, string, table, math; no os/io/loadfile/
// dofile/print; read-only globals), the compiled scripts cached per SHA1 (named f_<sha>, as
// Redis does), and Redis's conversion rules between Lua values and RESP2 replies.
//
// A script's redis.call runs the called command's handler on the caller's TxnView, so the
// whole script is one transaction: its reads are recorded, its writes buffered and committed
// once with the caller's command (a conflict re-runs the whole script). Behaviour and error
// texts follow Redis 7.0.15 (script_lua.c, eval.c, script.c), checked against the real server
// by tests/integration/test_scripting.py. Not thread-safe across threads by design: every
// function works on the calling thread's own state.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "commands/context.h"

namespace petacore::commands::lua {

/// Lower-case hex SHA1 of `body` (40 characters), as Redis's sha1hex (OpenSSL).
std::string Sha1Hex(std::string_view body);

/// Whether `sha` (40 lower-case hex digits) names a function compiled in this thread's state.
bool IsCompiled(std::string_view sha);

/// Compiles `body` as the function f_<sha> in this thread's state unless it already is.
/// Returns "" on success, else Redis's error text ("Error compiling script (new function):
/// user_script:1: ..."), to reply with ReplyWriter::Error. Bytecode bodies are refused. Inside
/// the thread's event pump (a busy script of this thread, lua_busy.h) returns the BUSY error.
std::string Compile(std::string_view sha, std::string_view body);

/// Forgets every compiled function of this thread's state (SCRIPT FLUSH). Other threads keep
/// theirs; a compiled function is only a cache of a body named by its own SHA1, so a stale
/// entry can never run a different body (EVALSHA checks the cluster-wide cache first).
void ForgetCompiled();

/// What Run calls and under which script flags (script_flags.h).
struct RunOptions {
  /// EVAL / EVALSHA: the compiled function f_<sha> (Compile first); KEYS and ARGV are globals.
  std::string_view sha;
  /// FCALL / FCALL_RO (lua_functions.h): the registry reference of the library function to
  /// call with (keys, args) as its two arguments; LUA_NOREF (-2) for EVAL.
  int function_ref = -2;
  /// The name error texts give the function ("... script: <name>, on @user_function:3.");
  /// empty for EVAL (the sha is used).
  std::string_view function_name;
  /// Write commands are refused inside ("Write commands are not allowed from read-only
  /// scripts."): EVAL_RO / EVALSHA_RO / FCALL_RO, and no-writes scripts.
  bool read_only = false;
  /// allow-oom: deny-oom commands run even over maxmemory. Otherwise, as Redis's
  /// scriptVerifyOOM, a deny-oom command is refused with the OOM error when the node was over
  /// maxmemory as the script started and the script has not written yet.
  bool allow_oom = false;
};

/// Runs a script (opts says which) with `keys` and `argv`, and writes its reply (or its error,
/// "... script: <sha or name>, on @user_script:<line>.") to ctx.out in RESP2.
/// redis.call / redis.pcall run the called command on ctx.txn as the caller's session (ACL,
/// selected database — restored afterwards, as Redis). Past busy-reply-threshold the script
/// is busy (lua_busy.h): the node answers BUSY, the script serves its io thread's other
/// connections from its hook, and SCRIPT KILL / FUNCTION KILL stops it unless it has written
/// (a killed script's buffered writes are dropped; it fails with "ERR Script killed by user
/// with SCRIPT KILL..."). Refuses to start (BUSY) inside the thread's event pump.
void Run(CommandContext& ctx, std::span<const std::string_view> keys,
         std::span<const std::string_view> argv, const RunOptions& opts);

/// Run of the compiled function f_<sha> with no flags but `read_only` (EVAL_RO / EVALSHA_RO).
inline void Run(CommandContext& ctx, std::string_view sha, std::span<const std::string_view> keys,
                std::span<const std::string_view> argv, bool read_only) {
  RunOptions opts;
  opts.sha = sha;
  opts.read_only = read_only;
  Run(ctx, keys, argv, opts);
}

}  // namespace petacore::commands::lua
