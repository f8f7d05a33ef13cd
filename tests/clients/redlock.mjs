// Redlock (npm `redlock` 5, over ioredis) mutual exclusion between clients on two nodes.
// Workers in one process, half of them connected to node A and half to node B, each take the
// lock "locks:counter" with Redlock (SET NX PX to acquire; EVALSHA scripts to release and
// extend), do a deliberately slow read-modify-write of a plain counter (GET, wait, SET) and
// release. If the lock ever admitted two holders at once, an increment would be lost and the
// in-process holder check would see the overlap. Recorded: the final counter, overlaps seen,
// the lock's value gone after release, and Redlock's own error for a lock held elsewhere.
// Usage: node redlock.mjs A_HOST:PORT [B_HOST:PORT]
import Redis from 'ioredis';
import Redlock, { ResourceLockedError } from 'redlock';
import { Record, caughtUp, check, endpoint, run } from './common.mjs';

const WORKERS = 8;      // per node
const ROUNDS = 10;      // lock acquisitions per worker

async function main() {
  const at = [endpoint(process.argv[2]), endpoint(process.argv[3] || process.argv[2])];
  const clients = at.map(({ host, port }) => {
    const c = new Redis({ host, port, maxRetriesPerRequest: 1 });
    c.on('error', () => {});
    return c;
  });
  // One Redlock per node, each with the one client of its node: PetaCore's nodes share one
  // data set, so a lock taken through A is held for B's Redlock as well.
  const locks = clients.map((c) => new Redlock([c], {
    retryCount: 2000, retryDelay: 5, retryJitter: 5, automaticExtensionThreshold: 100,
  }));
  const r = new Record();
  await clients[0].del('counter', 'locks:counter');

  let holders = 0;
  let overlaps = 0;
  const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
  async function worker(node) {
    const c = clients[node];
    for (let i = 0; i < ROUNDS; i++) {
      const lock = await locks[node].acquire(['locks:counter'], 5000);
      holders += 1;
      if (holders > 1) overlaps += 1;
      try {
        const v = Number(await c.get('counter') || 0);
        await sleep(1);
        await c.set('counter', String(v + 1));
      } finally {
        holders -= 1;
        await lock.release();
      }
    }
  }
  const all = [];
  for (let w = 0; w < WORKERS; w++) all.push(worker(0), worker(1));
  await Promise.all(all);
  // Each node reads its own replica: fence both on the other's last SET and release.
  await caughtUp(Redis, at[0]);
  await caughtUp(Redis, at[1]);
  await r.step('counter after all workers', () => clients[1].get('counter'));
  r.add('overlapping holders', overlaps);
  await r.step('lock key after the last release', () => clients[0].exists('locks:counter'));

  // A lock held through A: B's Redlock cannot take it (no retries), then can once released.
  const held = await locks[0].acquire(['locks:other'], 10000);
  const quick = new Redlock([clients[1]], { retryCount: 0 });
  await r.step('acquire on B while A holds it', async () => {
    try {
      await quick.acquire(['locks:other'], 1000);
      return 'acquired';
    } catch (e) {
      return e instanceof ResourceLockedError || /quorum/i.test(String(e.message))
        ? 'refused' : `unexpected: ${e.message}`;
    }
  });
  await r.step('extend on A', async () => {
    const extended = await held.extend(20000);
    // B reads its own replica: fence it on A's extension first.
    await caughtUp(Redis, at[1]);
    const ttl = await clients[1].pttl('locks:other');
    return ttl > 10000 && extended.expiration > held.expiration;
  });
  await held.release();
  await r.step('acquire on B after release', async () => {
    // B reads its own replica (read-consistency local): A's release reaches it within the
    // retry window of B's Redlock (a SET NX answered from a replica that has not applied the
    // release yet is refused, as docs/consistency.md says; quick has no retries).
    const l = await locks[1].acquire(['locks:other'], 1000);
    await l.release();
    return 'acquired';
  });
  check(overlaps === 0, `${overlaps} overlapping lock holders`);
  r.print();
  for (const c of clients) c.disconnect();
}

run(main, 110000);
