// function_family.cc — FUNCTION LOAD / DELETE / FLUSH / LIST / DUMP / RESTORE / STATS / KILL
// / HELP, FCALL and FCALL_RO, as Redis 7.0 (functions.c). Libraries are compiled and run by
// lua_functions.h on the Lua engine (lua_engine.h).
//
// The libraries are cluster-wide: each is the internal key "\xff" "function/<lib>" holding
// its code, written by LOAD / DELETE / FLUSH / RESTORE through the command's own commit
// (kInternalWrite), so a library loaded on one node is callable on every node as soon as its
// revision is applied there, and survives restarts (it is etcd data). A function's metadata
// (its flags, description) is re-derived by compiling the code on each io thread. FCALL reads
// the library's key, so a concurrent change of that library re-runs it.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/glob.h"
#include "commands/lua_engine.h"
#include "commands/lua_busy.h"
#include "commands/lua_functions.h"
#include "commands/rdb_payload.h"
#include "commands/script_flags.h"
#include "commands/table.h"

namespace petacore::commands {
namespace {

// A library to store: its name, code, and the function names it registers, compiled in
// this thread; released unless Keep() installs it in the thread's cache.
struct NewLibrary {
  std::string name;
  std::string code;
  std::vector<std::string> functions;
  std::unique_ptr<lua::Library> compiled;

