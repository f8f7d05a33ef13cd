// src/commands/lua_libs.h — the extra libraries Redis 7.0 gives scripts, beyond Lua's own and
// lua-cjson / lua-bitop (Debian's): cmsgpack (lua_cmsgpack.cc, on msgpack-c), struct
// (lua_struct.cc) and Redis's deterministic math.random (lua_random.cc). Not a public header:
// only the lua_*.cc files include it. Every function works on the calling thread's Lua state.
#pragma once

extern "C" {
#include <lua.h>
}

namespace petacore::commands::lua {

/// Sets the global `cmsgpack` table: pack / unpack / unpack_one / unpack_limit and the
/// _NAME/_VERSION/... fields, with lua-cmsgpack 0.4.0's behaviour as bundled by Redis 7.0:
/// encoding and error texts, 16-level nesting limit for packing. Encoding goes through
/// msgpack-c's msgpack_packer, decoding through msgpack_unpack_next.
void OpenCmsgpack(lua_State* L);

/// Sets the global `struct` table: pack / unpack / size in Roberto Ierusalimschy's format
/// language (Redis's deps/lua/src/lua_struct.c, as on x86-64: long and size_t are 8 bytes,
/// native order little-endian): same results and the same error texts.
void OpenStruct(lua_State* L);

/// Replaces math.random / math.randomseed in the global `math` table (call before the
/// sandbox wraps it) with Redis's rand48 generator: one sequence per process, seeded as
/// Redis's (never reseeded per script, as Redis 7.0), so the numbers are Redis's.
/// Thread-safe: the generator's state is one atomic word.
void OpenRandom(lua_State* L);

}  // namespace petacore::commands::lua
