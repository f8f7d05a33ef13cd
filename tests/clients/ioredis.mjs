// ioredis (RESP2) scenario: strings, hashes, lists, sets, sorted sets, MULTI/EXEC, WATCH,
// pipelines, a BLPOP woken by another connection and a WRONGTYPE error.
// Usage: node ioredis.mjs HOST:PORT — prints the JSON record of every step (common.mjs);
// run_scenario.py runs it against redis-server and PetaCore and compares the records.
import Redis from 'ioredis';
import { Record, check, endpoint, parseInfo, run, waitFor } from './common.mjs';

async function main() {
  const { host, port } = endpoint(process.argv[2]);
  const connect = async () => {
    const c = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0,
      retryStrategy: () => null, enableOfflineQueue: false });
    c.on('error', () => {});  // errors surface through the awaited commands
    await c.connect();
    return c;
  };
  const c = await connect();
  const other = await connect();
  const r = new Record();
  // ioredis answers pipelines and MULTI as [[error, reply], ...].
  const pairs = (res) => res === null ? null : res.map(([e, v]) => (e ? { error: e.message } : v));

  // Strings
  await r.step('set', () => c.set('s:a', 'hello'));
  await r.step('get', () => c.get('s:a'));
  await r.step('append', () => c.append('s:a', ' world'));
  await r.step('strlen', () => c.strlen('s:a'));
  await r.step('set nx existing', () => c.set('s:a', 'x', 'NX'));
  await r.step('incrby', () => c.incrby('s:n', 41));
  await r.step('incr', () => c.incr('s:n'));
  await r.step('incrbyfloat', () => c.incrbyfloat('s:f', 1.5));
  await r.step('mset', () => c.mset({ 's:m1': '1', 's:m2': '2' }));
  await r.step('mget', () => c.mget('s:m1', 's:m2', 's:missing'));
  await r.step('getrange', () => c.getrange('s:a', 0, 4));
  await r.step('set px', () => c.set('s:ttl', 'v', 'PX', 100000));
  await r.step('pttl positive', async () => (await c.pttl('s:ttl')) > 0);
  await r.step('getbuffer', async () => (await c.getBuffer('s:a')).length);
  await r.step('get missing', () => c.get('s:none'));
  await r.step('incr not integer', () => c.incr('s:a'));

  // Hashes
  await r.step('hset', () => c.hset('h:1', { f1: 'v1', f2: 'v2', f3: '3' }));
  await r.step('hget', () => c.hget('h:1', 'f1'));
  await r.step('hgetall', () => c.hgetall('h:1'));
  await r.step('hincrby', () => c.hincrby('h:1', 'f3', 4));
  await r.step('hdel', () => c.hdel('h:1', 'f2', 'nope'));
  await r.step('hkeys', async () => (await c.hkeys('h:1')).sort());
  await r.step('hlen', () => c.hlen('h:1'));
  await r.step('hexists', () => c.hexists('h:1', 'f2'));
  await r.step('hmget', () => c.hmget('h:1', 'f1', 'f2', 'f3'));

  // Lists
  await r.step('rpush', () => c.rpush('l:1', 'a', 'b', 'c'));
  await r.step('lpush', () => c.lpush('l:1', 'z'));
  await r.step('lrange', () => c.lrange('l:1', 0, -1));
  await r.step('lpop', () => c.lpop('l:1'));
  await r.step('rpop', () => c.rpop('l:1'));
  await r.step('llen', () => c.llen('l:1'));
  await r.step('lindex', () => c.lindex('l:1', 1));
  await r.step('lset out of range', () => c.lset('l:1', 10, 'x'));

  // Sets
  await r.step('sadd', () => c.sadd('t:1', 'x', 'y', 'z', 'x'));
  await r.step('smembers', async () => (await c.smembers('t:1')).sort());
  await r.step('sismember', () => c.sismember('t:1', 'y'));
  await r.step('srem', () => c.srem('t:1', 'y'));
  await r.step('scard', () => c.scard('t:1'));
  await r.step('sadd 2', () => c.sadd('t:2', 'z', 'w'));
  await r.step('sinter', async () => (await c.sinter('t:1', 't:2')).sort());
  await r.step('sdiff', async () => (await c.sdiff('t:1', 't:2')).sort());

  // Sorted sets
  await r.step('zadd', () => c.zadd('z:1', 1, 'a', 2.5, 'b', -3, 'c'));
  await r.step('zscore', () => c.zscore('z:1', 'b'));
  await r.step('zrange withscores', () => c.zrange('z:1', 0, -1, 'WITHSCORES'));
  await r.step('zincrby', () => c.zincrby('z:1', 10, 'a'));
  await r.step('zrank', () => c.zrank('z:1', 'a'));
  await r.step('zrevrange', () => c.zrevrange('z:1', 0, 1));
  await r.step('zrangebyscore', () => c.zrangebyscore('z:1', '(0', '+inf'));
  await r.step('zcard', () => c.zcard('z:1'));
  await r.step('zadd bad score', () => c.zadd('z:1', 'notanumber', 'x'));

  // WRONGTYPE
  await r.step('wrongtype lpush on string', () => c.lpush('s:a', 'x'));
  await r.step('wrongtype hget on list', () => c.hget('l:1', 'f'));

  // MULTI/EXEC (with an error inside EXEC's reply, and one queued with a syntax error)
  await r.step('multi', async () => pairs(await c.multi().set('m:1', 'one').incr('m:n')
    .get('m:1').exec()));
  await r.step('multi with failing command', async () => pairs(await c.multi().set('m:2', 'x')
    .incr('m:2').get('m:2').exec()));
  await r.step('multi with bad arity', async () => {
    try {
      return pairs(await c.multi().set('m:3', 'x').call('get').exec());
    } catch (e) {
      return { error: e.message, previous: (e.previousErrors || []).map((x) => x.message) };
    }
  });
  await r.step('after bad multi', () => c.exists('m:3'));

  // WATCH: an untouched watch commits, a watch broken by another connection aborts (null).
  await r.step('watch untouched', async () => {
    await c.watch('w:1');
    return pairs(await c.multi().set('w:1', 'mine').exec());
  });
  await r.step('watch broken', async () => {
    await c.watch('w:1');
    await other.set('w:1', 'theirs');
    return pairs(await c.multi().set('w:1', 'mine again').exec());
  });
  await r.step('after watch', () => c.get('w:1'));

  // Pipeline (not a transaction: each command answers on its own)
  await r.step('pipeline', async () => pairs(await c.pipeline().set('p:1', 'a').get('p:1')
    .incr('p:n').incr('p:n').lpush('p:1', 'x').del('p:1').exec()));

  // BLPOP woken by another connection: wait until the server counts the client blocked.
  await r.step('blpop woken', async () => {
    const popped = other.blpop('q:1', 0);
    await waitFor(async () => parseInfo(await c.info('clients')).blocked_clients === '1',
      'BLPOP to block');
    await c.rpush('q:1', 'job');
    return popped;
  });
  await r.step('blpop timeout', () => other.blpop('q:empty', 0.1));

  await r.step('del', () => c.del('s:a', 'h:1', 'l:1', 't:1', 'z:1', 'nothing'));
  await r.step('exists after del', () => c.exists('s:a', 'h:1'));

  check(r.steps.length > 0, 'steps recorded');
  r.print();
  c.disconnect();
  other.disconnect();
}

run(main);
