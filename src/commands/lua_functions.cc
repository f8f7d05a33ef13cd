// lua_functions.cc — function libraries: metadata, loading (the load-time environment and
// redis.register_function, texts as Redis 7.0.15's function_lua.c and functions.c), and
// each thread's compiled libraries.
#include "commands/lua_functions.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <unordered_map>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "commands/lua_internal.h"
#include "commands/script_flags.h"

namespace petacore::commands::lua {
namespace {

constexpr const char* kEnvFactoryKey = "petacore.function_env";  // () -> env, end_load
constexpr std::chrono::milliseconds kLoadTimeout{500};           // Redis's LOAD_TIMEOUT_MS

// The load-time environment (its chunk is named "=sandbox" like the scripts' sandbox, so the
// error handler reports the user's frame, not this one). `redis` holds only what Redis 7.0's
// library API holds; any other name, global or in `redis`, is an error; nothing may be
// assigned. When the load ends,
// the environment falls through to the scripts' sandbox, which the registered functions
// then see (closures keep the environment of the chunk that made them).
constexpr const char* kEnvSource = R"lua(
local sandbox, api = ...
local error, tostring, setmetatable = error, tostring, setmetatable
local missing = "Script attempted to access nonexistent global variable '"
local function readonly() error('Attempt to modify a readonly table', 2) end
local redis = setmetatable({}, {
  __index = function(_, k)
    local v = api[k]
    if v == nil then error(missing .. tostring(k) .. "'", 2) end
    return v
  end,
  __newindex = readonly,
  __metatable = false,
})
return function()
  local mt = {__newindex = readonly, __metatable = false}
  mt.__index = function(_, k)
    if k == 'redis' then return redis end
    error(missing .. tostring(k) .. "'", 2)
  end
  local env = setmetatable({}, mt)
  return env, function() mt.__index = sandbox end
end
)lua";

// What redis.register_function adds to (null outside a load).
thread_local Library* loading = nullptr;
thread_local std::chrono::steady_clock::time_point load_deadline;

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

[[noreturn]] void RegisterError(lua_State* L, std::string_view text) {
  PushError(L, text);
  lua_error(L);
  __builtin_unreachable();
}

// Redis's luaGetStringSds: a string (or a number) at idx.
std::optional<std::string> StringAt(lua_State* L, int idx) {
  if (!lua_isstring(L, idx)) return std::nullopt;
  size_t len;
  const char* s = lua_tolstring(L, idx, &len);
  return std::string(s, len);
}

// The flags table on top of the stack; false on a flag Redis does not know.
bool ReadFlags(lua_State* L, uint32_t* flags) {
  uint32_t out = 0;
  for (int j = 1;; ++j) {
    lua_rawgeti(L, -1, j);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    auto name = StringAt(L, -1);
    lua_pop(L, 1);
    if (!name) return false;
    bool found = false;
    for (const auto& f : kScriptFlagNames) {
      if (f.name.size() == name->size() &&
          strncasecmp(f.name.data(), name->data(), name->size()) == 0) {
        out |= f.flag;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  *flags = out;
  return true;
}

void Unref(lua_State* L, int ref) {
  if (ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, ref);
}

// redis.register_function(name, callback) or redis.register_function{function_name=,
// callback=, flags=, description=}.
int RegisterFunction(lua_State* L) {
  Library* lib = loading;
  if (lib == nullptr) {
    RegisterError(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  const int argc = lua_gettop(L);
  if (argc < 1 || argc > 2)
    RegisterError(L, "wrong number of arguments to redis.register_function");
  FunctionInfo fn;
  std::optional<std::string> name;
  if (argc == 2) {
    name = StringAt(L, 1);
    if (!name) RegisterError(L, "first argument to redis.register_function must be a string");
    if (!lua_isfunction(L, 2)) {
      RegisterError(L, "second argument to redis.register_function must be a function");
    }
    lua_pushvalue(L, 2);
    fn.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    if (!lua_istable(L, 1)) {
      RegisterError(L,
                    "calling redis.register_function with a single argument is only "
                    "applicable to Lua table (representing named arguments).");
    }
    const char* err = nullptr;
    lua_pushnil(L);
    while (err == nullptr && lua_next(L, 1) != 0) {
      // Stack: table, key, value.
      if (!lua_isstring(L, -2)) {
        err = "named argument key given to redis.register_function is not a string";
        break;
      }
      lua_pushvalue(L, -2);  // a copy: lua_tostring on the key itself would confuse lua_next
      std::string key = lua_tostring(L, -1);
      lua_pop(L, 1);
      if (strcasecmp(key.c_str(), "function_name") == 0) {
        name = StringAt(L, -1);
        if (!name) err = "function_name argument given to redis.register_function must be a string";
      } else if (strcasecmp(key.c_str(), "description") == 0) {
        fn.description = StringAt(L, -1);
        if (!fn.description) {
          err = "description argument given to redis.register_function must be a string";
        }
      } else if (strcasecmp(key.c_str(), "callback") == 0) {
        if (!lua_isfunction(L, -1)) {
          err = "callback argument given to redis.register_function must be a function";
        } else {
          Unref(L, fn.ref);
          lua_pushvalue(L, -1);
          fn.ref = luaL_ref(L, LUA_REGISTRYINDEX);
        }
      } else if (strcasecmp(key.c_str(), "flags") == 0) {
        if (!lua_istable(L, -1)) {
          err =
              "flags argument to redis.register_function must be a table representing "
              "function flags";
        } else if (!ReadFlags(L, &fn.flags)) {
          err = "unknown flag given";
        }
      } else {
        err = "unknown argument given to redis.register_function";
      }
      lua_pop(L, 1);  // the value
    }
    if (err == nullptr && !name) err = "redis.register_function must get a function name argument";
    if (err == nullptr && fn.ref == LUA_NOREF)
      err = "redis.register_function must get a callback argument";
    if (err != nullptr) {
      Unref(L, fn.ref);
      RegisterError(L, err);
    }
  }
  // functionLibCreateFunction (its name error names libraries, as Redis 7.0's does).
  const char* err = nullptr;
  if (!ValidName(*name)) {
    err =
        "Library names can only contain letters, numbers, or underscores(_) and must be at "
        "least one character long";
  } else if (lib->Find(*name) != nullptr) {
    err = "Function already exists in the library";
  }
  if (err != nullptr) {
    Unref(L, fn.ref);
    RegisterError(L, err);
  }
  fn.name = std::move(*name);
  auto pos =
      std::lower_bound(lib->functions.begin(), lib->functions.end(), fn.name,
                       [](const FunctionInfo& f, const std::string& n) { return f.name < n; });
  lib->functions.insert(pos, std::move(fn));
  return 0;
}

// Stops a library body that runs past the load timeout (as Redis's luaEngineLoadHook).
void LoadHook(lua_State* L, lua_Debug*) {
  if (std::chrono::steady_clock::now() < load_deadline) return;
  lua_sethook(L, LoadHook, LUA_MASKLINE, 0);  // fail fast from now on
  RegisterError(L, "FUNCTION LOAD timeout");
}

// Pushes the environment factory, built once per state.
void PushEnvFactory(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kEnvFactoryKey);
  if (lua_isfunction(L, -1)) return;
  lua_pop(L, 1);
  if (luaL_loadbuffer(L, kEnvSource, std::strlen(kEnvSource), "=sandbox") != 0) {
    spdlog::critical("lua function environment: {}", lua_tostring(L, -1));
    std::abort();
  }
  lua_getfield(L, LUA_REGISTRYINDEX, kSandboxKey);
  // The library API: register_function, log and the constants of the scripts' redis table.
  lua_newtable(L);
  lua_pushcfunction(L, RegisterFunction);
  lua_setfield(L, -2, "register_function");
  lua_getglobal(L, "redis");
  for (const char* name : {"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING",
                           "REDIS_VERSION", "REDIS_VERSION_NUM"}) {
    lua_getfield(L, -1, name);
    lua_setfield(L, -3, name);
  }
  lua_pop(L, 1);  // redis
  lua_call(L, 2, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kEnvFactoryKey);
}

// The libraries this thread compiled, and which library each function name belonged to when
// compiled (a hint, checked against the stored code before use).
struct Cache {
  lua_State* state = nullptr;  // the state the references below belong to
  std::map<std::string, std::unique_ptr<Library>, std::less<>> libraries;
  std::unordered_map<std::string, std::string> function_library;
};

// This thread's cache; emptied if the thread's Lua state is not the one it was built in (a
// state replaced by another takes its references with it).
Cache& ThreadCache() {
  thread_local Cache cache;
  lua_State* L = State();
  if (cache.state != L) {
    cache.libraries.clear();
    cache.function_library.clear();
    cache.state = L;
  }
  return cache;
}

void Forget(Cache& cache,
            std::map<std::string, std::unique_ptr<Library>, std::less<>>::iterator it) {
  Release(*it->second);
  for (const auto& fn : it->second->functions) {
    auto hint = cache.function_library.find(fn.name);
    if (hint != cache.function_library.end() && hint->second == it->first) {
      cache.function_library.erase(hint);
    }
  }
  cache.libraries.erase(it);
}

// This thread's copy of a stored library: cached when its code is unchanged, else compiled.
const Library* Ensure(std::string_view name, std::string_view code) {
  Cache& cache = ThreadCache();
  auto it = cache.libraries.find(name);
  if (it != cache.libraries.end() && it->second->code == code) return it->second.get();
  std::string err;
  std::unique_ptr<Library> lib = Compile(code, &err);
  if (lib == nullptr || lib->name != name) {
    spdlog::warn("function library '{}' does not load on this node: {}", name,
                 lib ? "its name differs from its key" : err);
    if (lib != nullptr) Release(*lib);
    if (it != cache.libraries.end()) Forget(cache, it);
    return nullptr;
  }
  return Install(std::move(lib));
}

}  // namespace

std::string LibraryKey(std::string_view name) {
  std::string key(kLibraryPrefix);
  key.append(name);
  return key;
}

const FunctionInfo* Library::Find(std::string_view fn) const {
  auto it = std::lower_bound(functions.begin(), functions.end(), fn,
                             [](const FunctionInfo& f, std::string_view n) { return f.name < n; });
  return it != functions.end() && it->name == fn ? &*it : nullptr;
}

std::string ParseLibraryMetadata(std::string_view code, std::string* name) {
  if (code.substr(0, 2) != "#!") return "Missing library metadata";
  size_t end = code.find('\n');
  if (end == std::string_view::npos) return "Invalid library metadata";
  std::vector<std::string> parts;
  if (!SplitArgs(code.substr(0, end), &parts) || parts.empty()) return "Invalid library metadata";
  std::string engine = parts[0].substr(2);
  std::optional<std::string> lib_name;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].size() >= 5 && strncasecmp(parts[i].c_str(), "name=", 5) == 0) {
      if (lib_name) return "Invalid metadata value, name argument was given multiple times";
      lib_name = parts[i].substr(5);
      continue;
    }
    return "Invalid metadata value given: " + parts[i];
  }
  if (!lib_name) return "Library name was not given";
  if (!ValidName(*lib_name)) {
    return "Library names can only contain letters, numbers, or underscores(_) and must be at "
           "least one character long";
  }
  if (strcasecmp(engine.c_str(), "lua") != 0) return "Engine '" + engine + "' not found";
  *name = std::move(*lib_name);
  return "";
}

std::unique_ptr<Library> Compile(std::string_view code, std::string* err) {
  auto lib = std::make_unique<Library>();
  *err = ParseLibraryMetadata(code, &lib->name);
  if (!err->empty()) return nullptr;
  lib->code.assign(code);
  // The body keeps the metadata line's line feed, so line numbers are the code's own.
  std::string_view body = code.substr(code.find('\n'));
  lua_State* L = State();
  const int base = lua_gettop(L);
  if (luaL_loadbuffer(L, body.data(), body.size(), "@user_function") != 0) {
    *err = std::string("Error compiling function: ") + lua_tostring(L, -1);
    lua_settop(L, base);
    return nullptr;
  }
  PushEnvFactory(L);
  lua_call(L, 0, 2);  // stack: chunk, env, end_load
  lua_pushvalue(L, -2);
  lua_setfenv(L, -4);  // chunk's environment = env
  lua_insert(L, -3);   // stack: end_load, chunk, env
  lua_pop(L, 1);       // stack: end_load, chunk

  lua_Hook saved_hook = lua_gethook(L);
  const int saved_mask = lua_gethookmask(L);
  const int saved_count = lua_gethookcount(L);
  Library* saved_loading = loading;
  loading = lib.get();
  load_deadline = std::chrono::steady_clock::now() + kLoadTimeout;
  lua_sethook(L, LoadHook, LUA_MASKCOUNT, 100000);
  const int rc = lua_pcall(L, 0, 0, 0);
  lua_sethook(L, saved_hook, saved_mask, saved_count);
  loading = saved_loading;
  if (rc != 0) {
    // Redis's luaExtractErrorInformation with no error handler: a string becomes "ERR <s>",
    // a table gives its err field.
    std::string msg;
    if (lua_isstring(L, -1)) {
      msg = std::string("ERR ") + lua_tostring(L, -1);
    } else if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) msg = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
    *err = "Error registering functions: " + msg;
    lua_settop(L, base);
    Release(*lib);
    return nullptr;
  }
  lua_call(L, 0, 0);  // end_load: the functions now see the sandbox
  lua_settop(L, base);
  if (lib->functions.empty()) {
    *err = "No functions registered";
    return nullptr;
  }
  return lib;
}

