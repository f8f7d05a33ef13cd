// BullMQ (npm `bullmq` 6, over ioredis; every queue operation is a Lua script using
// cmsgpack, streams for its events, and sorted sets / lists for its states): a Queue on node A
// produces JOBS jobs — plain ones, delayed ones, and ones that fail on their first attempt and
// are retried — and two Workers, one on node A and one on node B, process them. Checked and
// recorded: every job completes exactly once, each retried job is attempted exactly twice,
// no job is left waiting, delayed, active or failed, both workers took part, and the job
// counts as BullMQ reports them. A QueueEvents on node B (XREAD BLOCK on the queue's events
// stream, woken by the XADDs the scripts on A and B commit) receives a `completed` event for
// every job: the count and that every job id was seen are recorded. Usage: node bullmq.mjs A_HOST:PORT [B_HOST:PORT] [JOBS]
// (prints the jobs/s it measured on stderr; bench/scripting.sh uses that).
import { Queue, QueueEvents, Worker } from 'bullmq';
import Redis from 'ioredis';
import { Record, caughtUp, check, endpoint, parseInfo, run, waitFor } from './common.mjs';

const JOBS = Number(process.argv[4] || 1000);
const DELAYED = Math.floor(JOBS / 50);   // 2 %: delayed by 300 ms
const RETRIED = Math.floor(JOBS / 50);   // 2 %: fail once, retried after a 50 ms backoff

async function main() {
  const at = [endpoint(process.argv[2]), endpoint(process.argv[3] || process.argv[2])];
  const connection = ({ host, port }) => ({ host, port, maxRetriesPerRequest: null });
  const name = `q${process.pid}`;
  const queue = new Queue(name, { connection: connection(at[0]) });
  await queue.obliterate({ force: true }).catch(() => {});
  const r = new Record();

  // QueueEvents on node B, parked in XREAD BLOCK on the events stream ('$') before any job
  // exists: wait until B counts it blocked, so no event can precede its first read.
  const events = new QueueEvents(name, { connection: connection(at[1]) });
  const eventCompletions = new Map();   // job id -> `completed` events received on B
  events.on('completed', ({ jobId }) => eventCompletions.set(jobId, (eventCompletions.get(jobId) || 0) + 1));
  events.on('error', () => {});
  await events.waitUntilReady();
  const probe = new Redis({ host: at[1].host, port: at[1].port, maxRetriesPerRequest: 1 });
  await waitFor(async () => Number(parseInfo(await probe.info('clients')).blocked_clients) >= 1,
    'QueueEvents to park in XREAD BLOCK on node B');
  probe.disconnect();

  const completions = new Map();   // job id -> successful completions
  const attempts = new Map();      // job id -> attempts seen by processors
  const byWorker = [0, 0];
  const processor = (w) => async (job) => {
    attempts.set(job.id, (attempts.get(job.id) || 0) + 1);
    if (job.data.kind === 'retry' && job.attemptsMade === 0) throw new Error('first attempt fails');
    byWorker[w] += 1;
    return { doubled: job.data.n * 2 };
  };
  const workers = at.map((e, w) => new Worker(name, processor(w), {
    connection: connection(e), concurrency: 8, autorun: true,
  }));
  workers.forEach((w) => {
    w.on('completed', (job) => completions.set(job.id, (completions.get(job.id) || 0) + 1));
    w.on('error', () => {});
  });

  const started = Date.now();
  const bulk = [];
  for (let n = 0; n < JOBS; n++) {
    const kind = n < DELAYED ? 'delayed' : n < DELAYED + RETRIED ? 'retry' : 'plain';
    const opts = { jobId: `job-${n}`, removeOnComplete: false, removeOnFail: false };
    if (kind === 'delayed') opts.delay = 300;
    if (kind === 'retry') Object.assign(opts, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });
    bulk.push({ name: kind, data: { n, kind }, opts });
  }
  for (let i = 0; i < bulk.length; i += 100) await queue.addBulk(bulk.slice(i, i + 100));
  await waitFor(() => completions.size >= JOBS, `${JOBS} completed jobs`, 90000);
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(`bullmq: ${JOBS} jobs in ${seconds.toFixed(2)} s = ${(JOBS / seconds).toFixed(0)} jobs/s\n`);

  const allIds = bulk.map((b) => b.opts.jobId);
  await waitFor(() => allIds.every((id) => eventCompletions.has(id)),
    `QueueEvents on B to see ${JOBS} completed events`, 30000).catch(() => {});
  const eventCount = [...eventCompletions.values()].reduce((a, b) => a + b, 0);
  const unseen = allIds.filter((id) => !eventCompletions.has(id)).length;
  r.add('queue events on B: completed events', eventCount);
  r.add('queue events on B: every job id seen', unseen === 0);

  // The counts are read on A and the job on B, each from its own replica: fence both on the
  // other worker's last completions first.
  await caughtUp(Redis, at[0]);
  await caughtUp(Redis, at[1]);
  const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'delayed', 'active');
  r.add('job counts', counts);
  const twice = [...completions.values()].filter((c) => c !== 1).length;
  r.add('jobs completed more than once', twice);
  const retried = [...attempts.entries()].filter(([id]) => Number(id.slice(4)) >= DELAYED &&
    Number(id.slice(4)) < DELAYED + RETRIED).map(([, a]) => a);
  r.add('attempts of retried jobs', [...new Set(retried)]);
  r.add('attempts of other jobs', [...new Set([...attempts.entries()]
    .filter(([id]) => !(Number(id.slice(4)) >= DELAYED && Number(id.slice(4)) < DELAYED + RETRIED))
    .map(([, a]) => a))]);
  r.add('both workers processed jobs', byWorker[0] > 0 && byWorker[1] > 0);
  await r.step('a completed job read back from node B', async () => {
    const q = new Queue(name, { connection: connection(at[1]) });
    const job = await q.getJob(`job-${JOBS - 1}`);
    const out = { returnvalue: job.returnvalue, attemptsMade: job.attemptsMade, data: job.data };
    await q.close();
    return out;
  });
  check(unseen === 0, `${unseen} jobs without a completed event on node B`);
  check(twice === 0, `${twice} jobs completed more than once`);
  check(counts.completed === JOBS, `completed ${counts.completed} of ${JOBS}`);
  await Promise.all(workers.map((w) => w.close()));
  await events.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  r.print();
}

run(main, 115000);
