// lua_state.cc — a thread's Lua state: the libraries (base, table, string, math, cjson,
// bit, struct, cmsgpack; math.random is Redis's), the redis table, the sandbox (read-only
// globals and library tables, no os / io / loadfile / dofile / print), the error handler
// every run uses, and the compiled-function table. Built on first use on each thread.
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

extern "C" {
#include <lauxlib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lua.h>
#include <lualib.h>
}

#include "commands/lua_internal.h"
#include "commands/lua_libs.h"

namespace petacore::commands::lua {
namespace {

// rawset refuses the read-only proxies (Redis's Lua refuses its read-only tables).
int SafeRawSet(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, 1);
  lua_rawget(L, -2);
  bool is_protected = lua_toboolean(L, -1);
  lua_pop(L, 2);
  if (is_protected) RaiseError(L, "Attempt to modify a readonly table");
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

// loadstring / load: bytecode refused, and the loaded chunk runs in the sandbox.
int SafeLoadString(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const char* name = luaL_optstring(L, 2, s);
  if (len > 0 && s[0] == LUA_SIGNATURE[0]) {
    lua_pushnil(L);
    lua_pushstring(L, "loadstring: bytecode is not allowed");
    return 2;
  }
  if (luaL_loadbuffer(L, s, len, name) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, kSandboxKey);
  lua_setfenv(L, -2);
  return 1;
}

// The error handler of every script run (Redis's __redis__err__handler): a non-table error
// becomes {err = "ERR " .. tostring(err)}; the Lua frame that raised it (past a C function
// such as redis.call or error, or the sandbox's own metamethods) adds source and line.
constexpr const char* kErrHandlerSource = R"lua(
local dbg = ...
return function(err)
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  if i and i.what == 'C' then level = 3; i = dbg.getinfo(level, 'nSl') end
  while i and i.source == '=sandbox' do level = level + 1; i = dbg.getinfo(level, 'nSl') end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
)lua";

// The sandbox: scripts see an empty proxy whose reads fall through to the real globals (an
// absent one is an error) and whose writes are refused; the library tables are read-only
// proxies too. `_G` in scripts is the proxy.
constexpr const char* kSandboxSource = R"lua(
local G, protected, shown, hidden = ...
local rawget, setmetatable, error, tostring = rawget, setmetatable, error, tostring
local function readonly(t)
  local p = setmetatable({}, {
    __index = t,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
  protected[p] = true
  shown[p] = t
  return p
end
for _, name in ipairs({'string', 'table', 'math', 'cjson', 'bit', 'struct', 'cmsgpack', 'redis',
                       'coroutine'}) do
  hidden[name] = readonly(G[name])
end
-- The string metatable (("x"):upper()) reaches the read-only string proxy, and is itself
-- read-only to scripts.
local string_mt = getmetatable('')
string_mt.__index = hidden.string
string_mt.__metatable = readonly(string_mt)
local sandbox = setmetatable({}, {
  __index = function(_, k)
    local v = hidden[k]
    if v ~= nil then return v end
    v = rawget(G, k)
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = readonly({}),
})
protected[sandbox] = true
shown[sandbox] = G
-- setmetatable refuses the read-only tables (Redis raises from C: no position).
local orig_setmetatable = setmetatable
G.setmetatable = function(t, mt)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return orig_setmetatable(t, mt)
end
G._G = sandbox
-- pcall as Redis's: a failure whose error is a table with a string err field (redis.call's
-- errors) returns that string.
local pcall = pcall
local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'table' then
    local text = rawget(e, 'err')
    if type(text) == 'string' then return false, text end
  end
  return false, e
end
G.pcall = function(...) return pcall_result(pcall(...)) end
-- load(reader): the pieces are joined and go through the sandbox's loadstring (no bytecode).
local loadstring, concat, type = G.loadstring, table.concat, type
G.load = function(reader, name)
  if type(reader) ~= 'function' then error('bad argument #1 to \'load\' (function expected)', 2) end
  local parts = {}
  while true do
    local piece = reader()
    if piece == nil or piece == '' then break end
    parts[#parts + 1] = piece
  end
  return loadstring(concat(parts), name or '=(load)')
end
return sandbox
)lua";

// ---- Reading through the read-only proxies ----
// Redis's read-only tables are the real tables, so rawget, next, pairs and ipairs see their
// contents; here scripts hold proxies. These C replacements (C, as Lua's own: a call in a
// script's tail position keeps the script's line in errors) read a proxy through the table it
// shows — the globals showing the library proxies, never the writable library tables.

constexpr const char* kShownKey = "petacore.shown";    // weak: proxy -> the table it shows
constexpr const char* kHiddenKey = "petacore.hidden";  // library name -> its read-only proxy

// Pushes what the table at `idx` shows when it is a proxy, else nil.
void PushShown(lua_State* L, int idx) {
  lua_getfield(L, LUA_REGISTRYINDEX, kShownKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  lua_remove(L, -2);
}

// The value on top was read from `shown_idx` under the key at `key_idx`: a library table read
// from the globals becomes its read-only proxy.
void ProxyLibrary(lua_State* L, int shown_idx, int key_idx) {
  if (!lua_rawequal(L, shown_idx, LUA_GLOBALSINDEX) || lua_isnil(L, key_idx)) return;
  lua_getfield(L, LUA_REGISTRYINDEX, kHiddenKey);
  lua_pushvalue(L, key_idx);
  lua_rawget(L, -2);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 2);
    return;
  }
  lua_replace(L, -3);
  lua_pop(L, 1);
}

int SandboxRawGet(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  PushShown(L, 1);  // 3
  if (lua_isnil(L, 3)) {
    lua_pop(L, 1);
    lua_rawget(L, 1);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, 3);
  ProxyLibrary(L, 3, 2);
  return 1;
}

int SandboxNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  PushShown(L, 1);  // 3
  const int target = lua_isnil(L, 3) ? 1 : 3;
  lua_pushvalue(L, 2);
  if (lua_next(L, target) != 0) {  // 4: key, 5: value
    if (target == 3) ProxyLibrary(L, 3, 4);
    return 2;
  }
  lua_pushnil(L);
  return 1;
}

