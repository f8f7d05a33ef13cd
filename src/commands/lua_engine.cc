// lua_engine.cc — the per-thread Lua state, its sandbox, redis.* and the RESP2 conversions.
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
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lua.h>
#include <lualib.h>
}

#include "auth/access.h"
#include "commands/table.h"
#include "config/config.h"
#include "resp/value_parser.h"

namespace petacore::commands::lua {
namespace {

// Registry keys of this engine's tables.
constexpr const char* kFunctionsKey = "petacore.functions";  // "f_<sha>" -> function
constexpr const char* kSandboxKey = "petacore.sandbox";      // the scripts' global proxy
constexpr const char* kErrHandlerKey = "petacore.errhandler";
constexpr const char* kProtectedKey = "petacore.protected";  // weak set of read-only proxies

/// What a running script's redis.call needs: the caller's command and the script's mode.
struct Frame {
  CommandContext* ctx = nullptr;
  bool read_only = false;
  bool started_with_writes = false;
  std::chrono::steady_clock::time_point deadline{};
  bool has_deadline = false;
};
thread_local Frame* current = nullptr;

// Pushes Redis's error table {err = "<CODE> <msg>"} (luaPushErrorBuff): a text starting
// with '-' carries its code up to the first space; any other text gets "ERR ". Trailing CR/LF
// are trimmed.
void PushError(lua_State* L, std::string_view text) {
  std::string msg;
  if (!text.empty() && text[0] == '-') {
    std::string_view rest = text.substr(1);
    size_t sp = rest.find(' ');
    msg = sp == std::string_view::npos ? "ERR " + std::string(rest) : std::string(rest);
  } else {
    msg = "ERR " + std::string(text);
  }
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.pop_back();
  lua_newtable(L);
  lua_pushlstring(L, msg.data(), msg.size());
  lua_setfield(L, -2, "err");
}

// Raises Redis's error table (the error handler adds source and line).
[[noreturn]] void RaiseError(lua_State* L, std::string_view text) {
  PushError(L, text);
  lua_error(L);
  __builtin_unreachable();
}

// ---- RESP2 reply -> Lua value (Redis's redisProtocolToLuaType, RESP2) ----

void PushValue(lua_State* L, const resp::Value& v) {
  using T = resp::Value::Type;
  lua_checkstack(L, 4);
  switch (v.type) {
    case T::kInteger:
      lua_pushnumber(L, static_cast<lua_Number>(v.integer));
      break;
    case T::kBulk:
    case T::kVerbatim:
    case T::kBigNumber:
    case T::kDouble:
      lua_pushlstring(L, v.str.data(), v.str.size());
      break;
    case T::kSimple:
      lua_newtable(L);
      lua_pushlstring(L, v.str.data(), v.str.size());
      lua_setfield(L, -2, "ok");
      break;
    case T::kError:
      PushError(L, "-" + v.str);
      break;
    case T::kBoolean:
      lua_pushboolean(L, v.integer != 0);
      break;
    case T::kArray:
    case T::kSet:
    case T::kPush:
    case T::kMap:
      lua_createtable(L, static_cast<int>(v.elems.size()), 0);
      for (size_t i = 0; i < v.elems.size(); ++i) {
        PushValue(L, v.elems[i]);
        lua_rawseti(L, -2, static_cast<int>(i + 1));
      }
      break;
    case T::kNull:
    default:
      lua_pushboolean(L, 0);
      break;
  }
}

// ---- Lua value -> RESP2 reply (Redis's luaReplyToRedisReply, RESP2) ----

// Lua number -> integer as C's (long long) cast does on x86-64 (out of range / NaN: INT64_MIN).
int64_t Truncate(lua_Number n) {
  if (!(n >= -9223372036854775808.0 && n < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(n);
}

void WriteReply(lua_State* L, int idx, resp::ReplyWriter& out, int depth) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, idx, &len);
      out.Bulk(std::string_view(s, len));
      return;
    }
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx)) {
        out.Integer(1);
      } else {
        out.NullBulk();
      }
      return;
    case LUA_TNUMBER:
      out.Integer(Truncate(lua_tonumber(L, idx)));
      return;
    case LUA_TTABLE: {
      if (depth > 200 || !lua_checkstack(L, 4)) {  // Redis: "reached lua stack limit"
        out.Error("-ERR reached lua stack limit");
        return;
      }
      lua_getfield(L, idx, "err");
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        out.Error("-" + std::string(s, len));
        lua_pop(L, 1);
        return;
      }
      lua_pop(L, 1);
      lua_getfield(L, idx, "ok");
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        out.Simple(std::string_view(s, len));
        lua_pop(L, 1);
        return;
      }
      lua_pop(L, 1);
      // An array up to the first nil.
      size_t n = 0;
      while (true) {
        lua_rawgeti(L, idx, static_cast<int>(n + 1));
        bool nil = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (nil) break;
        ++n;
      }
      out.ArrayHeader(n);
      for (size_t i = 1; i <= n; ++i) {
        lua_rawgeti(L, idx, static_cast<int>(i));
        WriteReply(L, -1, out, depth + 1);
        lua_pop(L, 1);
      }
      return;
    }
    default:  // nil, functions, userdata (cjson.null), threads
      out.NullBulk();
      return;
  }
}

