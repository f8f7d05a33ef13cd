// lua_struct.cc — the `struct` library of Redis's scripts: struct.pack(fmt, ...) → string,
// struct.unpack(fmt, s [, pos]) → values..., next position, struct.size(fmt) → bytes.
// Behaviour and error texts as Redis 7.0's deps/lua/src/lua_struct.c (Roberto
// Ierusalimschy's library) built for x86-64 Linux; our own implementation.
//
// Format: '>' big endian, '<' little endian (the default: native), '![n]' maximum alignment
// (n a power of 2, default 8), ' ' ignored, 'x' one zero byte, 'b'/'B' signed/unsigned char,
// 'h'/'H' short (2), 'l'/'L' long (8), 'T' size_t (8), 'i[n]'/'I[n]' integer of n bytes
// (default 4, at most 32), 'f' float, 'd' double, 'c[n]' n chars (packing c0 = the whole
// string; unpacking c0 = the length is the previous value read), 's' zero-terminated string.
// Integers go through a 64-bit long, as Redis's: wider sizes keep only 64 bits.
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "commands/lua_libs.h"

namespace petacore::commands::lua {
namespace {

constexpr int kMaxIntSize = 32;
constexpr int kMaxAlign = 8;  // max(alignment padding of a double, sizeof(int)) on x86-64
constexpr bool kNativeLittle = true;

struct Options {
  bool little = kNativeLittle;
  int align = 1;
};

// A decimal count after an option ("i8", "c10", "!4"), or `fallback` when none follows.
int ReadCount(lua_State* L, const char** fmt, int fallback) {
  if (!std::isdigit(static_cast<unsigned char>(**fmt))) return fallback;
  int value = 0;
  do {
    const int digit = **fmt - '0';
    if (value > INT_MAX / 10 || value * 10 > INT_MAX - digit) {
      luaL_error(L, "integral size overflow");
    }
    value = value * 10 + digit;
    ++*fmt;
  } while (std::isdigit(static_cast<unsigned char>(**fmt)));
  return value;
}

// The size in bytes of option `opt` (reading its count); 0 for the control options.
size_t OptionSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
    case 'x':
      return 1;
    case 'H':
    case 'h':
      return 2;
    case 'L':
    case 'l':
    case 'T':
    case 'd':
      return 8;
    case 'f':
      return 4;
    case 'c':
      return static_cast<size_t>(ReadCount(L, fmt, 1));
    case 'i':
    case 'I': {
      const int size = ReadCount(L, fmt, 4);
      if (size > kMaxIntSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", size, kMaxIntSize);
      }
      return static_cast<size_t>(size);
    }
    default:
      return 0;
  }
}

// Padding before an item of `size` bytes at offset `offset` (the library's formula, also for
// sizes that are not powers of two).
size_t Padding(size_t offset, const Options& o, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > static_cast<size_t>(o.align)) size = static_cast<size_t>(o.align);
  return (size - (offset & (size - 1))) & (size - 1);
}

