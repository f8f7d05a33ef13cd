// lua_convert.cc — Redis's conversions between command replies and Lua values, and its
// error tables (script_lua.c's rules, RESP2 and RESP3: redis.setresp(3)).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "commands/lua_internal.h"

namespace petacore::commands::lua {

// Pushes Redis's error table {err = "<CODE> <msg>"} (luaPushErrorBuff): a text starting
// with '-' carries its code up to the first space (no space: all of it is the message, code
// ERR); any other text gets "ERR ". CR/LF at both ends of the message are trimmed.
void PushError(lua_State* L, std::string_view text) {
  std::string_view code = "ERR";
  std::string_view msg = text;
  if (!text.empty() && text[0] == '-') {
    const size_t sp = text.find(' ');
    if (sp == std::string_view::npos) {
      msg = text.substr(1);
    } else {
      code = text.substr(1, sp - 1);
      msg = text.substr(sp + 1);
    }
  }
  const size_t first = msg.find_first_not_of("\r\n");
  msg = first == std::string_view::npos ? std::string_view() : msg.substr(first);
  const size_t last = msg.find_last_not_of("\r\n");
  msg = last == std::string_view::npos ? std::string_view() : msg.substr(0, last + 1);
  std::string full;
  full.reserve(code.size() + 1 + msg.size());
  full.append(code).append(" ").append(msg);
  lua_newtable(L);
  lua_pushlstring(L, full.data(), full.size());
  lua_setfield(L, -2, "err");
}

// Raises Redis's error table (the error handler adds source and line).
[[noreturn]] void RaiseError(lua_State* L, std::string_view text) {
  PushError(L, text);
  lua_error(L);
  __builtin_unreachable();
}

// ---- A command's reply -> Lua value (Redis's redisProtocolToLuaType) ----

thread_local int script_resp = 2;

namespace {

// {<field> = <value on top>}: pops the value, pushes the table.
void WrapInField(lua_State* L, const char* field) {
  lua_newtable(L);
  lua_pushstring(L, field);
  lua_pushvalue(L, -3);
  lua_settable(L, -3);
  lua_remove(L, -2);
}

}  // namespace

void PushValue(lua_State* L, const resp::Value& v, int resp) {
  using T = resp::Value::Type;
  if (!lua_checkstack(L, 5)) RaiseError(L, "reached lua stack limit");
  const bool resp3 = resp >= 3;
  switch (v.type) {
    case T::kInteger:
      lua_pushnumber(L, static_cast<lua_Number>(v.integer));
      break;
    case T::kBulk:
      lua_pushlstring(L, v.str.data(), v.str.size());
      break;
    case T::kSimple:
      lua_pushlstring(L, v.str.data(), v.str.size());
      WrapInField(L, "ok");
      break;
    case T::kError:
      PushError(L, "-" + v.str);
      // As Redis: the command's error was already counted in the error stats.
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "ignore_error_stats_update");
      break;
    case T::kBoolean:
      lua_pushboolean(L, v.integer != 0);
      break;
    case T::kDouble:
      if (!resp3) {
        lua_pushlstring(L, v.str.data(), v.str.size());
        break;
      }
      lua_pushnumber(L, std::strtod(v.str.c_str(), nullptr));
      WrapInField(L, "double");
      break;
    case T::kBigNumber:
      lua_pushlstring(L, v.str.data(), v.str.size());
      if (resp3) WrapInField(L, "big_number");
      break;
    case T::kVerbatim:
      if (!resp3) {
        lua_pushlstring(L, v.str.data(), v.str.size());
        break;
      }
      lua_newtable(L);
      lua_pushstring(L, "string");
      lua_pushlstring(L, v.str.data(), v.str.size());
      lua_settable(L, -3);
      lua_pushstring(L, "format");
      lua_pushlstring(L, v.format.data(), v.format.size());
      lua_settable(L, -3);
      WrapInField(L, "verbatim_string");
      break;
    case T::kMap:
      if (resp3) {
        lua_newtable(L);
        for (size_t i = 0; i + 1 < v.elems.size(); i += 2) {
          PushValue(L, v.elems[i], resp);
          PushValue(L, v.elems[i + 1], resp);
          lua_settable(L, -3);
        }
        WrapInField(L, "map");
        break;
      }
      [[fallthrough]];
    case T::kSet:
      if (resp3 && v.type == T::kSet) {
        lua_newtable(L);
        for (const resp::Value& e : v.elems) {
          PushValue(L, e, resp);
          lua_pushboolean(L, 1);
          lua_settable(L, -3);
        }
        WrapInField(L, "set");
        break;
      }
      [[fallthrough]];
    case T::kArray:
    case T::kPush:
      lua_newtable(L);
      for (size_t i = 0; i < v.elems.size(); ++i) {
        lua_pushnumber(L, static_cast<lua_Number>(i + 1));
        PushValue(L, v.elems[i], resp);
        lua_settable(L, -3);  // a RESP3 null element leaves a hole, as Redis
      }
      break;
    case T::kNull:
    default:
      if (resp3) {
        lua_pushnil(L);
      } else {
        lua_pushboolean(L, 0);
      }
      break;
  }
}

// ---- Lua value -> reply (Redis's luaReplyToRedisReply) ----

