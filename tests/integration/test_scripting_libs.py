"""Lua scripting (issue 14): the libraries Redis 7.0 gives scripts beyond Lua's own — cmsgpack,
struct, Redis's deterministic math.random — redis.setresp(3) (RESP3 replies inside scripts
and RESP3 tables in a script's reply, downgraded for RESP2 callers), and the edges of the
redis.* surface, cjson and bit. Differential: every case runs on redis-server 7.0.15 and on
PetaCore and the replies are compared as raw RESP bytes (resp_wire's reader), so types
(map / set / double / big number / verbatim / boolean / null) must match, not only values.
"""
import sys
import unittest

from differential import AgainstRedisTestCase
from resp_wire import RawConn


CMSGPACK = [
    # Encodings of every kind of value (the packed bytes are the reply).
    "return cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296)",
    "return cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)",
    "return cmsgpack.pack(2^53, -2^53, 2^63, -2^63, 2^64, 1e300, -1e300)",
    "return cmsgpack.pack(1.5, -0.25, 0.1, 3.14159, 1/0, -1/0, 1e-300)",
    "return cmsgpack.pack(0/0) == cmsgpack.pack(0/0)",
    "return cmsgpack.pack('', 'a', string.rep('x', 31), string.rep('y', 32))",
    "return cmsgpack.pack(string.rep('z', 255), string.rep('w', 256))",
    "return #cmsgpack.pack(string.rep('v', 65535)) .. ',' .. "
    "#cmsgpack.pack(string.rep('v', 65536))",
    "return cmsgpack.pack(true, false, nil, 'after nil')",
    "return cmsgpack.pack({}, {1, 2, 3}, {'a', {'b', {'c'}}})",
    "return cmsgpack.pack({a = 1})", "return cmsgpack.pack({[1] = 'x', [3] = 'z'})",
    "return cmsgpack.pack({[0] = 'zero', [1] = 'one'})", "return cmsgpack.pack({[1.5] = 'f'})",
    "return cmsgpack.pack({[-1] = 'neg'})", "return cmsgpack.pack({[2] = 'b', [1] = 'a'})",
    "local t = {} for i = 1, 16 do t[i] = i end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 70000 do t[i] = i % 7 end return #cmsgpack.pack(t)",
    "local t = {} for i = 1, 20 do t['k' .. i] = i end return #cmsgpack.pack(t)",
    "local t = {} for i = 1, 20 do t['k' .. i] = i end "
    "local u = cmsgpack.unpack(cmsgpack.pack(t)) local n = 0 "
    "for k, v in pairs(u) do n = n + 1 assert(t[k] == v) end return n",
    "local t = {b = 2, a = 1, c = {x = 'y'}} return cmsgpack.pack(t)",
    "local t = {} t.self = t return cmsgpack.pack(t)",
    "local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)",
    "return cmsgpack.pack(function() end, print)",
    "return cmsgpack.pack(cjson.null)",
    "return cmsgpack.pack()",
    "return cmsgpack.pack({1, nil, 3})",
    # Unpacking.
    "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, 4}, {five = 5}))}",
    "local a, b = cmsgpack.unpack(cmsgpack.pack({x = {y = {z = 'deep'}}}, 7)) return {a.x.y.z, b}",
    "return cmsgpack.unpack(cmsgpack.pack(1.5))",
    "return tostring(cmsgpack.unpack(cmsgpack.pack(0.1)))",
    "return tostring(cmsgpack.unpack(cmsgpack.pack(2^63)))",
    "return tostring(cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255'))",
    "return tostring(cmsgpack.unpack('\\211\\128\\0\\0\\0\\0\\0\\0\\0'))",
    "return {cmsgpack.unpack('\\209\\255\\128', '\\208\\128', '\\224')}",
    "return {cmsgpack.unpack('\\209\\255\\128\\208\\128\\224\\255\\204\\200')}",
    "return cmsgpack.unpack('\\202\\63\\192\\0\\0')",
    "return select('#', cmsgpack.unpack(''))",
    "return cmsgpack.unpack('\\192') == nil",
    "return {cmsgpack.unpack('\\195\\194')}",
    "return cmsgpack.unpack('\\145')", "return cmsgpack.unpack('\\146\\1')",
    "return cmsgpack.unpack('\\196\\1a')", "return cmsgpack.unpack('\\193')",
    "return cmsgpack.unpack('\\146\\196')", "return cmsgpack.unpack('\\213\\1\\2\\3')",
    "return cmsgpack.unpack('\\217\\5abc')", "return cmsgpack.unpack('\\221\\255\\255\\255\\255')",
    "return cmsgpack.unpack('\\223\\255\\255\\255\\255\\1')",
    "return cmsgpack.unpack('\\129\\192\\1')", "return cmsgpack.unpack('\\129\\1\\192')",
    # A nil / NaN map key fails once its value is read, before a later truncation.
    "return cmsgpack.unpack('\\194\\128\\222\\146\\127\\204\\129\\192\\192\\204\\202\\217')",
    "return cmsgpack.unpack('\\130\\192\\145')", "return cmsgpack.unpack('\\130\\192\\1\\217')",
    "return cmsgpack.unpack('\\129\\203\\127\\248\\0\\0\\0\\0\\0\\0\\1')",
    "return cmsgpack.unpack('\\129\\202\\127\\192\\0\\0\\1')",
    "return cmsgpack.unpack('\\129\\145\\192\\1')",
    "return cmsgpack.unpack('\\129\\129\\192\\1\\1')",
    # Deeper than msgpack-c's unpacker reads (32), up to Lua's stack limit.
    "local v = cmsgpack.unpack(string.rep('\\145', 40) .. '\\7') "
    "for i = 1, 40 do v = v[1] end return v",
    "local v = cmsgpack.unpack(string.rep('\\129\\161k', 40) .. '\\7') "
    "for i = 1, 40 do v = v.k end return v",
    "local v = cmsgpack.unpack(string.rep('\\145', 40) .. '\\192') return type(v)",
    "return cmsgpack.unpack(string.rep('\\145', 40))",
    "return cmsgpack.unpack(string.rep('\\145', 40) .. '\\193')",
    "return cmsgpack.unpack(string.rep('\\145', 5000) .. '\\1')",
    "return cmsgpack.unpack(string.rep('\\129\\1', 5000) .. '\\1')",
    "return #cmsgpack.pack(cmsgpack.unpack(string.rep('\\145', 40) .. '\\1'))",
    "return cmsgpack.unpack({})", "return cmsgpack.unpack()", "return cmsgpack.unpack(12)",
    "local t = cmsgpack.unpack('\\148\\1\\192\\3\\192') return {#t, t[1], t[3]}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}",
    "local s = cmsgpack.pack(1, 2, 3) return {cmsgpack.unpack_one(s, 1)}",
    "local s = cmsgpack.pack(1, 2, 3) return {cmsgpack.unpack_one(s, 2)}",
    "local s = cmsgpack.pack(1, 2, 3) return {cmsgpack.unpack_one(s, 3)}",
    "local s = cmsgpack.pack(1, 2, 3) return {cmsgpack.unpack_one(s, 4)}",
    "local s = cmsgpack.pack(1, 2, 3) return {cmsgpack.unpack_one(s, -1)}",
    "local s = cmsgpack.pack('ab', 'cd') return {cmsgpack.unpack_limit(s, 1)}",
    "local s = cmsgpack.pack('ab', 'cd') return {cmsgpack.unpack_limit(s, 5)}",
    "local s = cmsgpack.pack('ab', 'cd') return {cmsgpack.unpack_limit(s, 1, 3)}",
    "local s = cmsgpack.pack('ab', 'cd') return {cmsgpack.unpack_limit(s, 0)}",
    "local s = cmsgpack.pack('ab', 'cd') return {cmsgpack.unpack_limit(s, -1)}",
    "local s = cmsgpack.pack('ab', 'cd') return {cmsgpack.unpack_limit(s)}",
    "return {cmsgpack.unpack_one('')}", "return {cmsgpack.unpack_one('\\1', 'x')}",
    "local t = {} for i = 1, 9000 do t[i] = i end "
    "return select('#', cmsgpack.unpack(cmsgpack.pack(unpack(t, 1, 7000))))",
    "return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}",
    "return type(cmsgpack_safe)", "cmsgpack.pack = nil",
    # A job-options-like table round-trips byte for byte (BullMQ's use).
    "local opts = {attempts = 3, backoff = {type = 'exponential', delay = 1000}, "
    "removeOnComplete = true, delay = 0, priority = 0, jobId = 'abc', timestamp = 1700000000123,"
    " lifo = false, rate = 0.5} "
    "local p = cmsgpack.pack(opts) return {p, p == cmsgpack.pack(cmsgpack.unpack(p))}",
]