  NewLibrary() = default;
  NewLibrary(NewLibrary&&) = default;
  NewLibrary& operator=(NewLibrary&&) = default;
  ~NewLibrary() {
    if (compiled) lua::Release(*compiled);
  }
  // The library is stored by this command: this thread keeps its compiled copy (if the
  // commit fails, the copy no longer matches the stored code and is never used).
  void Keep() {
    if (compiled) lua::Install(std::move(compiled));
  }
};

// Compiles `code` as FUNCTION LOAD / RESTORE do; returns "" or the error text without "ERR ".
std::string CompileNew(std::string_view code, NewLibrary* out) {
  std::string err;
  out->compiled = lua::Compile(code, &err);
  if (out->compiled == nullptr) return err;
  out->name = out->compiled->name;
  out->code = out->compiled->code;
  out->functions.clear();
  for (const auto& fn : out->compiled->functions) out->functions.push_back(fn.name);
  return "";
}

// The first function of `lib` that a stored library other than those in `replaced` (and
// than `lib` itself) already has; "" when none.
std::string Collision(const std::vector<const lua::Library*>& stored, const NewLibrary& lib,
                      const std::vector<std::string>& replaced) {
  for (const lua::Library* other : stored) {
    if (other->name == lib.name) continue;
    if (std::find(replaced.begin(), replaced.end(), other->name) != replaced.end()) continue;
    for (const auto& fn : lib.functions) {
      if (other->Find(fn) != nullptr) return fn;
    }
  }
  return "";
}

// FUNCTION LOAD [REPLACE] <code>
void FunctionLoad(CommandContext& ctx) {
  bool replace = false;
  size_t pos = 2;
  while (pos < ctx.args.size() - 1) {
    std::string_view opt = ctx.args[pos++];
    if (EqualsIgnoreCase(opt, "replace")) {
      replace = true;
      continue;
    }
    ctx.out.Error("ERR Unknown option given: " + std::string(opt));
    return;
  }
  if (pos >= ctx.args.size()) {
    ctx.out.Error("ERR Function code is missing");
    return;
  }
  std::string_view code = ctx.args[pos];
  std::string name;
  std::string err = lua::ParseLibraryMetadata(code, &name);
  if (!err.empty()) {
    ctx.out.Error("ERR " + err);
    return;
  }
  if (!replace && ctx.txn.Get(lua::LibraryKey(name))) {
    ctx.out.Error("ERR Library '" + name + "' already exists");
    return;
  }
  NewLibrary lib;
  err = CompileNew(code, &lib);
  if (!err.empty()) {
    ctx.out.Error("ERR " + err);
    return;
  }
  std::string fn = Collision(lua::StoredLibraries(ctx.txn), lib, {});
  if (!fn.empty()) {
    ctx.out.Error("ERR Function " + fn + " already exists");
    return;
  }
  ctx.txn.Put(lua::LibraryKey(lib.name), lib.code);
  lib.Keep();
  ctx.out.Bulk(lib.name);
}

// FUNCTION DELETE <lib>
void FunctionDelete(CommandContext& ctx) {
  if (!ctx.txn.Get(lua::LibraryKey(ctx.args[2]))) {
    ctx.out.Error("ERR Library not found");
    return;
  }
  ctx.txn.Delete(lua::LibraryKey(ctx.args[2]));
  ctx.out.Ok();
}

// FUNCTION FLUSH [ASYNC|SYNC]: cluster-wide (one range delete).
void FunctionFlush(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.out.Error(ErrSubcommandSyntax(ctx.args[1], "FUNCTION"));
    return;
  }
  if (ctx.args.size() == 3 && !EqualsIgnoreCase(ctx.args[2], "sync") &&
      !EqualsIgnoreCase(ctx.args[2], "async")) {
    ctx.out.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  ctx.txn.DeleteRange(lua::kLibraryPrefix, lua::kLibraryPrefixEnd);
  ctx.out.Ok();
}

void ReplyFlags(CommandContext& ctx, uint32_t flags) {
  size_t n = 0;
  for (const auto& f : kScriptFlagNames) n += (flags & f.flag) ? 1 : 0;
  ctx.out.SetHeader(n);
  for (const auto& f : kScriptFlagNames) {
    if (flags & f.flag) ctx.out.Simple(f.name);
  }
}

// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] — libraries in name order (Redis's is its
// dictionary's order).
void FunctionList(CommandContext& ctx) {
  bool with_code = false;
  std::optional<std::string_view> pattern;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::string_view arg = ctx.args[i];
    if (!with_code && EqualsIgnoreCase(arg, "withcode")) {
      with_code = true;
      continue;
    }
    if (!pattern && EqualsIgnoreCase(arg, "libraryname")) {
      if (i >= ctx.args.size() - 1) {
        ctx.out.Error("ERR library name argument was not given");
        return;
      }
      pattern = ctx.args[++i];
      continue;
    }
    ctx.out.Error("ERR Unknown argument " + std::string(arg));
    return;
  }
  std::vector<const lua::Library*> libs;
  for (const lua::Library* lib : lua::StoredLibraries(ctx.txn)) {
    if (!pattern || GlobMatch(*pattern, lib->name)) libs.push_back(lib);
  }
  ctx.out.ArrayHeader(libs.size());
  for (const lua::Library* lib : libs) {
    ctx.out.MapHeader(with_code ? 4 : 3);
    ctx.out.Bulk("library_name");
    ctx.out.Bulk(lib->name);
    ctx.out.Bulk("engine");
    ctx.out.Bulk("LUA");
    ctx.out.Bulk("functions");
    ctx.out.ArrayHeader(lib->functions.size());
    for (const auto& fn : lib->functions) {
      ctx.out.MapHeader(3);
      ctx.out.Bulk("name");
      ctx.out.Bulk(fn.name);
      ctx.out.Bulk("description");
      if (fn.description) {
        ctx.out.Bulk(*fn.description);
      } else {
        ctx.out.NullBulk();
      }
      ctx.out.Bulk("flags");
      ReplyFlags(ctx, fn.flags);
    }
    if (with_code) {
      ctx.out.Bulk("library_code");
      ctx.out.Bulk(lib->code);
    }
  }
}

// FUNCTION DUMP: Redis's payload (opcode 245 + the code as an RDB string per library, the
// RDB version, the CRC-64). Strings are written uncompressed.
void FunctionDump(CommandContext& ctx) {
  std::string payload;
  ctx.txn.Range(lua::kLibraryPrefix, lua::kLibraryPrefixEnd,
                [&](std::string_view, std::string_view code) {
                  payload.push_back(static_cast<char>(rdb::kOpcodeFunction2));
                  rdb::AppendString(&payload, code);
                  return true;
                });
  rdb::Seal(&payload);
  ctx.out.Bulk(payload);
}

// FUNCTION RESTORE <payload> [FLUSH|APPEND|REPLACE]
void FunctionRestore(CommandContext& ctx) {
  if (ctx.args.size() > 4) {
    ctx.out.Error(ErrSubcommandSyntax(ctx.args[1], "FUNCTION"));
    return;
  }
  enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
  if (ctx.args.size() == 4) {
    std::string_view p = ctx.args[3];
    if (EqualsIgnoreCase(p, "append")) {
      policy = Policy::kAppend;
    } else if (EqualsIgnoreCase(p, "replace")) {
      policy = Policy::kReplace;
    } else if (EqualsIgnoreCase(p, "flush")) {
      policy = Policy::kFlush;
    } else {
      ctx.out.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or "
          "REPLACE.");
      return;
    }
  }
  std::string_view data = ctx.args[2];
  uint16_t version;
  if (!rdb::Verify(data, &version)) {
    ctx.out.Error("ERR DUMP payload version or checksum are wrong");
    return;
  }
  // Every library of the payload, checked among themselves as Redis's fresh library context.
  std::vector<NewLibrary> libs;
  size_t pos = 0;
  while (data.size() - pos > 10) {
    const auto type = static_cast<uint8_t>(data[pos++]);
    if (type != rdb::kOpcodeFunction2 && type != rdb::kOpcodeFunctionPreGa) {
      ctx.out.Error("ERR given type is not a function");
      return;
    }
    // Strings are read from the whole payload, footer included, as Redis's rio does.
    std::string code;
    if (type == rdb::kOpcodeFunctionPreGa) {
      // Redis 7.0 rc1/rc2: name, engine, an optional description, then the code, which
      // becomes "#!<engine> name=<name>\n<code>".
      std::string name, engine, desc, blob;
      uint64_t has_desc;
      const char* err = nullptr;
      if (!rdb::ReadString(data, &pos, &name)) {
        err = "ERR Failed loading library name";
      } else if (!rdb::ReadString(data, &pos, &engine)) {
        err = "ERR Failed loading engine name";
      } else if (!rdb::ReadLength(data, &pos, &has_desc)) {
        err = "ERR Failed loading library description indicator";
      } else if (has_desc && !rdb::ReadString(data, &pos, &desc)) {
        err = "ERR Failed loading library description";
      } else if (!rdb::ReadString(data, &pos, &blob)) {
        err = "ERR Failed loading library blob";
      }
      if (err != nullptr) {
        ctx.out.Error(err);
        return;
      }
      code = "#!" + engine + " name=" + name + "\n" + blob;
    } else if (!rdb::ReadString(data, &pos, &code)) {
      ctx.out.Error("ERR Failed loading library payload");
      return;
    }
    NewLibrary lib;
    std::string name;
    std::string err = lua::ParseLibraryMetadata(code, &name);
    if (err.empty()) {
      for (const auto& other : libs) {
        if (other.name == name) err = "Library '" + name + "' already exists";
      }
    }
    if (err.empty()) err = CompileNew(code, &lib);
    if (err.empty()) {
      for (const auto& other : libs) {
        for (const auto& fn : lib.functions) {
          if (std::find(other.functions.begin(), other.functions.end(), fn) !=
              other.functions.end()) {
            err = "Function " + fn + " already exists";
          }
        }
      }
    }
    if (!err.empty()) {
      ctx.out.Error("ERR " + err);
      return;
    }
    libs.push_back(std::move(lib));
  }
  if (policy == Policy::kFlush) {
    ctx.txn.DeleteRange(lua::kLibraryPrefix, lua::kLibraryPrefixEnd);
  } else {
    // Redis's libraryJoin: a name collision aborts (APPEND) or replaces (REPLACE); then no
    // function may collide with a library that stays.
    std::vector<std::string> replaced;
    for (const auto& lib : libs) {
      if (!ctx.txn.Get(lua::LibraryKey(lib.name))) continue;
      if (policy == Policy::kAppend) {
        ctx.out.Error("ERR Library " + lib.name + " already exists");
        return;
      }
      replaced.push_back(lib.name);
    }
    std::vector<const lua::Library*> stored = lua::StoredLibraries(ctx.txn);
    for (const auto& lib : libs) {
      std::string fn = Collision(stored, lib, replaced);
      if (!fn.empty()) {
        ctx.out.Error("ERR Function " + fn + " already exists");
        return;
      }
    }
  }
  for (auto& lib : libs) {
    ctx.txn.Put(lua::LibraryKey(lib.name), lib.code);
    lib.Keep();
  }
  ctx.out.Ok();
}

