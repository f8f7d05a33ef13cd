// src/commands/script_flags.h — Redis 7.0's script flags (the shebang line of EVAL scripts,
// `#!lua flags=no-writes,allow-oom`, and the `flags` of redis.register_function) and the
// checks Redis makes before a script runs (script.c's scriptPrepareForRun, and the command
// flags processCommand derives from a script's flags). Texts as Redis 7.0.15.
//
// What each flag means here: no-writes — the script may not write (write commands fail with
// "Write commands are not allowed from read-only scripts."), and it is the only kind *_RO
// commands accept; allow-oom — a script that may write runs over maxmemory (without it, it
// is refused at start with Redis's OOM error); allow-stale, no-cluster,
// allow-cross-slot-keys — accepted with no effect (a PetaCore node has no stale-replica state
// and no cluster mode; every key of a script is in one etcd keyspace). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "commands/context.h"

namespace petacore::commands {

/// Script flag bits (Redis's SCRIPT_FLAG_*).
enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1 << 0,
  kScriptAllowOom = 1 << 1,
  kScriptAllowStale = 1 << 2,
  kScriptNoCluster = 1 << 3,
  kScriptAllowCrossSlot = 1 << 4,
  /// No shebang: an EVAL script of Redis 6's kind (flags come from the commands it calls).
  kScriptEvalCompat = 1 << 5,
};

/// The flag names in Redis's order (FUNCTION LIST lists them in this order).
struct ScriptFlagName {
  ScriptFlag flag;
  std::string_view name;
};
inline constexpr ScriptFlagName kScriptFlagNames[] = {
    {kScriptNoWrites, "no-writes"},
    {kScriptAllowOom, "allow-oom"},
    {kScriptAllowStale, "allow-stale"},
    {kScriptNoCluster, "no-cluster"},
    {kScriptAllowCrossSlot, "allow-cross-slot-keys"}};

/// Redis's sdssplitargs: splits a line into words (spaces, "double" quotes with \ escapes,
/// 'single' quotes). False on unbalanced quotes.
bool SplitArgs(std::string_view line, std::vector<std::string>* words);

/// Redis's evalExtractShebangFlags: the flags of an EVAL script body and the length of its
/// shebang line (0 without one; the line feed is not counted, so compiling body[len..] keeps
/// line numbers). A body without "#!" gets kScriptEvalCompat. Returns "" or the error text
/// ("Unexpected flag in script shebang: x", ...), to reply with ReplyWriter::Error.
std::string ParseShebang(std::string_view body, uint32_t* flags, size_t* shebang_len);

/// Whether maxmemory is set and the node's used memory (the store's bytes, as INFO's
/// used_memory and the Driver's check) is above it. Free when maxmemory is 0; otherwise it
/// reads ServerView::Stats (which briefly takes the clients mutex).
bool OverMaxmemory(ServerView& server);

/// The checks before a script with `flags` runs (scriptPrepareForRun, and processCommand's
/// denyoom on the flags of a script with a shebang); `ro`: EVAL_RO / EVALSHA_RO / FCALL_RO.
/// Writes the error and returns false when it may not run.
bool CheckScriptStart(CommandContext& ctx, uint32_t flags, bool ro);

/// Whether a script with `flags` runs read-only: *_RO commands, or no-writes (not for a
/// script without shebang).
inline bool ScriptReadOnly(uint32_t flags, bool ro) {
  return ro || (!(flags & kScriptEvalCompat) && (flags & kScriptNoWrites));
}

/// Whether the deny-oom commands a script calls are exempt from maxmemory: allow-oom
/// (Redis's SCRIPT_ALLOW_OOM; not for a script without shebang).
inline bool ScriptAllowsOom(uint32_t flags) {
  return !(flags & kScriptEvalCompat) && (flags & kScriptAllowOom);
}

}  // namespace petacore::commands
