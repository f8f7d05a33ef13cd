// lua_random.cc — math.random / math.randomseed as Redis 7.0's scripts see them: Redis
// replaces Lua's rand()-based versions with its own rand48 generator (src/rand.c), so a
// script's numbers do not depend on the platform's libc. Redis 7.0 keeps one generator for
// the process and never reseeds it between scripts: consecutive EVALs continue the sequence
// (checked against redis-server 7.0.15 by test_scripting_libs.py).
//
// The generator is the classic 48-bit linear congruential one of lrand48: X' = (a·X + c) mod
// 2^48 with a = 0x5DEECE66D, c = 11, output the top 31 bits; srand48(s) sets X to
// s << 16 | 0x330E (low 32 bits of s); the initial state is srand48's default 0x1234ABCD330E.
#include <atomic>
#include <cmath>
#include <cstdint>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include "commands/lua_internal.h"
#include "commands/lua_libs.h"

namespace petacore::commands::lua {
namespace {

constexpr uint64_t kMask48 = (uint64_t{1} << 48) - 1;
constexpr uint64_t kMultiplier = 0x5DEECE66DULL;
constexpr uint64_t kIncrement = 0xB;
constexpr uint64_t kInitialState = 0x1234ABCD330EULL;
constexpr int32_t kLrand48Max = INT32_MAX;  // Redis's REDIS_LRAND48_MAX

// The process's generator (Redis has one per server). One atomic word: io threads running
// scripts at the same time each take the next number of the one sequence.
std::atomic<uint64_t> state{kInitialState};

int32_t NextLrand48() {
  uint64_t x = state.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    next = (kMultiplier * x + kIncrement) & kMask48;
  } while (!state.compare_exchange_weak(x, next, std::memory_order_relaxed));
  return static_cast<int32_t>(next >> 17);
}

void Srand48(int32_t seed) {
  const uint32_t s = static_cast<uint32_t>(seed);
  state.store((uint64_t{s} << 16) | 0x330E, std::memory_order_relaxed);
}

// math.random([m [, n]]): Lua 5.1's contract on Redis's generator.
int MathRandom(lua_State* L) {
  if (current_frame == nullptr) {
    return luaL_error(L, "math.random can only be called inside a script invocation");
  }
  const lua_Number r =
      static_cast<lua_Number>(NextLrand48() % kLrand48Max) / static_cast<lua_Number>(kLrand48Max);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      return 1;
    case 1: {
      const int upper = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= upper, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * upper) + 1);
      return 1;
    }
    case 2: {
      const int lower = luaL_checkint(L, 1);
      const int upper = luaL_checkint(L, 2);
      luaL_argcheck(L, lower <= upper, 2, "interval is empty");
      // The width is C int arithmetic in Redis (wrapping on x86-64 for the widest ranges).
      const int width =
          static_cast<int>(static_cast<uint32_t>(upper) - static_cast<uint32_t>(lower) + 1U);
      lua_pushnumber(L, std::floor(r * width) + lower);
      return 1;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
}

int MathRandomSeed(lua_State* L) {
  if (current_frame == nullptr) {
    return luaL_error(L, "math.randomseed can only be called inside a script invocation");
  }
  Srand48(luaL_checkint(L, 1));
  return 0;
}

}  // namespace

void OpenRandom(lua_State* L) {
  lua_getglobal(L, "math");
  lua_pushcfunction(L, MathRandom);
  lua_setfield(L, -2, "random");
  lua_pushcfunction(L, MathRandomSeed);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);
}

}  // namespace petacore::commands::lua