// FUNCTION STATS (allow-busy): running_script is a busy function of this node (lua_busy.h;
// a function that has not yet run past busy-reply-threshold is not listed).
void FunctionStats(CommandContext& ctx) {
  std::vector<const lua::Library*> libs = lua::StoredLibraries(ctx.txn);
  size_t functions = 0;
  for (const auto* lib : libs) functions += lib->functions.size();
  ctx.out.MapHeader(2);
  ctx.out.Bulk("running_script");
  if (auto running = lua::BusyFunction()) {
    ctx.out.MapHeader(3);
    ctx.out.Bulk("name");
    ctx.out.Bulk(running->name);
    ctx.out.Bulk("command");
    ctx.out.ArrayHeader(running->command.size());
    for (const auto& arg : running->command) ctx.out.Bulk(arg);
    ctx.out.Bulk("duration_ms");
    ctx.out.Integer(running->duration_ms);
  } else {
    ctx.out.NullBulk();
  }
  ctx.out.Bulk("engines");
  ctx.out.MapHeader(1);
  ctx.out.Bulk("LUA");
  ctx.out.MapHeader(2);
  ctx.out.Bulk("libraries_count");
  ctx.out.Integer(static_cast<int64_t>(libs.size()));
  ctx.out.Bulk("functions_count");
  ctx.out.Integer(static_cast<int64_t>(functions));
}