STRUCT = [
    "return struct.pack('b', -1)", "return struct.pack('B', 255)", "return struct.pack('B', 256)",
    "return struct.pack('>h', 258)", "return struct.pack('<h', 258)", "return struct.pack('H', -1)",
    "return struct.pack('>l', 1)", "return struct.pack('<L', 2^40 + 5)",
    "return struct.pack('T', 7)",
    "return struct.pack('i', -2)", "return struct.pack('>i3', 65536 + 2)",
    "return struct.pack('<I8', 2^53)", "return struct.pack('>i16', -1)",
    "return struct.pack('i33', 1)", "return struct.pack('i0', 1)",
    "return struct.pack('f', 1.5)", "return struct.pack('>d', -0.1)",
    "return struct.pack('<f', 0.1)",
    "return struct.pack('s', 'abc')", "return struct.pack('c', 'xyz')",
    "return struct.pack('c2', 'xyz')", "return struct.pack('c0', 'whole')",
    "return struct.pack('c5', 'abc')", "return struct.pack('x', 1)",
    "return struct.pack('b x h', 1, 2)", "return struct.pack('!4 b i', 1, 2)",
    "return struct.pack('!b h', 1, 2)", "return struct.pack('!8 b d', 1, 2)",
    "return struct.pack('!2 b l', 1, 2)", "return struct.pack('!3 b', 1)",
    "return struct.pack('!4 b i3 b', 1, 2, 3)", "return struct.pack('>!4 c b i', 'q', 1, 2)",
    "return struct.pack('z', 1)", "return struct.pack('b')", "return struct.pack('bb', 1)",
    "return struct.pack('bbb', 1)", "return struct.pack('c0 b', string.rep('x', 10000))",
    "return #struct.pack('c0 c0', string.rep('x', 10000), string.rep('y', 9000))",
    "return struct.pack('b', 'x')",
    "return struct.pack('b', '12')", "return struct.pack()", "return struct.pack('')",
    "return struct.pack('i99999999999', 1)", "return struct.pack('B', -1)",
    "return struct.pack('>I', 2^32 + 1)", "return struct.pack('l', 2^64)",
    "return struct.pack('l', -2^63)", "return struct.pack('l', 0/0)",
    "return {struct.unpack('b', '\\255')}", "return {struct.unpack('B', '\\255')}",
    "return {struct.unpack('>h', '\\1\\2')}", "return {struct.unpack('<H', '\\255\\255')}",
    "return {struct.unpack('>i3', '\\255\\255\\254')}",
    "return {struct.unpack('<I3', '\\1\\0\\0')}",
    "return {struct.unpack('>l', struct.pack('>l', -5))}",
    "return {struct.unpack('<i9', string.rep('\\255', 9))}",
    "return {struct.unpack('>I16', string.rep('\\1', 16))}",
    "return {tostring(struct.unpack('f', struct.pack('f', 0.1)))}",
    "return {tostring(struct.unpack('>d', struct.pack('>d', 3.25)))}",
    "return {struct.unpack('s', 'abc\\0def\\0')}", "return {struct.unpack('ss', 'abc\\0def\\0')}",
    "return {struct.unpack('s', 'abc')}", "return {struct.unpack('c3', 'abcdef')}",
    "return {struct.unpack('c3', 'ab')}", "return {struct.unpack('b c0', '\\3xyzw')}",
    "return {struct.unpack('c0', 'abc')}", "return {struct.unpack('s c0', 'x\\0y')}",
    "return {struct.unpack('b c0', '\\9xyz')}",
    "return {struct.unpack('c2', 'abcdef', 3)}", "return {struct.unpack('c2', 'abcdef', 0)}",
    "return {struct.unpack('c2', 'abcdef', -1)}", "return {struct.unpack('c2', 'abcdef', 6)}",
    "return {struct.unpack('c2', 'abcdef', 7)}", "return {struct.unpack('c2', 'abcdef', 8)}",
    "return {struct.unpack('!4 b i', struct.pack('!4 b i', 7, -9))}",
    "return {struct.unpack('x b', '\\1\\2')}", "return {struct.unpack('q', 'a')}",
    "return {struct.unpack('i', 'ab')}", "return {struct.unpack('i')}",
    "return {struct.unpack('i', 12345)}", "return {struct.unpack('', 'abc')}",
    "return {struct.unpack('<b>h', '\\1\\0\\2')}",
    "return struct.size('b h l T i I2 f d x c4')", "return struct.size('!4 b i')",
    "return struct.size('!8 b d')", "return struct.size('s')", "return struct.size('c0')",
    "return struct.size('c')", "return struct.size('q')", "return struct.size('!')",
    "return struct.size('!5 i')", "return struct.size('?')", "return struct.size('')",
    "return struct.size()", "return type(struct)", "struct.pack = nil",
]

