// lua_convert.cc — Redis's conversions between command replies and Lua values, and its
// error tables (script_lua.c's rules, RESP2).
#include <cstdint>
#include <string>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "commands/lua_internal.h"

namespace petacore::commands::lua {

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
namespace {
int64_t Truncate(lua_Number n) {
  if (!(n >= -9223372036854775808.0 && n < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(n);
}

}  // namespace

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

}  // namespace petacore::commands::lua