void FunctionKill(CommandContext& ctx) {
  std::string err = lua::KillBusy(/*function=*/true);
  if (err.empty()) {
    ctx.out.Ok();
  } else {
    ctx.out.Error(err);
  }
}

void FunctionHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored using "
      "FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
      "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
      "replace the old",
      "      libraries with the new libraries (notice that even on this option there is a "
      "chance of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help."};
  ctx.out.ArrayHeader(std::size(kLines));
  for (auto line : kLines) ctx.out.Simple(line);
}

// FCALL / FCALL_RO <function> numkeys key... arg...
void FcallGeneric(CommandContext& ctx, bool ro) {
  std::string_view name = ctx.args[1];
  auto found = lua::FindFunction(ctx.txn, name);
  if (!found) {
    ctx.out.Error("ERR Function not found");
    return;
  }
  int64_t numkeys;
  if (!ParseInt64(ctx.args[2], &numkeys)) {
    ctx.out.Error("ERR Bad number of keys provided");
    return;
  }
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 3) {
    ctx.out.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  if (numkeys < 0) {
    ctx.out.Error("ERR Number of keys can't be negative");
    return;
  }
  const uint32_t flags = found->function->flags;
  if (!CheckScriptStart(ctx, flags, ro)) return;
  auto keys = ctx.args.subspan(3, static_cast<size_t>(numkeys));
  auto argv = ctx.args.subspan(3 + static_cast<size_t>(numkeys));
  lua::RunOptions opts;
  opts.function_ref = found->function->ref;
  opts.function_name = found->function->name;
  opts.read_only = ScriptReadOnly(flags, ro);
  opts.allow_oom = ScriptAllowsOom(flags);
  lua::Run(ctx, keys, argv, opts);
}

// CommandSpec::read_only_call of FCALL: the function declares no-writes.
bool FcallReadOnlyCall(std::span<const std::string_view> args, keyspace::TxnView& view) {
  if (args.size() < 3) return false;
  auto found = lua::FindFunction(view, args[1]);
  return found && ScriptReadOnly(found->function->flags, false);
}

