// rate-limiter-flexible's RateLimiterRedis (its consume is a Lua script run with EVALSHA
// through ioredis's defineCommand) counting one budget across two nodes: limiters on node A
// and node B share a key prefix, so points consumed through either count against the same
// budget. Recorded: remaining points step by step alternating A and B, the rejection once the
// budget is spent, a concurrent burst from both nodes admitting exactly the budget, penalty /
// reward / get / delete. Usage: node ratelimiter.mjs A_HOST:PORT [B_HOST:PORT]
import Redis from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { Record, caughtUp, check, endpoint, run } from './common.mjs';

async function main() {
  const at = [endpoint(process.argv[2]), endpoint(process.argv[3] || process.argv[2])];
  const clients = at.map(({ host, port }) => {
    const c = new Redis({ host, port, maxRetriesPerRequest: 1, enableOfflineQueue: true });
    c.on('error', () => {});
    return c;
  });
  const r = new Record();
  const limiter = (c, points) => new RateLimiterRedis({
    storeClient: c, keyPrefix: 'rl', points, duration: 600,
  });
  const [a, b] = clients.map((c) => limiter(c, 10));
  // A rejection is a RateLimiterRes (not an Error): record what is deterministic.
  const outcome = async (p) => {
    try {
      const res = await p;
      return { ok: res.remainingPoints, consumed: res.consumedPoints };
    } catch (e) {
      if (e instanceof Error) return { error: e.message };
      return { rejected: e.remainingPoints, consumed: e.consumedPoints };
    }
  };
  await clients[0].del('rl:user1', 'rl:burst');

  for (let i = 0; i < 12; i++) {
    const l = i % 2 === 0 ? a : b;
    r.add(`consume ${i + 1} on ${i % 2 === 0 ? 'A' : 'B'}`, await outcome(l.consume('user1')));
  }
  await r.step('get on B', async () => (await b.get('user1')).consumedPoints);
  await r.step('reward 3 on A', async () => (await a.reward('user1', 3)).consumedPoints);
  r.add('consume 2 on B after reward', await outcome(b.consume('user1', 2)));
  await r.step('penalty 5 on B', async () => (await b.penalty('user1', 5)).consumedPoints);
  await r.step('delete on A', () => a.delete('user1'));
  // B's get is a MULTI of GET and PTTL read from B's replica: fence B on A's delete first.
  await caughtUp(Redis, at[1]);
  await r.step('get on B after delete', () => b.get('user1'));

  // A burst of 60 concurrent consumes, 30 through each node, against a budget of 25.
  const [ba, bb] = clients.map((c) => limiter(c, 25));
  const burst = [];
  for (let i = 0; i < 30; i++) burst.push(outcome(ba.consume('burst')), outcome(bb.consume('burst')));
  const results = await Promise.all(burst);
  const admitted = results.filter((x) => 'ok' in x).length;
  const rejected = results.filter((x) => 'rejected' in x).length;
  r.add('burst admitted', admitted);
  r.add('burst rejected', rejected);
  r.add('burst remaining points seen', results.filter((x) => 'ok' in x).map((x) => x.ok).sort((x, y) => x - y));
  // A reads its own replica: fence it on B's last consumes first. All 60 consumes count, the
  // rejected ones too.
  await caughtUp(Redis, at[0]);
  await r.step('burst consumed on A', async () => (await ba.get('burst')).consumedPoints);
  check(admitted === 25, `burst admitted ${admitted}, budget 25`);
  r.print();
  for (const c of clients) c.disconnect();
}

run(main, 110000);