RANDOM = [
    "return {tostring(math.random()), math.random(100), math.random(5, 10)}",
    "return {tostring(math.random()), math.random(100), math.random(5, 10)}",
    "math.randomseed(7) return {tostring(math.random()), math.random(100)}",
    "return tostring(math.random())",
    "math.randomseed(-123456789) return {math.random(1, 2^31 - 1), math.random(-5, -1)}",
    "math.randomseed(2^33 + 3) return math.random(1000)",
    "return math.random(0)", "return math.random(3, 2)", "return math.random(1, 2, 3)",
    "return math.random('x')", "return math.randomseed()", "return math.randomseed('x')",
    "return math.random(-2^31, 2^31 - 1)", "return math.random(2.9)",
    "return tostring(math.random())",
]

# Under redis.setresp(3): what redis.call's RESP3 replies look like in Lua.
RESP3_IN_LUA = [
    "redis.setresp(3) redis.call('hset', 'h', 'a', '1') local r = redis.call('hgetall', 'h') "
    "return {type(r), type(r.map), r.map.a}",
    "redis.setresp(3) redis.call('sadd', 's', 'x', 'y') local r = redis.call('smembers', 's') "
    "return {type(r.set), r.set.x, r.set.y, r.set.z}",
    "redis.setresp(3) redis.call('zadd', 'z', 1.5, 'm') local r = redis.call('zscore', 'z', 'm') "
    "return {type(r), type(r.double), tostring(r.double)}",
    "redis.setresp(3) local r = redis.call('get', 'missing') return {r == nil, type(r)}",
    "redis.setresp(2) local r = redis.call('get', 'missing') return {r == false, type(r)}",
    "redis.setresp(3) local r = redis.call('info', 'server') "
    "return {type(r.verbatim_string), r.verbatim_string.format, "
    "type(r.verbatim_string.string)}",
    "redis.setresp(3) return redis.call('zadd', 'z', 2, 'n')",
    "redis.setresp(3) return redis.call('set', 'k', 'v')",
    "redis.setresp(3) return redis.pcall('lpush', 'k', 'x')",
    "redis.setresp(3) return redis.call('lrange', 'nolist', 0, -1)",
    "redis.setresp(3) redis.call('rpush', 'l', 'a') return redis.call('lrange', 'l', 0, -1)",
    "redis.setresp(3) return redis.call('zscore', 'z', 'm')",
    "redis.setresp(3) return redis.call('hgetall', 'h')",
    "redis.setresp(3) return redis.call('smembers', 's')",
    "redis.setresp(3) return redis.call('zrange', 'z', 0, -1, 'withscores')",
    "redis.setresp(3) return redis.call('get', 'missing')",
    "redis.setresp(3) return redis.call('hget', 'h', 'missing')",
    "redis.setresp(3) redis.setresp(2) return redis.call('hgetall', 'h')",
    "redis.setresp(3) return redis.call('hrandfield', 'h', 1, 'withvalues')",
]

# Commands whose RESP3 replies have types of their own, called with and without
# redis.setresp(3) (after SETUP_RESP3), their replies returned as they reach Lua.
SETUP_RESP3 = ("redis.call('zadd', 'z', 1.5, 'a', 2, 'b') redis.call('hset', 'h', 'f', 'v') "
               "redis.call('sadd', 's', 'm') redis.call('rpush', 'l', 'x', 'y') "
               "redis.call('set', 'str', '1') ")
RESP3_COMMANDS = [
    "'zincrby', 'z', 1, 'a'", "'zadd', 'z', 'incr', 1, 'b'", "'zmscore', 'z', 'a', 'nosuch'",
    "'zrange', 'z', 0, -1, 'withscores'", "'zpopmin', 'z'", "'zscore', 'z', 'nosuch'",
    "'zrangebyscore', 'z', '-inf', '+inf', 'withscores'", "'zrevrange', 'z', 0, -1, 'withscores'",
    "'zrank', 'z', 'a'", "'hgetall', 'h'", "'hmget', 'h', 'f', 'nosuch'", "'mget', 'str', 'nosuch'",
    "'smembers', 's'", "'sinter', 's'", "'sunion', 's', 'nosuch'", "'sdiff', 's'",
    "'incrbyfloat', 'str', '0.5'", "'lpos', 'l', 'y'", "'lpos', 'l', 'nosuch'",
    "'hscan', 'h', 0", "'sscan', 's', 0", "'zscan', 'z', 0", "'config', 'get', 'maxmemory'",
    "'zunion', 1, 'z', 'withscores'",
    "'zinter', 1, 'z', 'withscores'", "'smismember', 's', 'm', 'x'", "'sismember', 's', 'm'",
    "'lrange', 'nosuch', 0, -1", "'blpop', 'nosuch', 1", "'bzpopmin', 'nosuch', 1",
    "'hincrbyfloat', 'h', 'n', 1.5", "'expiretime', 'h'", "'getex', 'str'", "'sintercard', 1, 's'",
]