// ---- redis.* ----

int RedisGenericCall(lua_State* L, bool raise) {
  Frame* frame = current;
  int argc = lua_gettop(L);
  if (frame == nullptr) RaiseError(L, "redis.call is only available inside a script");
  if (argc == 0) {
    PushError(L, "Please specify at least one argument for this redis lib call");
    if (raise) lua_error(L);
    return 1;
  }
  thread_local std::vector<std::string> strings;
  strings.clear();
  strings.reserve(argc);
  for (int i = 1; i <= argc; ++i) {
    int t = lua_type(L, i);
    if (t == LUA_TNUMBER) {
      char buf[64];
      int len = std::snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(lua_tonumber(L, i)));
      strings.emplace_back(buf, len);
    } else if (t == LUA_TSTRING) {
      size_t len;
      const char* s = lua_tolstring(L, i, &len);
      strings.emplace_back(s, len);
    } else {
      PushError(L, "Lua redis lib command arguments must be strings or integers");
      if (raise) lua_error(L);
      return 1;
    }
  }
  std::string reply;
  {
    std::vector<std::string_view> argv(strings.begin(), strings.end());
    std::string err;
    const CommandSpec* spec = Table().Resolve(argv);
    if (spec == nullptr) {
      err = "Unknown Redis command called from script";
    } else if (!spec->ArityOk(argv.size())) {
      err = "Wrong number of args calling Redis command from script";
    } else if (spec->flags & kNoScript) {
      err = "This Redis command is not allowed from script";
    } else if (frame->read_only && (spec->flags & (kWrite | kInternalWrite))) {
      err = "Write commands are not allowed from read-only scripts.";
    } else {
      CommandContext& ctx = *frame->ctx;
      if (ctx.session.acl_user) {
        auth::Denial d = auth::Check(*ctx.session.acl_user, *spec, argv);
        if (d == auth::Denial::kCommand) {
          err = "The user executing the script can't run this command or subcommand";
        } else if (d == auth::Denial::kKey) {
          err = "The user executing the script can't access at least one of the keys "
                "mentioned in the command arguments";
        }
      }
      if (err.empty()) {
        resp::ReplyWriter w(&reply, 2);
        CommandContext sub{argv, ctx.txn, w, ctx.session, ctx.server};
        spec->handler(sub);  // block stays null: blocking commands answer at once
      }
    }
    if (!err.empty()) {
      PushError(L, err);
      if (raise) lua_error(L);
      return 1;
    }
  }
  resp::Limits limits;
  limits.max_bulk_len = SIZE_MAX / 2;  // our own handler's reply: no client limits
  limits.max_multibulk_len = SIZE_MAX / 2;
  limits.max_inline_len = SIZE_MAX / 2;
  resp::ValueParser parser(limits, 1024);
  resp::Value value;
  auto r = parser.Parse(reply, &value);
  if (r.status != resp::ValueParser::Status::kValue) {
    RaiseError(L, "PetaCore: unparsable reply from a command called by a script");
  }
  const bool is_error = value.type == resp::Value::Type::kError;
  PushValue(L, value);
  if (raise && is_error) lua_error(L);
  return 1;
}

int RedisCall(lua_State* L) { return RedisGenericCall(L, true); }
int RedisPCall(lua_State* L) { return RedisGenericCall(L, false); }

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseError(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = Sha1Hex(s ? std::string_view(s, len) : std::string_view());
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    PushError(L, "wrong number or type of arguments");
    return 1;
  }
  size_t len;
  const char* s = lua_tolstring(L, 1, &len);
  std::string text(s, len);
  if (text.empty() || text[0] != '-') text = "-" + text;
  PushError(L, text);
  return 1;
}

int RedisStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    PushError(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

int RedisLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) RaiseError(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) RaiseError(L, "First argument must be a number (log level).");
  int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) RaiseError(L, "Invalid debug level.");
  std::string msg;
  for (int i = 2; i <= argc; ++i) {
    size_t len = 0;
    const char* s = lua_tolstring(L, i, &len);
    if (s == nullptr) continue;
    if (!msg.empty()) msg.push_back(' ');
    msg.append(s, len);
  }
  static constexpr spdlog::level::level_enum kLevels[] = {
      spdlog::level::debug, spdlog::level::info, spdlog::level::info, spdlog::level::warn};
  spdlog::log(kLevels[level], "script: {}", msg);
  return 0;
}

int RedisSetResp(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseError(L, "redis.setresp() requires one argument.");
  int resp = static_cast<int>(lua_tonumber(L, 1));
  if (resp != 2 && resp != 3) RaiseError(L, "RESP version must be 2 or 3.");
  if (resp == 3) RaiseError(L, "PetaCore does not support RESP3 replies in scripts yet.");
  return 0;
}