bool IsProxy(lua_State* L, int idx) {
  PushShown(L, idx);
  const bool proxy = !lua_isnil(L, -1);
  lua_pop(L, 1);
  return proxy;
}

// pairs: Lua's own next (upvalue 1) for a plain table, SandboxNext for a proxy.
int SandboxPairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (IsProxy(L, 1)) {
    lua_pushcfunction(L, SandboxNext);
  } else {
    lua_pushvalue(L, lua_upvalueindex(1));
  }
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

int SandboxIpairsStep(lua_State* L) {
  const int i = luaL_checkint(L, 2) + 1;
  luaL_checktype(L, 1, LUA_TTABLE);
  PushShown(L, 1);
  const int target = lua_isnil(L, -1) ? 1 : lua_gettop(L);
  lua_pushinteger(L, i);
  lua_rawgeti(L, target, i);
  return lua_isnil(L, -1) ? 0 : 2;
}

// ipairs: Lua's own step function (upvalue 1) for a plain table, SandboxIpairsStep for a
// proxy.
int SandboxIpairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (IsProxy(L, 1)) {
    lua_pushcfunction(L, SandboxIpairsStep);
  } else {
    lua_pushvalue(L, lua_upvalueindex(1));
  }
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

// Installs the four replacements (after the sandbox's setup captured the originals).
void InstallProxyReaders(lua_State* L) {
  lua_pushcfunction(L, SandboxRawGet);
  lua_setglobal(L, "rawget");
  lua_getglobal(L, "next");
  lua_pushcclosure(L, SandboxPairs, 1);
  lua_setglobal(L, "pairs");
  lua_pushcfunction(L, SandboxNext);
  lua_setglobal(L, "next");
  lua_getglobal(L, "ipairs");  // ipairs({}) returns Lua's step function
  lua_newtable(L);
  lua_call(L, 1, 1);
  lua_pushcclosure(L, SandboxIpairs, 1);
  lua_setglobal(L, "ipairs");
}

void OpenLib(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  if (name[0] != '\0' && lua_istable(L, -1)) {
    lua_setglobal(L, name);
  } else {
    lua_pop(L, 1);
  }
}

void RunSetup(lua_State* L, const char* source, int nargs, const char* what) {
  // Stack: nargs arguments on top.
  if (luaL_loadbuffer(L, source, std::strlen(source), what) != 0) {
    spdlog::critical("lua setup {}: {}", what, lua_tostring(L, -1));
    std::abort();
  }
  lua_insert(L, -nargs - 1);
  lua_call(L, nargs, 1);
}

lua_State* NewState() {
  lua_State* L = luaL_newstate();
  OpenLib(L, luaopen_base, "");
  OpenLib(L, luaopen_table, LUA_TABLIBNAME);
  OpenLib(L, luaopen_string, LUA_STRLIBNAME);
  OpenLib(L, luaopen_math, LUA_MATHLIBNAME);
  OpenLib(L, luaopen_debug, LUA_DBLIBNAME);
  OpenLib(L, luaopen_cjson, "cjson");
  OpenLib(L, luaopen_bit, "bit");
  OpenStruct(L);
  OpenCmsgpack(L);
  OpenRandom(L);

  OpenRedisLib(L);

  // The error handler keeps its own reference to debug; scripts do not see debug.
  lua_getglobal(L, LUA_DBLIBNAME);
  RunSetup(L, kErrHandlerSource, 1, "=errhandler");
  lua_setfield(L, LUA_REGISTRYINDEX, kErrHandlerKey);
  // Redis keeps its error handler as a global too (scripts can see it).
  lua_getfield(L, LUA_REGISTRYINDEX, kErrHandlerKey);
  lua_setglobal(L, "__redis__err__handler");

  // Replace loadstring/load/rawset with the sandbox's versions; remove what Redis removes.
  lua_pushcfunction(L, SafeLoadString);
  lua_setglobal(L, "loadstring");
  lua_pushcfunction(L, SafeRawSet);
  lua_setglobal(L, "rawset");
  for (const char* name : {"loadfile", "dofile", "print", "setfenv", "getfenv",
                           "require", "module", "newproxy", LUA_DBLIBNAME}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }

  // The weak set of protected proxies, then the sandbox.
  lua_newtable(L);
  lua_newtable(L);
  lua_pushstring(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kProtectedKey);  // stack: protected
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_insert(L, -2);  // stack: G, protected
  lua_newtable(L);    // shown, weak-keyed as protected
  lua_getmetatable(L, -2);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kShownKey);
  lua_newtable(L);  // hidden
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kHiddenKey);  // stack: G, protected, shown, hidden
  RunSetup(L, kSandboxSource, 4, "=sandbox");
  lua_setfield(L, LUA_REGISTRYINDEX, kSandboxKey);
  InstallProxyReaders(L);

  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kFunctionsKey);
  return L;
}

struct StateHolder {
  lua_State* L = nullptr;
  ~StateHolder() {
    if (L != nullptr) lua_close(L);
  }
};

}  // namespace

lua_State* State() {
  thread_local StateHolder holder;
  if (holder.L == nullptr) holder.L = NewState();
  return holder.L;
}

}  // namespace petacore::commands::lua
