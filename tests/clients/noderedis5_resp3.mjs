// node-redis 5 with RESP: 3 scenario: strings, hashes (HGETALL as a RESP3 map), sets,
// sorted sets (ZSCORE as a RESP3 double), MULTI, a WRONGTYPE error, and node-redis's
// client-side cache (CLIENT TRACKING on, RESP3 `invalidate` pushes) kept by a connection to
// node A while the writes that must invalidate it go through a connection to node B.
// Usage: node noderedis5_resp3.mjs HOST:PORT_A [HOST:PORT_B] (B defaults to A: one server,
// two connections). Prints the JSON record of every step (common.mjs); exits non-zero if a
// cache check fails (a cached value not invalidated, a read that should hit the cache missing).
import { BasicClientSideCache, createClient } from 'redis';
import { Record, check, endpoint, normalise, run, waitFor } from './common.mjs';

async function main() {
  const a = endpoint(process.argv[2]);
  const b = endpoint(process.argv[3] || process.argv[2]);
  const connect = async ({ host, port }, extra = {}) => {
    const c = createClient({ RESP: 3, socket: { host, port, reconnectStrategy: false },
      maintNotifications: 'disabled', ...extra });
    c.on('error', () => {});  // errors surface through the awaited commands
    await c.connect();
    return c;
  };
  const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
  const reader = await connect(a, { clientSideCache: cache });
  const writer = await connect(b);
  // An uncached connection to A: setup writes made on B are awaited there (a node serves
  // reads from its own replica; B's acknowledgement says nothing about A having applied it).
  const plainA = await connect(a);
  const onA = (what, read, want) => waitFor(
    async () => JSON.stringify(normalise(await read(plainA))) === JSON.stringify(want),
    `${what} on node A`);
  const r = new Record();

  // The connection speaks RESP3: HELLO answers a map with proto 3; raw replies keep their
  // RESP3 types (sendCommand applies no transformation).
  await r.step('hello proto', async () => (await writer.sendCommand(['HELLO', '3'])).proto);
  // Strings
  await r.step('set', () => writer.set('s:a', 'hello'));
  await r.step('get', () => writer.get('s:a'));
  await r.step('incr', () => writer.incr('s:n'));
  await r.step('incrbyfloat', () => writer.incrByFloat('s:f', 2.5));
  await r.step('mget', () => writer.mGet(['s:a', 's:n', 's:missing']));
  await r.step('get missing', () => writer.get('s:none'));
  await r.step('set get', () => writer.set('s:a', 'bye', { GET: true }));
  // Hashes
  await r.step('hset', () => writer.hSet('h:1', { f1: 'v1', f2: 'v2' }));
  await r.step('hgetall', () => writer.hGetAll('h:1'));
  await r.step('hgetall raw is a map', async () => {
    const raw = await writer.sendCommand(['HGETALL', 'h:1']);
    return { array: Array.isArray(raw), type: typeof raw };
  });
  await r.step('hgetall missing', () => writer.hGetAll('h:none'));
  await r.step('hincrbyfloat', () => writer.hIncrByFloat('h:1', 'n', 1.25));
  // Sets
  await r.step('sadd', () => writer.sAdd('t:1', ['x', 'y', 'z']));
  await r.step('smembers', async () => [...(await writer.sMembers('t:1'))].sort());
  await r.step('sismember', () => writer.sIsMember('t:1', 'y'));
  await r.step('smismember', () => writer.smIsMember('t:1', ['x', 'nope']));
  // Sorted sets
  await r.step('zadd', () => writer.zAdd('z:1', [{ score: 1.5, value: 'a' },
    { score: -2, value: 'b' }]));
  await r.step('zscore', () => writer.zScore('z:1', 'a'));
  await r.step('zscore raw is a double', async () =>
    typeof (await writer.sendCommand(['ZSCORE', 'z:1', 'a'])));
  await r.step('zscore missing', () => writer.zScore('z:1', 'nope'));
  await r.step('zincrby', () => writer.zIncrBy('z:1', 1, 'b'));
  await r.step('zrange withscores', () => writer.zRangeWithScores('z:1', 0, -1));
  // MULTI
  await r.step('multi', () => writer.multi().set('m:1', 'one').incr('m:n').get('m:1')
    .hGetAll('h:1').zScore('z:1', 'a').exec());
  // Errors
  await r.step('wrongtype', () => writer.lPush('s:a', 'x'));
  await r.step('unknown command', () => writer.sendCommand(['NOSUCHCOMMAND']));

  // Client-side cache: the reader caches, the writer (on node B) writes, the server pushes
  // `invalidate` to the reader, and the reader's next read misses the cache and sees the write.
  const invalidated = (key) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no invalidation of ${key}`)), 20000);
    const on = (k) => {
      if (k === null || k.toString() === key) {
        clearTimeout(timer);
        cache.off('invalidate', on);
        resolve(k === null ? null : k.toString());
      }
    };
    cache.on('invalidate', on);
  });
  const hits = () => cache.stats().hitCount;
  // Reads the key twice through the cache: the second read must be a hit.
  const readCached = async (name, read) => {
    const first = await read();
    const before = hits();
    const second = await read();
    check(hits() === before + 1, `${name}: second read is a cache hit`);
    r.add(`${name} cached`, [first, second]);
  };
  // A write on B invalidates the cached key on A; the next read misses and sees the write.
  // settle() runs between the invalidation and the read.
  const writeAndReread = async (name, key, write, read, settle = async () => {}) => {
    const inv = invalidated(key);
    await write();
    r.add(`${name} invalidation`, await inv);
    await settle();
    const before = hits();
    const value = await read();
    check(hits() === before, `${name}: read after invalidation misses the cache`);
    r.add(`${name} read after`, value);
  };

  await writer.set('c:str', 'v1');
  await onA('c:str', (c) => c.get('c:str'), 'v1');
  await readCached('string', () => reader.get('c:str'));
  await writeAndReread('string set', 'c:str', () => writer.set('c:str', 'v2'),
    () => reader.get('c:str'));

  await writer.hSet('c:hash', { f: 'old', g: '1' });
  await onA('c:hash', (c) => c.hGetAll('c:hash'), { f: 'old', g: '1' });
  await readCached('hash', () => reader.hGetAll('c:hash'));
  await writeAndReread('hash field', 'c:hash', () => writer.hSet('c:hash', 'f', 'new'),
    () => reader.hGetAll('c:hash'));

  await writer.set('c:exp', 'soon', { PX: 600000 });
  await onA('c:exp', (c) => c.get('c:exp'), 'soon');
  await readCached('expiring', () => reader.get('c:exp'));
  // PEXPIRE is itself a write (invalidates). Then node A must also invalidate when the key
  // expires: EXISTS is cached by node-redis, so the loop only sees 0 once A has pushed the
  // expiry's invalidation (or the key was already gone when EXISTS was first read).
  await writeAndReread('expiring key', 'c:exp', () => writer.pExpire('c:exp', 1),
    () => reader.get('c:exp'),
    () => waitFor(async () => (await reader.exists('c:exp')) === 0, 'c:exp to expire on A'));

  await readCached('string again', () => reader.get('c:str'));
  await writeAndReread('del', 'c:str', () => writer.del('c:str'), () => reader.get('c:str'));

  await onA('s:n', (c) => c.get('s:n'), '1');
  await readCached('before flushall', () => reader.get('s:n'));
  const inv = invalidated('');
  await writer.flushAll();
  r.add('flushall invalidation', await inv);  // null: invalidate everything
  r.add('cache size after flushall', cache.size());
  r.add('read after flushall', await reader.get('s:n'));

  r.print();
  await reader.close();
  await writer.close();
  await plainA.close();
}

run(main);
