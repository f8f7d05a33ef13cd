// lua_cmsgpack.cc — the `cmsgpack` library of Redis's scripts (lua-cmsgpack 0.4.0 as bundled
// by Redis 7.0), on msgpack-c's C API: values are written with msgpack_packer and read with
// msgpack_unpack_next. Our own binding; the encoding choices, results and error texts are
// lua-cmsgpack's, so data packed by PetaCore and by Redis is byte for byte the same (BullMQ
// stores job options this way).
//
// Reading a value is two steps: ScanValue walks its bytes in lua-cmsgpack's order and finds
// the error lua-cmsgpack would raise first (truncation, an unknown type byte such as bin/ext,
// a nil or NaN map key), then msgpack_unpack_next decodes it and PushObject builds the Lua
// value. msgpack-c refuses more than 32 nested containers, which lua-cmsgpack reads: such a
// value is built from its scanned bytes by PushScanned instead.
//
// Packing: a string is a msgpack str; a boolean; a number that is an integral int64 is the
// smallest integer encoding, any other number a float32 when the float holds it exactly, else
// a float64; a table whose keys are exactly 1..n is an array, any other table a map (in
// lua_next order); past 16 nested tables, and for any other Lua type, nil.
// Unpacking: every msgpack type lua-cmsgpack knows (not bin / ext, which are "Bad data
// format"), integers as Lua numbers (uint64 past 2^63 wraps negative, as lua-cmsgpack).
#include <msgpack.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "commands/lua_libs.h"

namespace petacore::commands::lua {
namespace {

constexpr int kMaxNesting = 16;  // lua-cmsgpack's LUACMSGPACK_MAX_NESTING
constexpr const char* kStackMessage =
    "too many return values at once; use unpack_one or unpack_limit instead.";

// ---- Packing ----

int AppendToString(void* data, const char* buf, size_t len) {
  static_cast<std::string*>(data)->append(buf, len);
  return 0;
}

// Whether the table on top has exactly the keys 1..n (n may be 0): lua-cmsgpack's test, keys
// compared as C ints.
bool IsArray(lua_State* L) {
  const int top = lua_gettop(L);
  luaL_checkstack(L, 2, "in function table_is_an_array");
  int64_t count = 0;
  int max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_settop(L, top);
      return false;
    }
    const lua_Number k = lua_tonumber(L, -1);
    if (!(k > 0 && k <= INT_MAX && k == std::floor(k))) {
      lua_settop(L, top);
      return false;
    }
    if (static_cast<int>(k) > max) max = static_cast<int>(k);
    ++count;
  }
  lua_settop(L, top);
  return max == count;
}

void PackValue(lua_State* L, msgpack_packer* pk, int level);

void PackNumber(lua_State* L, msgpack_packer* pk) {
  const lua_Number n = lua_tonumber(L, -1);
  // Integral and within int64 (the x86-64 cast of anything else does not compare equal).
  if (!std::isinf(n) && n >= -9223372036854775808.0 && n < 9223372036854775808.0 &&
      static_cast<lua_Number>(static_cast<int64_t>(n)) == n) {
    msgpack_pack_int64(pk, static_cast<int64_t>(n));
    return;
  }
  const float f = static_cast<float>(n);
  if (static_cast<double>(f) == n) {
    msgpack_pack_float(pk, f);
  } else {
    msgpack_pack_double(pk, n);
  }
}

void PackTable(lua_State* L, msgpack_packer* pk, int level) {
  if (IsArray(L)) {
    const size_t n = lua_objlen(L, -1);
    msgpack_pack_array(pk, n);
    luaL_checkstack(L, 1, "in function mp_encode_lua_table_as_array");
    for (size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, -1, static_cast<int>(i));
      PackValue(L, pk, level + 1);
    }
    return;
  }
  luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
  size_t pairs = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    ++pairs;
  }
  msgpack_pack_map(pk, pairs);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {  // ... key value
    lua_pushvalue(L, -2);         // ... key value key
    PackValue(L, pk, level + 1);  // the key (popped)
    PackValue(L, pk, level + 1);  // the value (popped)
  }
}

// Packs the value on top and pops it.
void PackValue(lua_State* L, msgpack_packer* pk, int level) {
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && level == kMaxNesting) type = LUA_TNIL;  // cycles end here too
  switch (type) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      msgpack_pack_str_with_body(pk, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, -1)) {
        msgpack_pack_true(pk);
      } else {
        msgpack_pack_false(pk);
      }
      break;
    case LUA_TNUMBER:
      PackNumber(L, pk);
      break;
    case LUA_TTABLE:
      PackTable(L, pk, level);
      break;
    default:
      msgpack_pack_nil(pk);
      break;
  }
  lua_pop(L, 1);
}