# RESP3 tables and booleans in a script's own reply (to a RESP2 and to a RESP3 caller).
RESP3_REPLIES = [
    "return {double = 1.5}", "return {double = 3}", "return {double = 0.1}",
    "return {double = 1/0}", "return {double = -1/0}", "return {double = '1.5'}",
    "return {big_number = '123456789012345678901234567890'}", "return {big_number = 12}",
    "return {big_number = 'a\\r\\nb'}",
    "return {verbatim_string = {format = 'txt', string = 'hello'}}",
    "return {verbatim_string = {format = 'mkd', string = ''}}",
    "return {verbatim_string = {format = 'x', string = 'short format'}}",
    "return {verbatim_string = {format = 'toolong', string = 'x'}}",
    "return {verbatim_string = {string = 'no format'}}", "return {verbatim_string = 'str'}",
    "return {map = {a = 1}}", "return {map = {}}", "return {map = {[1] = 'x', [2] = true}}",
    "return {map = {k = {1, 2}, n = {map = {x = 'y'}}}}", "return {map = 'str'}",
    "return {set = {a = true}}", "return {set = {}}", "return {set = {x = false, [7] = 1}}",
    "return {set = {'first'}}",
    "return {map = {a = 1}, set = {b = true}}", "return {ok = 'x', map = {a = 1}}",
    "return {err = 'E x', double = 1}", "return {double = 2, big_number = '3'}",
    "return {1, {double = 2.5}, {map = {z = false}}, {set = {q = true}}}",
    "return true", "return false", "return {true, false}",
    "redis.setresp(3) return true", "redis.setresp(3) return false",
    "redis.setresp(3) return {true, false, nil, 1}", "redis.setresp(3) return nil",
    "redis.setresp(3) return {map = {a = true, b = false}}",
    "redis.setresp(3) redis.setresp(2) return false",
    "return redis.setresp(3)", "return redis.setresp('3')", "return redis.setresp(3, 2)",
    "return redis.setresp(2.5)", "return redis.setresp(1)", "return redis.setresp({})",
    "return type(redis.setresp)",
]

SURFACE = [
    # redis.log levels and errors.
    "return redis.log(redis.LOG_DEBUG, 'd')", "return redis.log(0, 'a', 1, {}, nil, 'b')",
    "return redis.log(-1, 'x')", "return redis.log(4, 'x')", "return redis.log('3', 'x')",
    "return redis.log({}, 'x')", "return redis.log(3.9, 'x')", "return redis.log(1)",
    "return pcall(redis.log, 9, 'x')",
    # error_reply / status_reply.
    "return redis.error_reply('')", "return redis.error_reply('-')",
    "return redis.error_reply('-X')", "return redis.error_reply('-X y')",
    "return redis.error_reply('X \\nfoo\\r\\n')", "return redis.error_reply('-CODE \\r\\nmsg')",
    "return redis.error_reply('nocode')", "return redis.error_reply(12)",
    "return redis.error_reply('a', 'b')", "return redis.error_reply('a\\0b')",
    "return redis.status_reply('')", "return redis.status_reply('a\\r\\nb')",
    "return redis.status_reply('a\\0b')", "return redis.status_reply(1)",
    "return redis.status_reply()", "return {redis.status_reply('x')}",
    "return redis.error_reply('x').err", "return redis.status_reply('x').ok",
    "return {err = 'E1'}", "return {err = 'E\\r\\nx'}", "return {err = 12}",
    "return {ok = 12}", "return {ok = 'a\\0b'}", "return {err = 'a\\0b'}",
    "return {1, {err = 'inner'}, 3}", "return {{err = 'a'}, {ok = 'b'}}",
    "return setmetatable({}, {__index = {err = 'meta'}})",
    # sha1hex.
    "return redis.sha1hex(1)", "return redis.sha1hex(1.5)", "return redis.sha1hex(2^53)",
    "return redis.sha1hex(nil)", "return redis.sha1hex({})", "return redis.sha1hex('a', 'b')",
    # acl_check_cmd (the default user may run everything).
    "return redis.acl_check_cmd('get', 'x')", "return redis.acl_check_cmd('config')",
    "return redis.acl_check_cmd('config', 'get', 'x')", "return redis.acl_check_cmd('nosuch')",
    "return redis.acl_check_cmd('config', 'nosuch')", "return redis.acl_check_cmd('get')",
    "return redis.acl_check_cmd()", "return redis.acl_check_cmd({})",
    "return redis.acl_check_cmd('get', nil)", "return redis.acl_check_cmd('echo', 1.5)",
    # Errors of commands keep Redis's extra field.
    "redis.call('set', 'k', 'v') local t = redis.pcall('lpush', 'k', 'x') "
    "return {t.err, t.ignore_error_stats_update}",
    # REDIS_VERSION.
    "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}",
    # redis.call arguments: tables, nil, numbers.
    "return redis.call('echo', nil)", "return redis.pcall('echo', nil)",
    "return redis.call('echo', {})", "return redis.call('echo', true)",
    "return redis.call('echo', 1.5)", "return redis.call('echo', 0.1)",
    "return redis.call('echo', 2^53)", "return redis.call('echo', 2^63)",
    "return redis.call('echo', 1e300)", "return redis.call('echo', -0.0)",
    "return redis.call('echo', 1/0)", "return redis.call('echo', 100000000000000)",
    "return redis.call('set', 'n', 1e20)", "return redis.call('set', 'n', 12345678901234567)",
    "return redis.call('echo', 'a', nil)",
    # Numbers in replies.
    "return 2^53", "return 2^63", "return -2^63", "return 2^64", "return 1e308 * 10",
    "return 0/0", "return -0.9", "return {0.5, -0.5, 1e15 + 0.5}", "return 9007199254740993",
    "return {1, nil, 3}", "return {nil, 2}", "return {1, {2, nil, 4}, 5}",
    "return {[1] = 'a', [2] = 'b', [4] = 'd'}", "return {a = 1, 2}",
    # cjson edges.
    "return cjson.encode(cjson.null)", "return cjson.encode({cjson.null, 1})",
    "return type(cjson.null)", "return cjson.null == cjson.decode('null')",
    "return cjson.encode(cjson.decode('[1,2,null]'))",
    "return cjson.decode('12345678901234567890')",
    "return tostring(cjson.decode('12345678901234567890'))",
    "return tostring(cjson.decode('1e400'))", "return tostring(cjson.decode('-0'))",
    "return cjson.encode(2^53)", "return cjson.encode(0.1)", "return cjson.encode(1/3)",
    "return cjson.encode(1/0)", "return cjson.encode({[1] = 1, [3] = 3})",
    "return cjson.encode({a = {b = {c = {}}}})", "return cjson.encode('\\0\\1/\"')",
    "return type(cjson.encode_keep_buffer)",
    "return cjson.decode('{\"a\":1,\"a\":2}').a", "return cjson.decode('[')",
    "return cjson.decode('\"\\\\u00e9\"')", "return cjson.decode('[1,2,3]')[2]",
    "return cjson.encode(function() end)", "return cjson.decode(1)",
    "return type(cjson.new)", "return cjson._NAME", "return cjson._VERSION",
    # bit.
    "return bit.tohex(255)", "return bit.tohex(-1)", "return bit.tohex(255, 2)",
    "return bit.tohex(255, -4)", "return bit.tohex(2^32 + 1)", "return bit.tobit(2^32 + 5)",
    "return bit.arshift(-256, 4)", "return bit.rol(1, 33)", "return bit.bswap(0x12345678)",
    "return bit.tohex(1.5)", "return bit.band()", "return bit.tohex('x')",
    # string.format and friends.
    "return string.format('%d', 2^53)", "return string.format('%d', 2^31)",
    "return string.format('%d', -2^63)", "return string.format('%.3f', 1/3)",
    "return string.format('%5.1s|', 'abc')", "return string.format('%q', 'a\\0b\\n')",
    "return string.format('%x', 255)", "return string.format('%g', 2^63)",
    "return tostring(2^53)", "return tostring(0.1)", "return tostring(1e100)",
    "return tonumber('0x10')", "return tonumber('1e2')", "return tonumber(' 12 ')",
    "return #tostring(12345.678)", "return math.huge", "return tostring(-math.huge)",
    "return math.fmod(7, 3)", "return math.pi", "return tostring(math.pi)",
]

