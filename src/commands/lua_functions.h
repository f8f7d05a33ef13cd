// src/commands/lua_functions.h — Redis 7.0's function libraries (FUNCTION LOAD, FCALL) on
// the Lua engine: a library's metadata line ("#!lua name=<lib>"), loading its code in the
// load-time environment (only redis.register_function, redis.log, the LOG_* levels and the
// version constants; every other global is an error, as Redis's function_lua.c), and the
// libraries each io thread has compiled into its own Lua state.
//
// The libraries themselves live in the replicated key space, one internal key per library
// ("\xff" "function/<lib>" = its code, docs/encoding.md), written by FUNCTION LOAD / DELETE /
// FLUSH / RESTORE through their own commit (function_family.cc). A thread compiles a
// library lazily, the first time one of its functions is called or listed, and before
// running a function checks that the stored code is still the one it compiled (a changed or
// deleted library is recompiled or forgotten, never run stale). Everything here works on the
// calling thread's own state: not thread-safe across threads, by design.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keyspace/txn_view.h"

namespace petacore::commands::lua {

/// The internal keys of the libraries: kLibraryPrefix + library name -> library code.
inline constexpr std::string_view kLibraryPrefix =
    "\xff"
    "function/";
inline constexpr std::string_view kLibraryPrefixEnd =
    "\xff"
    "function0";  // '/' + 1

/// The cluster-wide script cache (EVAL, SCRIPT LOAD; script_family.cc): kScriptPrefix +
/// SHA1 -> script body. INFO number_of_cached_scripts counts them.
inline constexpr std::string_view kScriptPrefix =
    "\xff"
    "script/";
inline constexpr std::string_view kScriptPrefixEnd =
    "\xff"
    "script0";  // '/' + 1

/// The store key of library `name`.
std::string LibraryKey(std::string_view name);

/// One function a library registered.
struct FunctionInfo {
  std::string name;
  std::optional<std::string> description;
  uint32_t flags = 0;  ///< script_flags.h bits
  int ref = -2;        ///< the callback in this thread's Lua registry (LUA_NOREF: none)
};

/// A library compiled in this thread's state.
struct Library {
  std::string name;
  std::string code;                     ///< the whole code, metadata line included (what is stored)
  std::vector<FunctionInfo> functions;  ///< sorted by name
  const FunctionInfo* Find(std::string_view fn) const;
};

/// Redis's functionExtractLibMetaData and the checks of functionsCreateWithLibraryCtx that
/// precede compiling: "#!<engine> name=<lib>" on the first line, a valid library name, the
/// LUA engine. Returns "" and sets `*name`, or the error text (without "ERR ").
std::string ParseLibraryMetadata(std::string_view code, std::string* name);

/// Compiles `code` (ParseLibraryMetadata first) in this thread's state and runs its body once
/// in the load-time environment (stopped after 500 ms, as Redis's FUNCTION LOAD timeout),
/// collecting what it registers. The library is not installed in the thread's cache (Install
/// does that). Returns the library, or null with `*err` set to Redis's text without "ERR "
/// ("Error registering functions: ...", "No functions registered", ...).
std::unique_ptr<Library> Compile(std::string_view code, std::string* err);

/// Makes `lib` this thread's compiled copy of its library (replacing and releasing an older
/// one); returns it.
const Library* Install(std::unique_ptr<Library> lib);

/// Releases the Lua references of a library that is not installed (a failed FUNCTION LOAD).
void Release(Library& lib);

/// Every library stored in `txn`'s view, in name order, each compiled in this thread (from
/// the cache when the stored code is unchanged); libraries no longer stored are forgotten.
/// The whole library range is guarded (a concurrent change re-runs a command that commits).
/// A stored library that fails to compile here is left out (and logged).
std::vector<const Library*> StoredLibraries(keyspace::TxnView& txn);

/// The function `name` as stored in `txn`'s view, compiled in this thread: the library it
/// belongs to and the function; nullopt when no stored library has it. Reads (and records)
/// the library's key; a miss reads the whole library range.
struct FoundFunction {
  const Library* library;
  const FunctionInfo* function;
};
std::optional<FoundFunction> FindFunction(keyspace::TxnView& txn, std::string_view name);

}  // namespace petacore::commands::lua