void Release(Library& lib) {
  lua_State* L = State();
  for (auto& fn : lib.functions) {
    Unref(L, fn.ref);
    fn.ref = LUA_NOREF;
  }
}

const Library* Install(std::unique_ptr<Library> lib) {
  Cache& cache = ThreadCache();
  auto it = cache.libraries.find(lib->name);
  if (it != cache.libraries.end()) Forget(cache, it);
  for (const auto& fn : lib->functions) cache.function_library[fn.name] = lib->name;
  std::string name = lib->name;
  return cache.libraries.emplace(std::move(name), std::move(lib)).first->second.get();
}

std::vector<const Library*> StoredLibraries(keyspace::TxnView& txn) {
  std::vector<std::pair<std::string, std::string>> stored;
  txn.Range(kLibraryPrefix, kLibraryPrefixEnd, [&](std::string_view key, std::string_view value) {
    stored.emplace_back(std::string(key.substr(kLibraryPrefix.size())), std::string(value));
    return true;
  });
  txn.GuardRange(kLibraryPrefix, kLibraryPrefixEnd);
  Cache& cache = ThreadCache();
  for (auto it = cache.libraries.begin(); it != cache.libraries.end();) {
    bool still =
        std::binary_search(stored.begin(), stored.end(), std::make_pair(it->first, std::string()),
                           [](const auto& a, const auto& b) { return a.first < b.first; });
    auto next = std::next(it);
    if (!still) Forget(cache, it);
    it = next;
  }
  std::vector<const Library*> out;
  out.reserve(stored.size());
  for (const auto& [name, code] : stored) {
    if (const Library* lib = Ensure(name, code)) out.push_back(lib);
  }
  return out;
}

std::optional<FoundFunction> FindFunction(keyspace::TxnView& txn, std::string_view name) {
  Cache& cache = ThreadCache();
  auto hint = cache.function_library.find(std::string(name));
  if (hint != cache.function_library.end()) {
    auto lib = cache.libraries.find(hint->second);
    if (lib != cache.libraries.end()) {
      auto code = txn.Get(LibraryKey(hint->second));
      if (code && *code == lib->second->code) {
        if (const FunctionInfo* fn = lib->second->Find(name)) {
          return FoundFunction{lib->second.get(), fn};
        }
      }
    }
  }
  for (const Library* lib : StoredLibraries(txn)) {
    if (const FunctionInfo* fn = lib->Find(name)) return FoundFunction{lib, fn};
  }
  return std::nullopt;
}

}  // namespace petacore::commands::lua
