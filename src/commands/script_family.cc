// script_family.cc — EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD / EXISTS / FLUSH /
// KILL / HELP, as Redis 7.0 (eval.c). The Lua side is lua_engine.h.
//
// The script cache is cluster-wide: EVAL and SCRIPT LOAD store the body as the internal key
// "\xff" "script/<sha1>" through the command's own commit, so every node's replica has it and
// EVALSHA on any node finds it (reading it records the read: a concurrent SCRIPT FLUSH makes
// the EVALSHA re-run and answer NOSCRIPT). EVAL / EVALSHA run as one Job (kInternalWrite):
// every redis.call inside runs on the same TxnView, and the script commits once.
// EVAL_RO / EVALSHA_RO run on the read path: no commit, write commands refused; EVAL_RO does
// not add its script to the cluster-wide cache (it cannot commit). A shebang line
// ("#!lua flags=no-writes,allow-oom") sets the script's flags: script_flags.h.
#include <algorithm>
#include <cctype>
#include <string>

#include "commands/context.h"
#include "commands/lua_busy.h"
#include "commands/lua_engine.h"
#include "commands/lua_functions.h"
#include "commands/script_flags.h"
#include "commands/table.h"

namespace petacore::commands {
namespace {

using lua::kScriptPrefix;
using lua::kScriptPrefixEnd;
constexpr std::string_view kErrNoScript = "-NOSCRIPT No matching script. Please use EVAL.";

std::string ScriptKey(std::string_view sha) {
  std::string key(kScriptPrefix);
  key.append(sha);
  return key;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Stores `body` under its sha unless the view already has it (an unchanged cache writes
// nothing, so a read-only EVAL of a known script commits nothing).
void StoreScript(CommandContext& ctx, std::string_view sha, std::string_view body) {
  std::string key = ScriptKey(sha);
  if (!ctx.txn.Get(key)) ctx.txn.Put(key, std::string(body));
}

// evalGenericCommand's numkeys checks; false after replying the error.
bool ParseNumKeys(CommandContext& ctx, int64_t* numkeys) {
  if (!ParseInt64(ctx.args[2], numkeys)) {
    ctx.out.Error(kErrNotInteger);
    return false;
  }
  if (*numkeys > static_cast<int64_t>(ctx.args.size()) - 3) {
    ctx.out.Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (*numkeys < 0) {
    ctx.out.Error("ERR Number of keys can't be negative");
    return false;
  }
  return true;
}

// Compiles `body` (its shebang line left out, its line feed kept) unless compiled, checks
// its flags (script_flags.h) and runs it. `ro`: EVAL_RO / EVALSHA_RO. Returns false when the
// script was refused before running — it does not compile (a bad shebang or Lua syntax) or
// its flags refuse it over maxmemory (Redis's processCommand) — and is not to be cached.
bool RunScript(CommandContext& ctx, std::string_view sha, std::string_view body,
               int64_t numkeys, bool ro) {
  uint32_t flags;
  size_t shebang_len;
  std::string err = ParseShebang(body, &flags, &shebang_len);
  if (err.empty() && !lua::IsCompiled(sha)) err = lua::Compile(sha, body.substr(shebang_len));
  if (!err.empty()) {
    ctx.out.Error(err);
    return false;
  }
  if (!CheckScriptStart(ctx, flags, ro)) return false;
  auto keys = ctx.args.subspan(3, static_cast<size_t>(numkeys));
  auto argv = ctx.args.subspan(3 + static_cast<size_t>(numkeys));
  lua::RunOptions opts;
  opts.sha = sha;
  opts.read_only = ScriptReadOnly(flags, ro);
  opts.allow_oom = ScriptAllowsOom(flags);
  lua::Run(ctx, keys, argv, opts);
  return true;
}

void EvalGeneric(CommandContext& ctx, bool read_only) {
  int64_t numkeys;
  if (!ParseNumKeys(ctx, &numkeys)) return;
  std::string_view body = ctx.args[1];
  std::string sha = lua::Sha1Hex(body);
  if (!RunScript(ctx, sha, body, numkeys, read_only)) return;
  // After the run, so that a script that has not written is still recognisable as such
  // while it runs (lua_engine.h's time limit).
  if (!read_only) StoreScript(ctx, sha, body);
}

void EvalShaGeneric(CommandContext& ctx, bool read_only) {
  if (ctx.args[1].size() != 40) {
    ctx.out.Error(kErrNoScript);
    return;
  }
  int64_t numkeys;
  if (!ParseNumKeys(ctx, &numkeys)) return;
  std::string sha = Lower(ctx.args[1]);
  auto body = ctx.txn.Get(ScriptKey(sha));  // the cluster-wide cache decides
  if (!body) {
    ctx.out.Error(kErrNoScript);
    return;
  }
  RunScript(ctx, sha, *body, numkeys, read_only);  // the view outlives the run: scripts
                                                   // cannot write the script cache
}

// CommandSpec::read_only_call of EVALSHA: the cached script declares no-writes.
bool EvalShaReadOnlyCall(std::span<const std::string_view> args, keyspace::TxnView& view) {
  if (args.size() < 3 || args[1].size() != 40) return false;
  auto body = view.Get(ScriptKey(Lower(args[1])));
  if (!body) return false;
  uint32_t flags;
  size_t shebang_len;
  return ParseShebang(*body, &flags, &shebang_len).empty() && ScriptReadOnly(flags, false);
}

// CommandSpec::read_only_call of EVAL: the script declares no-writes and is cached already
// (an EVAL adds its script to the cluster-wide cache, which needs the write path).
bool EvalReadOnlyCall(std::span<const std::string_view> args, keyspace::TxnView& view) {
  if (args.size() < 3 || !args[1].starts_with("#!")) return false;
  uint32_t flags;
  size_t shebang_len;
  if (!ParseShebang(args[1], &flags, &shebang_len).empty() || !ScriptReadOnly(flags, false)) {
    return false;
  }
  return view.Get(ScriptKey(lua::Sha1Hex(args[1]))).has_value();
}

void Eval(CommandContext& ctx) { EvalGeneric(ctx, false); }
void EvalRo(CommandContext& ctx) { EvalGeneric(ctx, true); }
void EvalSha(CommandContext& ctx) { EvalShaGeneric(ctx, false); }
void EvalShaRo(CommandContext& ctx) { EvalShaGeneric(ctx, true); }

void ScriptLoad(CommandContext& ctx) {
  std::string_view body = ctx.args[2];
  std::string sha = lua::Sha1Hex(body);
  uint32_t flags;
  size_t shebang_len;
  std::string err = ParseShebang(body, &flags, &shebang_len);
  if (err.empty()) err = lua::Compile(sha, body.substr(shebang_len));
  if (!err.empty()) {
    ctx.out.Error(err);
    return;
  }
  StoreScript(ctx, sha, body);
  ctx.out.Bulk(sha);
}

void ScriptExists(CommandContext& ctx) {
  ctx.out.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    bool found = ctx.args[i].size() == 40 && ctx.txn.Get(ScriptKey(Lower(ctx.args[i])));
    ctx.out.Integer(found ? 1 : 0);
  }
}

void ScriptFlush(CommandContext& ctx) {
  if (ctx.args.size() > 3 ||
      (ctx.args.size() == 3 && !EqualsIgnoreCase(ctx.args[2], "sync") &&
       !EqualsIgnoreCase(ctx.args[2], "async"))) {
    ctx.out.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  ctx.txn.DeleteRange(kScriptPrefix, kScriptPrefixEnd);
  lua::ForgetCompiled();  // this thread's compiled copies; others are keyed by body hash
  ctx.out.Ok();
}

// As Redis's scriptKill (lua_busy.h): marks the busy scripts that have not written; each
// raises "Script killed by user with SCRIPT KILL..." at its next hook call.
void ScriptKill(CommandContext& ctx) {
  std::string err = lua::KillBusy(/*function=*/false);
  if (err.empty()) {
    ctx.out.Ok();
  } else {
    ctx.out.Error(err);
  }
}

void ScriptHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help."};
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

// SCRIPT DEBUG YES|SYNC|NO: NO (the mode every script runs in) answers +OK; YES and SYNC,
// Redis's Lua debugger (LDB), are refused: PetaCore runs a script inside one commit and has
// no debugger session to step it (docs/operations.md, "SCRIPT DEBUG").
void ScriptDebug(CommandContext& ctx) {
  if (ctx.session.in_multi) {
    return ctx.out.Error("ERR SCRIPT DEBUG must be called outside MULTI");
  }
  if (EqualsIgnoreCase(ctx.args[2], "no")) return ctx.out.Ok();
  if (EqualsIgnoreCase(ctx.args[2], "yes") || EqualsIgnoreCase(ctx.args[2], "sync")) {
    return ctx.out.Error(
        "ERR SCRIPT DEBUG YES/SYNC is not supported: PetaCore has no Lua debugger");
  }
  ctx.out.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
}

}  // namespace

void RegisterScriptFamily(CommandTable& t) {
  // EVAL / EVALSHA run as Jobs (kInternalWrite: the commit path, one commit per script);
  // the _RO variants stay on the read path. SCRIPT LOAD / FLUSH write the cache's keys.
  t.Add({.name = "eval",
         .arity = -3,
         .flags = kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys | kInternalWrite,
         .acl = acl::kSlow | acl::kScripting,
         .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                        .begin = Index(2),
                        .find = KeyNum(0, 1, 1),
                        .notes = "We cannot tell how the keys will be used so we assume the "
                                 "worst, RW and UPDATE"}},
         .handler = Eval,
         .read_only_call = EvalReadOnlyCall})
      .Add({.name = "evalsha",
            .arity = -3,
            .flags = kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys | kInternalWrite,
            .acl = acl::kSlow | acl::kScripting,
            .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                           .begin = Index(2),
                           .find = KeyNum(0, 1, 1)}},
            .handler = EvalSha,
            .read_only_call = EvalShaReadOnlyCall})
      .Add({.name = "eval_ro",
            .arity = -3,
            .flags = kReadOnly | kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys,
            .acl = acl::kSlow | acl::kScripting,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = KeyNum(0, 1, 1),
                           .notes = "We cannot tell how the keys will be used so we assume the "
                                    "worst, RO and ACCESS"}},
            .handler = EvalRo})
      .Add({.name = "evalsha_ro",
            .arity = -3,
            .flags = kReadOnly | kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys,
            .acl = acl::kSlow | acl::kScripting,
            .key_specs = {{.flags = kKeyRO | kKeyAccess, .begin = Index(2), .find = KeyNum(0, 1, 1)}},
            .handler = EvalShaRo})
      .Add({.name = "script",
            .arity = -2,
            .flags = 0,
            .acl = acl::kSlow,
            .subcommands = {{.name = "debug",
                             .arity = 3,
                             .flags = kNoScript,
                             .acl = acl::kSlow | acl::kScripting,
                             .handler = ScriptDebug},
                            {.name = "exists",
                             .arity = -3,
                             .flags = kNoScript,
                             .acl = acl::kSlow | acl::kScripting,
                             .tips = {"request_policy:all_shards", "response_policy:agg_logical_and"},
                             .handler = ScriptExists},
                            {.name = "flush",
                             .arity = -2,
                             .flags = kNoScript | kInternalWrite,
                             .acl = acl::kSlow | acl::kScripting,
                             .tips = {"request_policy:all_nodes", "response_policy:all_succeeded"},
                             .handler = ScriptFlush},
                            {.name = "help",
                             .arity = 2,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow | acl::kScripting,
                             .handler = ScriptHelp},
                            {.name = "kill",
                             .arity = 2,
                             .flags = kNoScript | kAllowBusy,
                             .acl = acl::kSlow | acl::kScripting,
                             .tips = {"request_policy:all_shards", "response_policy:one_succeeded"},
                             .handler = ScriptKill},
                            {.name = "load",
                             .arity = 3,
                             .flags = kNoScript | kStale | kInternalWrite,
                             .acl = acl::kSlow | acl::kScripting,
                             .tips = {"request_policy:all_nodes", "response_policy:all_succeeded"},
                             .handler = ScriptLoad}}});
}

}  // namespace petacore::commands