int RedisSetRepl(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseError(L, "redis.set_repl() requires two arguments.");
  int flags = static_cast<int>(lua_tonumber(L, 1));
  if ((flags & ~3) != 0) {
    RaiseError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  return 0;  // accepted: a script's effects are what it commits
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}
int RedisBreakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}
int RedisDebug(lua_State*) { return 0; }

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
local G, protected = ...
local rawget, setmetatable, error, tostring = rawget, setmetatable, error, tostring
local function readonly(t)
  local p = setmetatable({}, {
    __index = t,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
  protected[p] = true
  return p
end
local hidden = {}
for _, name in ipairs({'string', 'table', 'math', 'cjson', 'bit', 'redis', 'coroutine'}) do
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

void Register(lua_State* L, const char* name, lua_CFunction fn) {
  lua_pushcfunction(L, fn);
  lua_setfield(L, -2, name);
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

  // redis.*
  lua_newtable(L);
  Register(L, "call", RedisCall);
  Register(L, "pcall", RedisPCall);
  Register(L, "sha1hex", RedisSha1Hex);
  Register(L, "error_reply", RedisErrorReply);
  Register(L, "status_reply", RedisStatusReply);
  Register(L, "log", RedisLog);
  Register(L, "setresp", RedisSetResp);
  Register(L, "set_repl", RedisSetRepl);
  Register(L, "replicate_commands", RedisReplicateCommands);
  Register(L, "breakpoint", RedisBreakpoint);
  Register(L, "debug", RedisDebug);
  struct {
    const char* name;
    int value;
  } constants[] = {{"LOG_DEBUG", 0},   {"LOG_VERBOSE", 1}, {"LOG_NOTICE", 2},
                   {"LOG_WARNING", 3}, {"REPL_NONE", 0},   {"REPL_AOF", 1},
                   {"REPL_SLAVE", 2},  {"REPL_REPLICA", 2}, {"REPL_ALL", 3},
                   {"REDIS_VERSION_NUM", 0x0007000f}};
  for (const auto& c : constants) {
    lua_pushnumber(L, c.value);
    lua_setfield(L, -2, c.name);
  }
  lua_pushstring(L, "7.0.15");
  lua_setfield(L, -2, "REDIS_VERSION");
  lua_setglobal(L, "redis");

  // The error handler keeps its own reference to debug; scripts do not see debug.
  lua_getglobal(L, LUA_DBLIBNAME);
  RunSetup(L, kErrHandlerSource, 1, "=errhandler");
  lua_setfield(L, LUA_REGISTRYINDEX, kErrHandlerKey);

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
  RunSetup(L, kSandboxSource, 2, "=sandbox");
  lua_setfield(L, LUA_REGISTRYINDEX, kSandboxKey);

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

lua_State* State() {
  thread_local StateHolder holder;
  if (holder.L == nullptr) holder.L = NewState();
  return holder.L;
}

// Pushes f_<sha> (or nil).
void PushFunction(lua_State* L, std::string_view sha) {
  lua_getfield(L, LUA_REGISTRYINDEX, kFunctionsKey);
  std::string name = "f_" + std::string(sha);
  lua_getfield(L, -1, name.c_str());
  lua_remove(L, -2);
}

// Stops a script that has run past its deadline, unless it has written.
void Hook(lua_State* L, lua_Debug*) {
  Frame* frame = current;
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

void Run(CommandContext& ctx, std::string_view sha, std::span<const std::string_view> keys,
         std::span<const std::string_view> argv, bool read_only) {
  lua_State* L = State();
  const int base = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, kErrHandlerKey);
  const int handler = lua_gettop(L);
  PushFunction(L, sha);
  if (!lua_isfunction(L, -1)) {
    lua_settop(L, base);
    ctx.out.Error("-NOSCRIPT No matching script. Please use EVAL.");
    return;
  }
  PushArray(L, keys);
  lua_setglobal(L, "KEYS");
  PushArray(L, argv);
  lua_setglobal(L, "ARGV");

  Frame frame;
  frame.ctx = &ctx;
  frame.read_only = read_only;
  frame.started_with_writes = ctx.txn.has_writes();
  {
    const int64_t threshold_ms = ctx.server.Options().busy_reply_threshold_ms.get();
    if (threshold_ms > 0) {
      frame.has_deadline = true;
      frame.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(threshold_ms * 10);
    }
  }
  Frame* saved = current;
  current = &frame;
  const int saved_db = ctx.session.db;
  lua_sethook(L, Hook, LUA_MASKCOUNT, 100000);
  int rc = lua_pcall(L, 0, 1, handler);
  lua_sethook(L, nullptr, 0, 0);
  current = saved;
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
      msg += " script: " + std::string(sha) + ", on " + lua_tostring(L, -2) + ":" +
             lua_tostring(L, -1) + ".";
    }
    lua_pop(L, 2);
    ctx.out.Error(msg);
  } else {
    const char* s = lua_tostring(L, -1);
    ctx.out.Error("Error running script f_" + std::string(sha) + ", " +
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