// cmsgpack.pack(v1, v2, ...): the concatenation of each value's encoding.
int Pack(lua_State* L) {
  const int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, nargs)) {
    return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  }
  std::string out;
  msgpack_packer pk;
  msgpack_packer_init(&pk, &out, AppendToString);
  for (int i = 1; i <= nargs; ++i) {
    luaL_checkstack(L, 1, "in function mp_check");
    lua_pushvalue(L, i);
    PackValue(L, &pk, 0);
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

// ---- Unpacking ----

// What reading one value would do: succeed, or fail first with one of lua-cmsgpack's errors
// (truncated input, a byte it does not know, a map key it cannot store).
enum class Scan { kOk, kMissingBytes, kBadFormat, kNilKey, kNanKey };

uint64_t BigEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Whether the float32 / float64 at p (big-endian) is a NaN (a map key Lua refuses).
bool IsNan(const unsigned char* p, bool is_double) {
  const uint64_t bits = BigEndian(p, is_double ? 8 : 4);
  if (is_double) {
    return ((bits >> 52) & 0x7ff) == 0x7ff && (bits & ((uint64_t{1} << 52) - 1)) != 0;
  }
  return ((bits >> 23) & 0xff) == 0xff && (bits & 0x7fffff) != 0;
}

// Checks one whole value starting at p (left bytes) in lua-cmsgpack's reading order, so the
// first problem there is the one reported here: it stores a map's pair once the value is
// read, so a nil or NaN key fails only after its value. Sets *used on kOk. Iterative (no depth
// limit) and linear in the bytes: an aggregate's claimed count never allocates anything.
Scan ScanValue(const unsigned char* p, size_t left, size_t* used) {
  struct Open {
    uint64_t items;  // still to read (a map's count doubled)
    bool map;
    bool at_value = false;     // map: the next item is a value
    Scan bad_key = Scan::kOk;  // map: the pending key cannot be stored
  };
  std::vector<Open> open;
  const unsigned char* start = p;
  // An item ends (a scalar, or a container whose last item ended): records it in the open
  // containers; true when the top-level value is complete.
  auto end_item = [&](Scan key_problem, Scan* failure) {
    while (!open.empty()) {
      Open& o = open.back();
      if (o.map && !o.at_value) {
        o.bad_key = key_problem;
        o.at_value = true;
      } else if (o.map) {
        if (o.bad_key != Scan::kOk) {
          *failure = o.bad_key;
          return true;
        }
        o.at_value = false;
      }
      if (--o.items > 0) return false;
      open.pop_back();
      key_problem = Scan::kOk;
    }
    return true;
  };
  while (true) {
    if (left == 0) return Scan::kMissingBytes;
    const unsigned char b = p[0];
    size_t header = 1;     // type byte and length field
    uint64_t payload = 0;  // bytes after the header
    uint64_t items = 0;    // a container's items (a map's doubled)
    bool container = false;
    Scan key_problem = Scan::kOk;
    auto need = [&](size_t n) { return left >= n; };
    if (b <= 0x7f || b >= 0xe0 || b == 0xc2 || b == 0xc3) {
      // fixint, booleans
    } else if (b == 0xc0) {
      key_problem = Scan::kNilKey;
    } else if ((b & 0xe0) == 0xa0) {
      payload = b & 0x1f;
    } else if ((b & 0xf0) == 0x90 || (b & 0xf0) == 0x80) {
      container = true;
      items = uint64_t{b & 0x0fu} * ((b & 0xf0) == 0x80 ? 2 : 1);
    } else {
      switch (b) {
        case 0xcc:
        case 0xd0:
          header = 2;
          break;
        case 0xcd:
        case 0xd1:
          header = 3;
          break;
        case 0xce:
        case 0xd2:
          header = 5;
          break;
        case 0xcf:
        case 0xd3:
          header = 9;
          break;
        case 0xca:
        case 0xcb:
          header = b == 0xca ? 5 : 9;
          if (need(header) && IsNan(p + 1, b == 0xcb)) key_problem = Scan::kNanKey;
          break;
        case 0xd9:
          if (!need(2)) return Scan::kMissingBytes;
          header = 2;
          payload = p[1];
          break;
        case 0xda:
          if (!need(3)) return Scan::kMissingBytes;
          header = 3;
          payload = BigEndian(p + 1, 2);
          break;
        case 0xdb:
          if (!need(5)) return Scan::kMissingBytes;
          header = 5;
          payload = BigEndian(p + 1, 4);
          break;
        case 0xdc:
        case 0xde:
          if (!need(3)) return Scan::kMissingBytes;
          header = 3;
          container = true;
          items = BigEndian(p + 1, 2) * (b == 0xde ? 2 : 1);
          break;
        case 0xdd:
        case 0xdf:
          if (!need(5)) return Scan::kMissingBytes;
          header = 5;
          container = true;
          items = BigEndian(p + 1, 4) * (b == 0xdf ? 2 : 1);
          break;
        default:  // bin, ext, fixext, 0xc1: unknown to lua-cmsgpack
          return Scan::kBadFormat;
      }
    }
    if (!need(header) || left - header < payload) return Scan::kMissingBytes;
    const size_t step = header + static_cast<size_t>(payload);
    p += step;
    left -= step;
    if (container && items > 0) {
      open.push_back(Open{items, (b & 0xf0) == 0x80 || b == 0xde || b == 0xdf});
      continue;
    }
    Scan failure = Scan::kOk;
    if (end_item(key_problem, &failure)) {
      if (failure != Scan::kOk) return failure;
      *used = static_cast<size_t>(p - start);
      return Scan::kOk;
    }
  }
}

void PushObject(lua_State* L, const msgpack_object& o) {
  luaL_checkstack(L, 1, kStackMessage);
  switch (o.type) {
    case MSGPACK_OBJECT_NIL:
      lua_pushnil(L);
      break;
    case MSGPACK_OBJECT_BOOLEAN:
      lua_pushboolean(L, o.via.boolean ? 1 : 0);
      break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:  // through lua_Integer, as lua-cmsgpack
      lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(o.via.u64)));
      break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
      lua_pushnumber(L, static_cast<lua_Number>(o.via.i64));
      break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
      lua_pushnumber(L, o.via.f64);
      break;
    case MSGPACK_OBJECT_STR:
      lua_pushlstring(L, o.via.str.ptr, o.via.str.size);
      break;
    case MSGPACK_OBJECT_ARRAY:
      // A plain new table filled in order, as lua-cmsgpack: the table's layout (and so a
      // later pairs()/pack order) is the same as Redis's.
      lua_newtable(L);
      luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        lua_pushnumber(L, i + 1);
        PushObject(L, o.via.array.ptr[i]);
        lua_settable(L, -3);
      }
      break;
    case MSGPACK_OBJECT_MAP:
      lua_newtable(L);
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        PushObject(L, o.via.map.ptr[i].key);
        PushObject(L, o.via.map.ptr[i].val);
        lua_settable(L, -3);  // a nil / NaN key fails as in lua-cmsgpack
      }
      break;
    default:  // bin / ext: refused by ScanValue before
      lua_pushnil(L);
      break;
  }
}

