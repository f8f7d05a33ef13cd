// node-redis 4 (RESP2) scenario: strings, hashes, lists, sets, sorted sets, MULTI/EXEC,
// WATCH, pipelines, a BLPOP woken by another connection and a WRONGTYPE error.
// Usage: node noderedis4.mjs HOST:PORT — prints the JSON record of every step (common.mjs);
// run_scenario.py runs it against redis-server and PetaCore and compares the records.
import { createClient } from 'redis4';
import { Record, check, endpoint, parseInfo, run, waitFor } from './common.mjs';

async function main() {
  const { host, port } = endpoint(process.argv[2]);
  const connect = async () => {
    const c = createClient({ socket: { host, port, reconnectStrategy: false } });
    c.on('error', () => {});  // errors surface through the awaited commands
    await c.connect();
    return c;
  };
  const c = await connect();
  const other = await connect();
  const r = new Record();

  // Strings
  await r.step('set', () => c.set('s:a', 'hello'));
  await r.step('get', () => c.get('s:a'));
  await r.step('append', () => c.append('s:a', ' world'));
  await r.step('strlen', () => c.strLen('s:a'));
  await r.step('set nx existing', () => c.set('s:a', 'x', { NX: true }));
  await r.step('incrby', () => c.incrBy('s:n', 41));
  await r.step('incr', () => c.incr('s:n'));
  await r.step('incrbyfloat', () => c.incrByFloat('s:f', 1.5));
  await r.step('mset', () => c.mSet({ 's:m1': '1', 's:m2': '2' }));
  await r.step('mget', () => c.mGet(['s:m1', 's:m2', 's:missing']));
  await r.step('getrange', () => c.getRange('s:a', 0, 4));
  await r.step('set px', () => c.set('s:ttl', 'v', { PX: 100000 }));
  await r.step('pttl positive', async () => (await c.pTTL('s:ttl')) > 0);
  await r.step('get missing', () => c.get('s:none'));
  await r.step('incr not integer', () => c.incr('s:a'));

  // Hashes
  await r.step('hset', () => c.hSet('h:1', { f1: 'v1', f2: 'v2', f3: '3' }));
  await r.step('hget', () => c.hGet('h:1', 'f1'));
  await r.step('hgetall', () => c.hGetAll('h:1'));
  await r.step('hincrby', () => c.hIncrBy('h:1', 'f3', 4));
  await r.step('hdel', () => c.hDel('h:1', ['f2', 'nope']));
  await r.step('hkeys', async () => (await c.hKeys('h:1')).sort());
  await r.step('hlen', () => c.hLen('h:1'));
  await r.step('hexists', () => c.hExists('h:1', 'f2'));

  // Lists
  await r.step('rpush', () => c.rPush('l:1', ['a', 'b', 'c']));
  await r.step('lpush', () => c.lPush('l:1', 'z'));
  await r.step('lrange', () => c.lRange('l:1', 0, -1));
  await r.step('lpop', () => c.lPop('l:1'));
  await r.step('rpop', () => c.rPop('l:1'));
  await r.step('llen', () => c.lLen('l:1'));
  await r.step('lindex', () => c.lIndex('l:1', 1));

  // Sets
  await r.step('sadd', () => c.sAdd('t:1', ['x', 'y', 'z', 'x']));
  await r.step('smembers', async () => (await c.sMembers('t:1')).sort());
  await r.step('sismember', () => c.sIsMember('t:1', 'y'));
  await r.step('srem', () => c.sRem('t:1', 'y'));
  await r.step('scard', () => c.sCard('t:1'));
  await r.step('sadd 2', () => c.sAdd('t:2', ['z', 'w']));
  await r.step('sinter', async () => (await c.sInter(['t:1', 't:2'])).sort());
  await r.step('sunion', async () => (await c.sUnion(['t:1', 't:2'])).sort());

  // Sorted sets
  await r.step('zadd', () => c.zAdd('z:1', [{ score: 1, value: 'a' }, { score: 2.5, value: 'b' },
    { score: -3, value: 'c' }]));
  await r.step('zscore', () => c.zScore('z:1', 'b'));
  await r.step('zrange withscores', () => c.zRangeWithScores('z:1', 0, -1));
  await r.step('zincrby', () => c.zIncrBy('z:1', 10, 'a'));
  await r.step('zrank', () => c.zRank('z:1', 'a'));
  await r.step('zrangebyscore', () => c.zRangeByScore('z:1', 0, 100));
  await r.step('zcard', () => c.zCard('z:1'));
  await r.step('zrem', () => c.zRem('z:1', 'c'));

  // WRONGTYPE
  await r.step('wrongtype lpush on string', () => c.lPush('s:a', 'x'));
  await r.step('wrongtype get on hash', () => c.get('h:1'));

  // MULTI/EXEC (with an error inside EXEC's reply)
  await r.step('multi', () => c.multi().set('m:1', 'one').incr('m:n').get('m:1').exec());
  await r.step('multi with failing command', () =>
    c.multi().set('m:2', 'x').incr('m:2').get('m:2').exec()
      .catch((e) => ({ error: e.message, replies: e.replies, errorIndexes: e.errorIndexes })));

  // WATCH: an untouched watch commits, a watch broken by another connection aborts.
  await r.step('watch untouched', async () => {
    await c.watch('w:1');
    return c.multi().set('w:1', 'mine').exec();
  });
  await r.step('watch broken', async () => {
    await c.watch('w:1');
    await other.set('w:1', 'theirs');
    return c.multi().set('w:1', 'mine again').exec();
  });
  await r.step('after watch', () => c.get('w:1'));

  // Pipelines: auto-pipelined concurrent commands and an explicit one.
  await r.step('pipeline auto', async () => (await Promise.allSettled([
    c.set('p:1', 'a'), c.set('p:2', 'b'), c.get('p:1'), c.get('p:2'), c.incr('p:n'),
    c.incr('p:n'), c.lPush('p:1', 'x')])).map((s) => s.status === 'fulfilled' ? s.value
    : { error: s.reason.message }));
  await r.step('pipeline explicit', () =>
    c.multi().set('p:3', 'c').get('p:3').del('p:3').execAsPipeline());

  // BLPOP woken by another connection: wait until the server counts the client blocked.
  await r.step('blpop woken', async () => {
    const popped = other.blPop('q:1', 0);
    await waitFor(async () => parseInfo(await c.info('clients')).blocked_clients === '1',
      'BLPOP to block');
    await c.rPush('q:1', 'job');
    return popped;
  });
  await r.step('blpop timeout', () => other.blPop('q:empty', 0.1));

  await r.step('del', () => c.del(['s:a', 'h:1', 'l:1', 't:1', 'z:1', 'nothing']));
  await r.step('exists after del', () => c.exists(['s:a', 'h:1']));

  check(r.steps.length > 0, 'steps recorded');
  r.print();
  await c.quit();
  await other.quit();
}

run(main);