namespace {

// Lua number -> integer as C's (long long) cast does on x86-64 (out of range / NaN: INT64_MIN).
int64_t Truncate(lua_Number n) {
  if (!(n >= -9223372036854775808.0 && n < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(n);
}

// Pushes t[field] without metamethods (Redis's lua_rawget) and returns its type.
int RawField(lua_State* L, int idx, const char* field) {
  lua_pushstring(L, field);
  lua_rawget(L, idx);
  return lua_type(L, -1);
}

// The string on top up to its first NUL (Redis copies these with sdsnew).
std::string_view CString(lua_State* L) {
  const char* s = lua_tostring(L, -1);
  return std::string_view(s, std::strlen(s));
}

// CR and LF become spaces (Redis's sdsmapchars on status / big number texts).
std::string NoNewlines(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

// The map / set forms: writes them and returns true when the table at idx is one.
void WriteValue(lua_State* L, int idx, resp::ReplyWriter& out, int slots);

// Redis converts a reply with the values on its Lua stack and fails a value (only that value:
// its aggregate goes on) with "reached lua stack limit" once its stack would pass Lua's
// LUAI_MAXCSTACK (8000). `slots` counts what Redis's stack holds at that value, the value
// included (2 for a script's reply: the error handler and the reply), so the same value fails
// here as there: an array's element adds 1, a map's key 4 and value 3, a set's member 3.
constexpr int kLuaMaxCStack = 8000;

bool WriteAggregateTable(lua_State* L, int idx, resp::ReplyWriter& out, int slots) {
  if (RawField(L, idx, "map") == LUA_TTABLE) {
    const int map = lua_gettop(L);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, map) != 0) {
      lua_pop(L, 1);
      ++n;
    }
    out.MapHeader(n);
    lua_pushnil(L);
    while (lua_next(L, map) != 0) {  // map, key, value
      WriteValue(L, -2, out, slots + 4);
      WriteValue(L, -1, out, slots + 3);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return true;
  }
  lua_pop(L, 1);
  if (RawField(L, idx, "set") == LUA_TTABLE) {
    const int set = lua_gettop(L);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, set) != 0) {
      lua_pop(L, 1);
      ++n;
    }
    out.SetHeader(n);
    lua_pushnil(L);
    while (lua_next(L, set) != 0) {  // set, member, (any value)
      lua_pop(L, 1);
      WriteValue(L, -1, out, slots + 3);
    }
    lua_pop(L, 1);
    return true;
  }
  lua_pop(L, 1);
  return false;
}

// The one-field forms {err=}, {ok=}, {double=}, {big_number=}, {verbatim_string=}: writes
// them and returns true when the table at idx is one (checked in Redis's order).
bool WriteFieldTable(lua_State* L, int idx, resp::ReplyWriter& out) {
  if (RawField(L, idx, "err") == LUA_TSTRING) {
    out.Error("-" + std::string(CString(L)));
    lua_pop(L, 1);
    return true;
  }
  lua_pop(L, 1);
  if (RawField(L, idx, "ok") == LUA_TSTRING) {
    out.Simple(NoNewlines(CString(L)));
    lua_pop(L, 1);
    return true;
  }
  lua_pop(L, 1);
  if (RawField(L, idx, "double") == LUA_TNUMBER) {
    out.Double(lua_tonumber(L, -1));
    lua_pop(L, 1);
    return true;
  }
  lua_pop(L, 1);
  if (RawField(L, idx, "big_number") == LUA_TSTRING) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    out.BigNumber(NoNewlines(std::string_view(s, len)));
    lua_pop(L, 1);
    return true;
  }
  lua_pop(L, 1);
  if (RawField(L, idx, "verbatim_string") == LUA_TTABLE) {
    const int vt = lua_gettop(L);
    if (RawField(L, vt, "format") == LUA_TSTRING && RawField(L, vt, "string") == LUA_TSTRING) {
      // Redis sends three format bytes: a shorter format is padded with spaces.
      const char* f = lua_tostring(L, -2);
      std::string format(f, std::min<size_t>(std::strlen(f), 3));
      format.resize(3, ' ');
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      out.Verbatim(format, std::string_view(s, len));
      lua_pop(L, 3);
      return true;
    }
    lua_settop(L, vt);
  }
  lua_pop(L, 1);
  return false;
}

void WriteValue(lua_State* L, int idx, resp::ReplyWriter& out, int slots) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  // Our own stack holds no more than Redis's at the same value (the check is a safety net).
  if (slots + 4 > kLuaMaxCStack || !lua_checkstack(L, 4)) {
    out.Error("-ERR reached lua stack limit");
    return;
  }
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, idx, &len);
      out.Bulk(std::string_view(s, len));
      return;
    }
    case LUA_TBOOLEAN:
      if (script_resp >= 3) {
        out.Boolean(lua_toboolean(L, idx) != 0);  // ":1"/":0" to a RESP2 caller
      } else if (lua_toboolean(L, idx)) {
        out.Integer(1);
      } else {
        out.NullBulk();
      }
      return;
    case LUA_TNUMBER:
      out.Integer(Truncate(lua_tonumber(L, idx)));
      return;
    case LUA_TTABLE: {
      if (WriteFieldTable(L, idx, out)) return;
      if (WriteAggregateTable(L, idx, out, slots)) return;
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
        WriteValue(L, -1, out, slots + 1);
        lua_pop(L, 1);
      }
      return;
    }
    default:  // nil, functions, userdata (cjson.null), threads
      out.NullBulk();
      return;
  }
}

}  // namespace

void WriteReply(lua_State* L, int idx, resp::ReplyWriter& out, int depth) {
  WriteValue(L, idx, out, 2 + depth);
}

}  // namespace petacore::commands::lua