// Reads one value ScanValue accepted, with PushObject's pushes and stack checks (so a value
// too deep for Lua's stack fails as in lua-cmsgpack); advances *p past it. Only for values
// nested deeper than msgpack-c reads.
void PushScanned(lua_State* L, const unsigned char** p) {
  luaL_checkstack(L, 1, kStackMessage);
  const unsigned char* b = *p;
  const unsigned char t = b[0];
  auto read_table = [&](uint64_t n, bool map, size_t header) {
    *p += header;
    lua_newtable(L);
    if (!map) luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
    for (uint64_t i = 0; i < n; ++i) {
      if (map) {
        PushScanned(L, p);
      } else {
        lua_pushnumber(L, static_cast<lua_Number>(i + 1));
      }
      PushScanned(L, p);
      lua_settable(L, -3);
    }
  };
  auto read_string = [&](uint64_t len, size_t header) {
    lua_pushlstring(L, reinterpret_cast<const char*>(b + header), static_cast<size_t>(len));
    *p += header + len;
  };
  if (t <= 0x7f) {
    lua_pushnumber(L, t);
    *p += 1;
  } else if (t >= 0xe0) {
    lua_pushnumber(L, static_cast<signed char>(t));
    *p += 1;
  } else if ((t & 0xe0) == 0xa0) {
    read_string(t & 0x1f, 1);
  } else if ((t & 0xf0) == 0x90) {
    read_table(t & 0x0f, false, 1);
  } else if ((t & 0xf0) == 0x80) {
    read_table(t & 0x0f, true, 1);
  } else {
    switch (t) {
      case 0xc0:
        lua_pushnil(L);
        *p += 1;
        break;
      case 0xc2:
        lua_pushboolean(L, 0);
        *p += 1;
        break;
      case 0xc3:
        lua_pushboolean(L, 1);
        *p += 1;
        break;
      case 0xcc:
        lua_pushnumber(L, b[1]);
        *p += 2;
        break;
      case 0xcd:
        lua_pushnumber(L, static_cast<lua_Number>(BigEndian(b + 1, 2)));
        *p += 3;
        break;
      case 0xce:
        lua_pushnumber(L, static_cast<lua_Number>(BigEndian(b + 1, 4)));
        *p += 5;
        break;
      case 0xcf:
      case 0xd3:
        lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(BigEndian(b + 1, 8))));
        *p += 9;
        break;
      case 0xd0:
        lua_pushnumber(L, static_cast<int8_t>(b[1]));
        *p += 2;
        break;
      case 0xd1:
        lua_pushnumber(L, static_cast<int16_t>(BigEndian(b + 1, 2)));
        *p += 3;
        break;
      case 0xd2:
        lua_pushnumber(L, static_cast<int32_t>(BigEndian(b + 1, 4)));
        *p += 5;
        break;
      case 0xca: {
        const uint32_t bits = static_cast<uint32_t>(BigEndian(b + 1, 4));
        float f;
        std::memcpy(&f, &bits, 4);
        lua_pushnumber(L, f);
        *p += 5;
        break;
      }
      case 0xcb: {
        const uint64_t bits = BigEndian(b + 1, 8);
        double d;
        std::memcpy(&d, &bits, 8);
        lua_pushnumber(L, d);
        *p += 9;
        break;
      }
      case 0xd9:
        read_string(b[1], 2);
        break;
      case 0xda:
        read_string(BigEndian(b + 1, 2), 3);
        break;
      case 0xdb:
        read_string(BigEndian(b + 1, 4), 5);
        break;
      case 0xdc:
        read_table(BigEndian(b + 1, 2), false, 3);
        break;
      case 0xdd:
        read_table(BigEndian(b + 1, 4), false, 5);
        break;
      case 0xde:
        read_table(BigEndian(b + 1, 2), true, 3);
        break;
      case 0xdf:
        read_table(BigEndian(b + 1, 4), true, 5);
        break;
      default:
        lua_pushnil(L);
        *p += 1;
        break;  // not reached: ScanValue refused it
    }
  }
}