// The control options; anything else is an invalid option (argument 1).
void ControlOption(lua_State* L, char opt, const char** fmt, Options* o) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      o->little = false;
      return;
    case '<':
      o->little = true;
      return;
    case '!': {
      const int a = ReadCount(L, fmt, kMaxAlign);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      o->align = a;
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

// C's double -> unsigned long / long conversions as x86-64 code does them (out of range:
// the "integer indefinite" value), so that odd inputs pack as Redis's build does.
int64_t ToInt64(double n) {
  if (!(n >= -9223372036854775808.0 && n < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(n);
}
uint64_t ToUint64(double n) {
  if (!(n >= 9223372036854775808.0)) return static_cast<uint64_t>(ToInt64(n));  // NaN here
  return static_cast<uint64_t>(ToInt64(n - 9223372036854775808.0)) ^ (uint64_t{1} << 63);
}

void PutInteger(lua_State* L, luaL_Buffer* out, int arg, bool little, size_t size) {
  const lua_Number n = luaL_checknumber(L, arg);
  uint64_t value = n < 0 ? static_cast<uint64_t>(ToInt64(n)) : ToUint64(n);
  char bytes[kMaxIntSize];
  for (size_t i = 0; i < size; ++i) {
    bytes[little ? i : size - 1 - i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  luaL_addlstring(out, bytes, size);
}

// Copies `size` bytes of a float/double in the requested byte order.
void PutSwapped(luaL_Buffer* out, const void* p, size_t size, bool little) {
  const char* b = static_cast<const char*>(p);
  if (little == kNativeLittle) {
    luaL_addlstring(out, b, size);
  } else {
    for (size_t i = size; i > 0; --i) luaL_addchar(out, b[i - 1]);
  }
}
void GetSwapped(void* dst, const char* src, size_t size, bool little) {
  char* d = static_cast<char*>(dst);
  for (size_t i = 0; i < size; ++i) d[i] = little == kNativeLittle ? src[i] : src[size - 1 - i];
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Options o;
  int arg = 2;
  size_t total = 0;
  // The output is built in a luaL_Buffer above a nil mark, as the library does: a missing
  // argument right after the given ones is reported as "got nil", and a long output's pieces
  // sit on the stack where further missing arguments would be.
  lua_pushnil(L);
  luaL_Buffer b;
  luaL_Buffer* out = &b;
  luaL_buffinit(L, out);
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    const size_t pad = Padding(total, o, opt, size);
    total += pad;
    for (size_t i = 0; i < pad; ++i) luaL_addchar(out, '\0');
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        PutInteger(L, out, arg++, o.little, size);
        break;
      case 'x':
        luaL_addchar(out, '\0');
        break;
      case 'f': {
        const float f = static_cast<float>(luaL_checknumber(L, arg++));
        PutSwapped(out, &f, sizeof(f), o.little);
        break;
      }
      case 'd': {
        const double d = luaL_checknumber(L, arg++);
        PutSwapped(out, &d, sizeof(d), o.little);
        break;
      }
      case 'c':
      case 's': {
        size_t len;
        const char* s = luaL_checklstring(L, arg++, &len);
        if (size == 0) size = len;
        // The library reports the argument after the string (its counter has moved on).
        luaL_argcheck(L, len >= size, arg, "string too short");
        luaL_addlstring(out, s, size);
        if (opt == 's') {
          luaL_addchar(out, '\0');
          ++size;
        }
        break;
      }
      default:
        ControlOption(L, opt, &fmt, &o);
    }
    total += size;
  }
  luaL_pushresult(out);
  return 1;
}

lua_Number GetInteger(const char* p, bool little, bool is_signed, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) {
    value = (value << 8) | static_cast<unsigned char>(p[little ? size - 1 - i : i]);
  }
  if (!is_signed) return static_cast<lua_Number>(value);
  // Sign extension from bit size*8-1 (the shift count taken mod 64, as the x86-64 build).
  const uint64_t mask = ~uint64_t{0} << ((size * 8 - 1) & 63);
  if (value & mask) value |= mask;
  return static_cast<lua_Number>(static_cast<int64_t>(value));
}

int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t len;
  const char* data = luaL_checklstring(L, 2, &len);
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1));
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  --pos;
  Options o;
  int n = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(pos, o, opt, size);
    luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        lua_pushnumber(L, GetInteger(data + pos, o.little, std::islower(opt) != 0, size));
        ++n;
        break;
      case 'x':
        break;
      case 'f': {
        float f;
        GetSwapped(&f, data + pos, sizeof(f), o.little);
        lua_pushnumber(L, f);
        ++n;
        break;
      }
      case 'd': {
        double d;
        GetSwapped(&d, data + pos, sizeof(d), o.little);
        lua_pushnumber(L, d);
        ++n;
        break;
      }
      case 'c':
        if (size == 0) {
          if (n == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
          size = static_cast<size_t>(ToUint64(lua_tonumber(L, -1)));
          lua_pop(L, 1);
          --n;
          luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
        }
        lua_pushlstring(L, data + pos, size);
        ++n;
        break;
      case 's': {
        const void* end = std::memchr(data + pos, '\0', len - pos);
        if (end == nullptr) luaL_error(L, "unfinished string in data");
        size = static_cast<size_t>(static_cast<const char*>(end) - (data + pos)) + 1;
        lua_pushlstring(L, data + pos, size - 1);
        ++n;
        break;
      }
      default:
        ControlOption(L, opt, &fmt, &o);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return n + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Options o;
  size_t pos = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    const size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(pos, o, opt, size);
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    // As the library: letters it does not know count 0 bytes here instead of failing.
    if (!std::isalnum(static_cast<unsigned char>(opt))) ControlOption(L, opt, &fmt, &o);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

void OpenStruct(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"pack", Pack}, {"unpack", Unpack}, {"size", Size}, {nullptr, nullptr}};
  luaL_register(L, "struct", kFunctions);
  lua_pop(L, 1);
}

}  // namespace petacore::commands::lua
