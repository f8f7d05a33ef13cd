// Helpers shared by the client scenarios (see README.md in this folder).
//
// A scenario records what each step returned, in order, with record(); the runner
// (run_scenario.py) prints the record as JSON so that the same scenario run against a real
// redis-server and against PetaCore can be compared value by value. Values whose order is a
// hash order on the server (SMEMBERS, HGETALL ...) are sorted by the scenario before recording.

/** Parses "host:port" into {host, port}. */
export function endpoint(text) {
  const i = text.lastIndexOf(':');
  if (i < 0) throw new Error(`expected host:port, got ${text}`);
  return { host: text.slice(0, i), port: Number(text.slice(i + 1)) };
}

/** The record of one scenario run: an ordered list of [step name, JSON-able value]. */
export class Record {
  constructor() { this.steps = []; }
  /** Appends one step; values are normalised (errors become {error: message}). */
  add(name, value) { this.steps.push([name, normalise(value)]); }
  /** Runs fn and records its result, or its error as {error: message}. */
  async step(name, fn) {
    try {
      this.add(name, await fn());
    } catch (e) {
      this.add(name, { error: errorText(e) });
    }
  }
  print() { process.stdout.write(JSON.stringify(this.steps) + '\n'); }
}

/** The server's error text, whatever the client library wrapped it in. */
export function errorText(e) {
  if (e === null || e === undefined) return String(e);
  if (typeof e.message === 'string') return e.message;
  return String(e);
}

/** Errors become {error: text}, buffers strings, maps and objects plain sorted objects. */
export function normalise(v) {
  if (v instanceof Error) return { error: errorText(v) };
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(normalise);
  if (v instanceof Map) return normalise(Object.fromEntries(v));
  if (v instanceof Set) return [...v].map(normalise).sort();
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (v !== null && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = normalise(v[k]);
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return { number: String(v) };
  return v;
}

/**
 * True when the scenario was given two different endpoints (two PetaCore nodes); the
 * redis-server reference run gets the same endpoint twice.
 */
export function twoNodes() {
  return process.argv[3] !== undefined && process.argv[3] !== process.argv[2];
}

/**
 * Cross-node fence (not recorded): makes the PetaCore node at `ep` ({host, port}) apply every
 * write acknowledged so far, by any node, before the scenario reads there. It opens a
 * connection of its own, sets it to `PETACORE READCONSISTENCY LINEARIZABLE` and makes one read:
 * that read waits until the node has applied etcd's current revision, and a node applies in
 * revision order, so every connection of that node sees those writes afterwards
 * (docs/consistency.md). Needed because a node answers reads from its own replica
 * (--read-consistency local) and may not have applied a write acknowledged by the other node
 * a moment ago. Does nothing on a single endpoint (redis-server). `Redis` is ioredis's class,
 * passed in so that this file imports no client library.
 */
export async function caughtUp(Redis, ep) {
  if (!twoNodes()) return;
  const c = new Redis({ host: ep.host, port: ep.port, maxRetriesPerRequest: 1 });
  c.on('error', () => {});
  try {
    check(await c.call('PETACORE', 'READCONSISTENCY', 'LINEARIZABLE') === 'OK',
      'PETACORE READCONSISTENCY LINEARIZABLE');
    await c.exists('petacore-test:fence');
  } finally {
    c.disconnect();
  }
}

/** Throws unless cond; the scenario then exits non-zero with msg. */
export function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

/** Polls pred() (sync or async) every 20 ms until it is truthy; throws after timeoutMs. */
export async function waitFor(pred, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Parses an INFO section's "field:value" lines into an object. */
export function parseInfo(text) {
  const out = {};
  for (const line of String(text).split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/**
 * Runs main() with a hard time limit: the process exits 1 (with the error on stderr) on a
 * failure or after limitMs, so a hung server cannot hang ctest.
 */
export function run(main, limitMs = 90000) {
  const timer = setTimeout(() => {
    process.stderr.write(`scenario did not finish within ${limitMs} ms\n`);
    process.exit(1);
  }, limitMs);
  main().then(
    () => { clearTimeout(timer); process.exit(0); },
    (e) => { process.stderr.write(`${e && e.stack ? e.stack : e}\n`); process.exit(1); });
}