// Unpacks up to `limit` values from byte `offset` of argument 1 (limit 0 and offset 0: all,
// without the next-offset result), as lua-cmsgpack's mp_unpack_full.
int UnpackFull(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const bool all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    // lua-cmsgpack prints the input's length where it means the limit.
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", static_cast<int>(offset),
                      static_cast<int>(len));
  }
  if (all) limit = INT_MAX;
  const auto* data = reinterpret_cast<const unsigned char*>(s);
  size_t pos = static_cast<size_t>(offset);
  int count = 0;
  msgpack_unpacked result;
  msgpack_unpacked_init(&result);
  struct Release {
    msgpack_unpacked* r;
    ~Release() { msgpack_unpacked_destroy(r); }
  } release{&result};
  for (; pos < len && count < limit; ++count) {
    size_t used = 0;
    const Scan scan = ScanValue(data + pos, len - pos, &used);
    if (scan == Scan::kMissingBytes) return luaL_error(L, "Missing bytes in input.");
    if (scan == Scan::kBadFormat) return luaL_error(L, "Bad data format in input.");
    if (scan != Scan::kOk) {  // Lua's own error for the key (it carries no position)
      lua_pushstring(L, scan == Scan::kNilKey ? "table index is nil" : "table index is NaN");
      return lua_error(L);
    }
    size_t off = 0;
    const msgpack_unpack_return rc = msgpack_unpack_next(&result, s + pos, used, &off);
    if (rc == MSGPACK_UNPACK_SUCCESS && off == used) {
      luaL_checkstack(L, 1, kStackMessage);
      PushObject(L, result.data);
    } else {
      // Only msgpack-c's nesting limit (MSGPACK_EMBED_STACK_SIZE, 32 open containers) refuses
      // a scanned value; lua-cmsgpack reads deeper ones (until Lua's stack is full).
      const unsigned char* p = data + pos;
      PushScanned(L, &p);
    }
    pos += used;
  }
  if (!all) {
    luaL_checkstack(L, 1, "in function mp_unpack_full");
    lua_pushinteger(L, pos == len ? -1 : static_cast<lua_Integer>(pos));
    lua_insert(L, 2);
    ++count;
  }
  return count;
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  const lua_Integer offset = luaL_optinteger(L, 2, 0);
  lua_settop(L, 1);
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  const lua_Integer limit = luaL_checkinteger(L, 2);
  const lua_Integer offset = luaL_optinteger(L, 3, 0);
  lua_settop(L, 1);
  return UnpackFull(L, limit, offset);
}

}  // namespace

void OpenCmsgpack(lua_State* L) {
  lua_newtable(L);
  const luaL_Reg functions[] = {
      {"pack", Pack}, {"unpack", Unpack}, {"unpack_one", UnpackOne}, {"unpack_limit", UnpackLimit}};
  for (const auto& f : functions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, -2, f.name);
  }
  const char* fields[][2] = {{"_NAME", "cmsgpack"},
                             {"_VERSION", "lua-cmsgpack 0.4.0"},
                             {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
                             {"_DESCRIPTION", "MessagePack C implementation for Lua"}};
  for (const auto& f : fields) {
    lua_pushstring(L, f[1]);
    lua_setfield(L, -2, f[0]);
  }
  lua_setglobal(L, "cmsgpack");
}

}  // namespace petacore::commands::lua