# Lua's own library as scripts see it (Redis's Lua 5.1.5 and Debian's are the same release), and
# the read-only tables read through rawget / next / pairs / ipairs as Redis's real tables.
LUA_BUILTINS = [
    "return type(string.dump)", "return _VERSION", "return type(gcinfo)",
    "return type(collectgarbage)", "return collectgarbage('count') > 0",
    "return string.format('%5.2f', 3.14159)", "return string.format('%c%c', 65, 66)",
    "return string.format('%o', 8)", "return string.format('%e', 12345.6789)",
    "return string.format('%-5d|', 3)", "return string.format('%+d', 3)",
    "return string.format('%i', 3.7)", "return string.format('%d', -0.5)",
    "return string.format('%d', 1e100)", "return string.format('%x', -1)",
    "return string.format('%s', 1.5)", "return string.format('%10.3s|', 'abcdef')",
    "return string.format('%%')", "return string.format('%z', 1)", "return string.format('%d')",
    "return string.format('%s')", "return tostring(1e15)", "return tostring(1e16)",
    "return tostring(123456789012)", "return tostring(-1/0)", "return tostring(0/0)",
    "return 1e15", "return 123456789.99", "return -0.0", "return tostring(2^63)",
    "return string.byte('abc', 1, -1)", "return {string.byte('abc', 1, -1)}",
    "return string.char(256)", "return string.rep('x', -1)", "return ('x'):rep(3, ',')",
    "return string.find('abc', 'b', 1, true)", "return {string.find('a.c', '.', 1, true)}",
    "return string.gsub('hello', 'l', 'L')", "return {string.gsub('hello', 'l', 'L')}",
    "return string.match('key:123', '(%a+):(%d+)')",
    "return {string.match('key:123', '(%a+):(%d+)')}", "return string.upper('aé')",
    "return #string.format('%99d', 1)", "return string.format('%100d', 1)",
    "return table.concat({1, 'a', 2.5})", "return table.concat({{}})",
    "local t = {3, 1, 2} table.sort(t) return t",
    "local t = {3, 1, 2} table.sort(t, function(a, b) return a > b end) return t",
    "return table.getn({1, 2})", "return table.maxn({1, 2, [10] = 3})",
    "local t = {1,2,3} table.remove(t, 1) return t",
    "local t = {} table.insert(t, 'a') table.insert(t, 1, 'b') return t",
    "return {unpack({1, 2, 3}, 2)}", "return select('#', 1, nil, 3)",
    "return {select(2, 'a', 'b', 'c')}", "return select(-1, 'a', 'b')", "return tonumber('z', 36)",
    "return tonumber('10', 2)", "return tonumber('', 10)", "return tonumber(nil)",
    "return math.floor(-3.5)", "return math.ceil(-3.5)", "return math.abs(-2^63)",
    "return math.sqrt(-1)", "return tostring(math.sqrt(-1))", "return math.min()",
    "return math.max(1, 'x')", "return math.mod(7, 3)", "return math.pow(2, 10)",
    "return math.ldexp(1, 10)", "return {math.frexp(8)}", "return math.modf(3.7)",
    "return {math.modf(-3.7)}", "return math.log10(1000)", "return math.exp(0)",
    "return tostring(math.log(0))", "return coroutine.wrap(function() coroutine.yield(1) end)()",
    "return type(coroutine.running())",
    "local co = coroutine.create(function() error('in co') end) return {coroutine.resume(co)}",
    "return assert(false, 'assert msg')", "return assert(nil)", "return assert(1, 2)",
    "return error('lvl', 2)", "return error('lvl0', 0)", "return pcall(error)",
    "return {pcall(error, {code = 1})}",
    "return {xpcall(function() error('x') end, function(e) return 'handled: ' .. e end)}",
    "return rawequal('a', 'a')", "return rawget(_G, 'redis') ~= nil",
    "return getmetatable('').__index == string", "return #arg", "return next({})",
    "return {next({5})}", "return type(ipairs({}))", "return tostring(nil)",
    "return tostring(true)", "return string.len(string.format('%q', string.char(0, 1, 2, 200)))",
    "return string.format('%q', 1/3)", "return string.reverse('abc')",
    "return string.sub('hello', -3)", "return string.sub('hello', 2, 100)",
    "return ('%d'):format(7)", "return #('x'):rep(1000000)", "return loadstring('return 1 +')",
    "return {loadstring('return 1 +')}", "return loadstring('return ...')(5)",
    "local f = function(...) return select('#', ...) end return f(nil, nil)",
    "return string.format('%s %s', 1, 2, 3)",
    "local t = {} for k in pairs(_G) do t[#t + 1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(string) do t[#t + 1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(redis) do t[#t + 1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(cmsgpack) do t[#t + 1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(struct) do t[#t + 1] = k end table.sort(t) return t",
    "local n = 0 for k, v in pairs(math) do n = n + 1 end return n",
    "for k, v in pairs(_G) do if k == 'string' then v.x = 1 end end",
    "for k, v in pairs(_G) do if type(v) == 'table' and k ~= '_G' and k ~= 'KEYS' and "
    "k ~= 'ARGV' then rawset(v, 'x', 1) end end",
    "return rawget(string, 'format') == string.format", "return rawget(_G, 'redis') == redis",
    "return rawget(_G, 'nosuch')", "return rawget(nil, 1)", "return rawget({})", "return rawget()",
    "return next(nil)", "return next()", "return pairs(nil)", "return pairs()", "return ipairs(1)",
    "return type(next(_G))", "return next(string, 'nosuchkey')",
    "local n = 0 for i, v in ipairs(_G) do n = n + 1 end return n",
    "local t = {} for i, v in ipairs({'a', 'b', nil, 'd'}) do t[i] = v end return t",
    "return type(__redis__err__handler)", "return __redis__err__handler('x').err",
    "local n = 0 for k, v in pairs({a = 1, b = 2, 3}) do n = n + 1 end return n",
]
CJSON = [
    "return cjson.encode({1, 2, nil, 4})", "return cjson.encode({[1]=1, [20]=2})",
    "return cjson.encode({[1]=1, a=2})", "return cjson.encode({[1.5]=1})",
    "return cjson.encode({[true]=1})", "return cjson.encode(0/0)", "return cjson.encode(-1/0)",
    "local t = {} local c = t for i=1,1100 do c[1] = {} c = c[1] end return cjson.encode(t)",
    "return cjson.decode(string.rep('[', 1100) .. string.rep(']', 1100))",
    "return cjson.decode('[1e309]')", "return cjson.decode('NaN')", "return cjson.decode('nan')",
    "return cjson.decode('Infinity')", "return cjson.decode('0x10')",
    "return cjson.decode('[1,]')", 'return cjson.decode(\'{"a":1,}\')',
    'return cjson.decode(\'"\\\\ud800"\')', 'return cjson.decode(\'"\\\\u0000"\')',
    "return cjson.encode('\\128\\255')", "return cjson.encode({['\\0']=1})",
    "return cjson.encode(12345678901234567890)", "return cjson.encode(1e-7)",
    "return cjson.encode(123456789012345)", "return cjson.encode(-0.0)",
    "return cjson.encode(3.14159265358979)", "return cjson.encode({})",
    "return cjson.decode('{}')[1]", "return cjson.decode('[]')[1]",
    "return cjson.encode(cjson.decode('{}'))", "return cjson.encode(cjson.decode('[]'))",
    "return cjson.decode(' 1 ')", "return cjson.decode('')", "return cjson.decode('1 2')",
    "return cjson.decode('true')", 'return cjson.decode(\'["a\\\\/b"]\')[1]',
    "return cjson.encode('a/b')", "return cjson.encode_number_precision()",
    "return cjson.encode_max_depth()", "return cjson.encode_sparse_array()",
    "return cjson.encode_invalid_numbers()", "return cjson.decode_invalid_numbers()",
    "return cjson.encode(1, 2)", "return cjson.encode()", "return cjson.decode()",
    "return cjson.decode({})", "return type(cjson.new())",
    'return cjson.decode(\'{"a":[1,2,{"b":null}]}\').a[3].b == cjson.null',
    "return cjson.decode('-12345678901234567890')",
    "return tostring(cjson.decode('123456789012345678'))", "return cjson.decode('1.5e3')",
    "return cjson.decode('[1.0]')[1]", "return cjson.encode(2^63)", "return cjson.encode(2^31)",
    "return #cjson.encode(string.rep('x', 100000))", "return cjson.encode({[1]=1,[2]=2,[4]=4})",
    "return cjson.encode({[1]=1,[2]=2,[5]=4,[6]=1,[7]=1,[8]=1,[9]=1,[10]=1,[11]=1,[12]=1,"
    "[13]=1,[30]=1})",
    'return cjson.decode(\'"\\\\u00e9\\\\u4e2d\\\\ud83d\\\\ude00"\')',
    'return cjson.decode(\'["\\t"]\')', 'return cjson.decode(\'["\\\\x"]\')',
]