void Fcall(CommandContext& ctx) { FcallGeneric(ctx, false); }
void FcallRo(CommandContext& ctx) { FcallGeneric(ctx, true); }

}  // namespace

void RegisterFunctionFamily(CommandTable& t) {
  // FCALL runs as a Job (kInternalWrite: one commit per call, nothing committed when the
  // function writes nothing); FCALL_RO stays on the read path. The subcommands that change
  // libraries write their internal keys through the commit path.
  t.Add({.name = "fcall",
         .arity = -3,
         .flags = kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys | kInternalWrite,
         .acl = acl::kSlow | acl::kScripting,
         .key_specs = {{.flags = kKeyRW | kKeyAccess | kKeyUpdate,
                        .begin = Index(2),
                        .find = KeyNum(0, 1, 1),
                        .notes = "We cannot tell how the keys will be used so we assume the "
                                 "worst, RW and UPDATE"}},
         .handler = Fcall,
         .read_only_call = FcallReadOnlyCall})
      .Add({.name = "fcall_ro",
            .arity = -3,
            .flags = kReadOnly | kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys,
            .acl = acl::kSlow | acl::kScripting,
            .key_specs = {{.flags = kKeyRO | kKeyAccess,
                           .begin = Index(2),
                           .find = KeyNum(0, 1, 1),
                           .notes = "We cannot tell how the keys will be used so we assume the "
                                    "worst, RO and ACCESS"}},
            .handler = FcallRo})
      .Add({.name = "function",
            .arity = -2,
            .flags = 0,
            .acl = acl::kSlow,
            .subcommands = {{.name = "delete",
                             .arity = 3,
                             .flags = kWrite | kNoScript | kInternalWrite,
                             .acl = acl::kWrite | acl::kSlow | acl::kScripting,
                             .tips = {"request_policy:all_shards", "response_policy:all_succeeded"},
                             .handler = FunctionDelete},
                            {.name = "dump",
                             .arity = 2,
                             .flags = kNoScript,
                             .acl = acl::kSlow | acl::kScripting,
                             .handler = FunctionDump},
                            {.name = "flush",
                             .arity = -2,
                             .flags = kWrite | kNoScript | kInternalWrite,
                             .acl = acl::kWrite | acl::kSlow | acl::kScripting,
                             .tips = {"request_policy:all_shards", "response_policy:all_succeeded"},
                             .handler = FunctionFlush},
                            {.name = "help",
                             .arity = 2,
                             .flags = kLoading | kStale,
                             .acl = acl::kSlow | acl::kScripting,
                             .handler = FunctionHelp},
                            {.name = "kill",
                             .arity = 2,
                             .flags = kNoScript | kAllowBusy,
                             .acl = acl::kSlow | acl::kScripting,
                             .tips = {"request_policy:all_shards", "response_policy:one_succeeded"},
                             .handler = FunctionKill},
                            {.name = "list",
                             .arity = -2,
                             .flags = kNoScript,
                             .acl = acl::kSlow | acl::kScripting,
                             .tips = {"nondeterministic_output_order"},
                             .handler = FunctionList},
                            {.name = "load",
                             .arity = -3,
                             .flags = kWrite | kDenyOom | kNoScript | kInternalWrite,
                             .acl = acl::kWrite | acl::kSlow | acl::kScripting,
                             .tips = {"request_policy:all_shards", "response_policy:all_succeeded"},
                             .handler = FunctionLoad},
                            {.name = "restore",
                             .arity = -3,
                             .flags = kWrite | kDenyOom | kNoScript | kInternalWrite,
                             .acl = acl::kWrite | acl::kSlow | acl::kScripting,
                             .tips = {"request_policy:all_shards", "response_policy:all_succeeded"},
                             .handler = FunctionRestore},
                            {.name = "stats",
                             .arity = 2,
                             .flags = kNoScript | kAllowBusy,
                             .acl = acl::kSlow | acl::kScripting,
                             .tips = {"nondeterministic_output", "request_policy:all_shards",
                                      "response_policy:special"},
                             .handler = FunctionStats}}});
}

}  // namespace petacore::commands