class LibrariesAgainstRedis(AgainstRedisTestCase):
    """Every reply, byte for byte, against redis-server 7.0.15."""

    def setUp(self):
        self.pc = RawConn(self.node.port)
        self.rr = RawConn(self.redis.port)
        for c in (self.pc, self.rr):
            c.call("FLUSHALL")

    def tearDown(self):
        self.pc.close()
        self.rr.close()

    def same(self, *args, conns=None):
        pc, rr = conns or (self.pc, self.rr)
        want = rr.call(*args)
        got = pc.call(*args)
        self.assertEqual(got, want, f"{args!r}")
        return got

    def run_scripts(self, scripts, conns=None):
        for body in scripts:
            with self.subTest(script=body):
                self.same("EVAL", body, 0, conns=conns)

    def test_cmsgpack(self):
        self.run_scripts(CMSGPACK)

    def test_cmsgpack_round_trip_through_a_key(self):
        # Packed by one script, stored, unpacked by another: BullMQ's pattern.
        body = ("local p = cmsgpack.pack({name = ARGV[1], n = tonumber(ARGV[2]), "
                "tags = {'a', 'b'}})"
                " redis.call('set', KEYS[1], p) return p")
        self.same("EVAL", body, 1, "job", "email", "42")
        self.same("GET", "job")
        self.same("EVAL", "local t = cmsgpack.unpack(redis.call('get', KEYS[1])) "
                  "return {t.name, t.n, t.tags[2]}", 1, "job")

    def test_struct(self):
        self.run_scripts(STRUCT)

    def test_resp3_inside_scripts(self):
        self.run_scripts(RESP3_IN_LUA)

    def test_resp3_tables_to_a_resp2_caller(self):
        self.run_scripts(RESP3_REPLIES)
        self.run_scripts(RESP3_IN_LUA)

    def test_resp3_tables_to_a_resp3_caller(self):
        pc, rr = RawConn(self.node.port, protocol=3), RawConn(self.redis.port, protocol=3)
        try:
            self.run_scripts(RESP3_REPLIES, conns=(pc, rr))
            self.run_scripts(RESP3_IN_LUA, conns=(pc, rr))
            self.run_scripts(["return redis.call('get', 'missing')", "return nil",
                              "return {1, false}", "return redis.call('hgetall', 'h')"],
                             conns=(pc, rr))
        finally:
            pc.close()
            rr.close()

    def test_resp3_command_replies(self):
        resp3 = (RawConn(self.node.port, protocol=3), RawConn(self.redis.port, protocol=3))
        try:
            for conns in ((self.pc, self.rr), resp3):
                for mode in ("", "redis.setresp(3) "):
                    for args in RESP3_COMMANDS:
                        body = f"{SETUP_RESP3}{mode}return redis.pcall({args})"
                        with self.subTest(script=body, protocol=conns is resp3 and 3 or 2):
                            for c in conns:
                                c.call("FLUSHALL")
                            self.same("EVAL", body, 0, conns=conns)
        finally:
            for c in resp3:
                c.close()

    def test_ping_from_a_subscribed_resp3_caller(self):
        # The script's PING is the Lua client's, not in the caller's subscribed mode.
        pc, rr = RawConn(self.node.port, protocol=3), RawConn(self.redis.port, protocol=3)
        try:
            self.assertEqual(pc.call("SUBSCRIBE", "ch"), rr.call("SUBSCRIBE", "ch"))
            self.run_scripts(["return redis.call('ping')", "redis.setresp(3) "
                              "return redis.call('ping', 'x')"], conns=(pc, rr))
        finally:
            pc.close()
            rr.close()

    def test_setresp_does_not_outlive_its_script(self):
        self.same("HSET", "h", "f", "v")
        self.same("EVAL", "redis.setresp(3) return redis.call('hgetall', 'h')", 0)
        self.same("EVAL", "return redis.call('hgetall', 'h')", 0)
        self.same("EVAL", "return false", 0)
        self.same("EVAL", "redis.setresp(3) error('fails in RESP3')", 0)
        self.same("EVAL", "return {false, redis.call('get', 'missing')}", 0)

    def test_redis_surface(self):
        self.run_scripts(SURFACE)

    def test_cjson(self):
        self.run_scripts(CJSON)

    def test_cjson_configuration(self):
        # The settings live in the Lua state (one per io thread here, one per server in Redis):
        # read them, change them on this connection's state, then put them back.
        getters = ["encode_keep_buffer", "encode_sparse_array", "encode_max_depth",
                   "decode_max_depth", "encode_number_precision", "encode_invalid_numbers",
                   "decode_invalid_numbers"]
        read = "return {" + ", ".join(f"{{cjson.{g}()}}" for g in getters) + "}"
        self.same("EVAL", read, 0)
        try:
            self.run_scripts([
                "return cjson.encode_keep_buffer(false)", "return cjson.encode_keep_buffer('on')",
                "return {cjson.encode_sparse_array(true, 2, 3)}",
                "return cjson.encode({[1] = 1, [5] = 5})", "return cjson.encode_max_depth(2)",
                "return cjson.encode({{{1}}})", "return cjson.decode_max_depth(2)",
                "return cjson.decode('[[[1]]]')", "return cjson.encode_number_precision(3)",
                "return cjson.encode(1/3)", "return cjson.encode_number_precision(15)",
                "return cjson.encode_number_precision(0)",
                "return cjson.encode_invalid_numbers('null')", "return cjson.encode(1/0)",
                "return cjson.encode_invalid_numbers(true)", "return cjson.encode(-1/0)",
                "return cjson.decode_invalid_numbers(false)", "return cjson.decode('NaN')",
                read])
        finally:
            self.same("EVAL", "cjson.encode_keep_buffer(true) cjson.encode_sparse_array(false, 2, "
                      "10) cjson.encode_max_depth(1000) cjson.decode_max_depth(1000) "
                      "cjson.encode_number_precision(14) cjson.encode_invalid_numbers(false) "
                      "cjson.decode_invalid_numbers(true)", 0)
        self.same("EVAL", read, 0)

    def test_lua_builtins(self):
        self.run_scripts(LUA_BUILTINS)

    def test_acl_check_cmd_for_a_restricted_caller(self):
        for c in (self.pc, self.rr):
            c.call("ACL", "SETUSER", "limited", "on", "nopass", "~allowed*", "+@all", "-set")
        pc, rr = RawConn(self.node.port), RawConn(self.redis.port)
        try:
            for c in (pc, rr):
                c.call("AUTH", "limited", "x")
            self.run_scripts(["return redis.acl_check_cmd('get', 'allowed1')",
                              "return redis.acl_check_cmd('get', 'other')",
                              "return redis.acl_check_cmd('set', 'allowed1', 'v')",
                              "return redis.acl_check_cmd('del', 'allowed1', 'other')",
                              "return redis.acl_check_cmd('ping')"], conns=(pc, rr))
        finally:
            pc.close()
            rr.close()
            for c in (self.pc, self.rr):
                c.call("ACL", "DELUSER", "limited")

    def test_deeply_nested_replies(self):
        # Redis fails the one value at which its Lua stack would pass 8000 slots ("reached lua
        # stack limit") and goes on with the rest: the same value must fail here.
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 60000))  # the raw reader recurses
        arrays = "local t = {} local c = t for i = 1, %d do c[1] = {} c = c[1] end return t"
        maps = ("local t = {} local c = t for i = 1, %d do local m = {} c.map = {k = m} c = m end"
                " return t")
        sets = ("local t = {} local c = t for i = 1, %d do local m = {} c.set = {[m] = true} "
                "c = m end return #tostring(t)")
        mixed = ("local t = {} local c = t for i = 1, %d do local m = {} "
                 "c[1] = {map = {[i] = {set = {x = true}}, k = m}} c = m end return t")
        bodies = [arrays % n for n in (100, 300, 7993, 7994, 7995, 7996, 9000)]
        bodies += [maps % n for n in (1330, 1331, 1332, 1333, 2000)]
        bodies += [sets % n for n in (10, 2000)]
        bodies += [mixed % n for n in (1000, 1500, 1999, 2000, 2001, 3000)]
        bodies += ["local t = {} t[1] = t return t", "local t = {} t.map = {k = t} return t"]
        self.run_scripts(bodies)


class SeededFuzzAgainstRedis(AgainstRedisTestCase):
    """Random struct formats, msgpack bytes and Lua values (fixed seeds, so a failure
    reproduces), each through both servers."""

    SCALARS = ["1", "-1", "0", "255", "-33", "65536", "2^32", "2^53", "-2^63", "2^63", "1.5",
               "0.1", "1/0", "1e300", "'abc'", "''", "true", "false", "nil", "cjson.null"]
    KEYS = ["1", "2", "3", "0", "-1", "1.5", "'a'", "'map'", "'set'", "'ok'", "'err'",
            "'double'", "true"]
    MSGPACK_BYTES = [0x90, 0x91, 0x92, 0x80, 0x81, 0xa1, 0xa3, 0xc0, 0xc2, 0xc3, 0xcc, 0xcd,
                     0xd0, 0xd1, 0xd9, 0xda, 0xdc, 0xde, 0xca, 0xcb, 0x01, 0x7f, 0xff, 0x41,
                     0xc4, 0xd4]

    def lua_value(self, rng, depth=0):
        if depth > 3 or rng.random() < 0.5:
            return rng.choice(self.SCALARS)
        as_array = rng.random() < 0.4
        items = []
        for _ in range(rng.randint(0, 5)):
            value = self.lua_value(rng, depth + 1)
            items.append(value if as_array else f"[{rng.choice(self.KEYS)}] = {value}")
        return "{" + ", ".join(items) + "}"

    def check(self, pc, rr, body, *args):
        want = rr.call("EVAL", body, 0, *args)
        got = pc.call("EVAL", body, 0, *args)
        self.assertEqual(got, want, f"{body!r} {args!r}")

    def test_random_inputs(self):
        import random
        rng = random.Random(14)
        conns = [(RawConn(self.node.port), RawConn(self.redis.port)),
                 (RawConn(self.node.port, protocol=3), RawConn(self.redis.port, protocol=3))]
        # Tables in the results are shown through cmsgpack.pack (their addresses differ).
        show = ("local out = {} for i = 1, 12 do local v = r[i] "
                "out[i] = type(v) == 'table' and cmsgpack.pack(v) or tostring(v) end return out")
        try:
            for i in range(400):
                pc, rr = conns[i % 2]
                fmt = "".join(rng.choice("bBhHlLTiIfdxcs<>! 0123456789z")
                              for _ in range(rng.randint(0, 7)))
                args = ", ".join(rng.choice(self.SCALARS) for _ in range(rng.randint(0, 4)))
                args = ", " + args if args else ""
                data = bytes(rng.choice(self.MSGPACK_BYTES) if rng.random() < 0.7
                             else rng.randrange(256) for _ in range(rng.randint(0, 12)))
                value = self.lua_value(rng)
                with self.subTest(i=i):
                    self.check(pc, rr, f"return {{pcall(struct.pack, ARGV[1]{args})}}", fmt)
                    self.check(pc, rr, f"local ok, s = pcall(struct.pack, ARGV[1]{args}) "
                               "return {pcall(struct.unpack, ARGV[1], ok and s or ARGV[2])}",
                               fmt, data)
                    self.check(pc, rr, "return {pcall(struct.size, ARGV[1])}", fmt)
                    self.check(pc, rr, "local r = {pcall(cmsgpack.unpack, ARGV[1])} " + show, data)
                    self.check(pc, rr, "local r = {pcall(cmsgpack.unpack_limit, ARGV[1], "
                               "tonumber(ARGV[2]), tonumber(ARGV[3]))} " + show, data,
                               rng.randint(-1, 3), rng.randint(-1, 5))
                    self.check(pc, rr, f"local v = {value} local p = cmsgpack.pack(v) "
                               "return {p, cmsgpack.pack(cmsgpack.unpack(p)) == p}")
                    self.check(pc, rr, f"return {value}")
                    self.check(pc, rr, f"redis.setresp(3) return {{map = {value}, 1}}")
                    self.check(pc, rr, f"return {{set = {value}}}")
        finally:
            for pc, rr in conns:
                pc.close()
                rr.close()


class RandomAgainstRedis(AgainstRedisTestCase):
    """math.random on fresh servers: Redis's rand48 sequence, not reseeded between scripts, so
    consecutive EVALs continue it (a class of its own: fresh servers, nothing ran before)."""

    def test_random_sequences(self):
        pc, rr = RawConn(self.node.port), RawConn(self.redis.port)
        try:
            for body in RANDOM:
                with self.subTest(script=body):
                    want = rr.call("EVAL", body, 0)
                    got = pc.call("EVAL", body, 0)
                    self.assertEqual(got, want, body)
        finally:
            pc.close()
            rr.close()


if __name__ == "__main__":
    unittest.main()
