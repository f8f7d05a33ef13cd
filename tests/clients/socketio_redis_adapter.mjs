// Socket.IO over pub/sub: two Socket.IO servers on loopback, each with @socket.io/redis-adapter
// attached to its own node (server 1: ioredis pub + sub clients on node A; server 2:
// node-redis 4 pub + sub clients on node B). Clients of both servers join one room; a room
// broadcast from either server reaches the clients of the other, a broadcast to everyone
// reaches the client outside the room too, and the adapter's request/response traffic
// (serverCount = PUBSUB NUMSUB, fetchSockets, serverSideEmit) works across the two nodes.
// Usage: node socketio_redis_adapter.mjs NODE_A_HOST:PORT [NODE_B_HOST:PORT] — prints the
// JSON record (common.mjs); run_scenario.py --nodes 2 runs it against redis-server (both
// servers on it) and two PetaCore nodes and compares. Bounded: stops by itself.
import { createServer } from 'node:http';
import Redis from 'ioredis';
import { createClient } from 'redis4';
import { Server } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { createAdapter } from '@socket.io/redis-adapter';
import { Record, check, endpoint, run, waitFor } from './common.mjs';

/** A Socket.IO server on a free loopback port with the given adapter; resolves {io, port}. */
async function startServer(adapter) {
  const http = createServer();
  const io = new Server(http, { adapter });
  io.on('connection', (socket) => {
    if (socket.handshake.query.room === 'yes') socket.join('room1');
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { io, port: http.address().port };
}

/** A Socket.IO client that records every 'news' and 'all' event in arrival order. */
async function startClient(port, inRoom) {
  const socket = ioClient(`http://127.0.0.1:${port}`, {
    transports: ['websocket'], reconnection: false, query: { room: inRoom ? 'yes' : 'no' } });
  const got = [];
  socket.on('news', (m) => got.push(['news', m]));
  socket.on('all', (m) => got.push(['all', m]));
  await new Promise((resolve, reject) => {
    socket.on('connect', resolve);
    socket.on('connect_error', reject);
  });
  return { socket, got };
}

async function main() {
  const a = endpoint(process.argv[2]);
  const b = endpoint(process.argv[3] || process.argv[2]);
  const r = new Record();

  // Server 1: ioredis on node A.
  const pub1 = new Redis({ host: a.host, port: a.port, lazyConnect: true });
  const sub1 = pub1.duplicate();
  pub1.on('error', (e) => process.stderr.write(`ioredis pub: ${e}\n`));
  sub1.on('error', (e) => process.stderr.write(`ioredis sub: ${e}\n`));
  // Server 2: node-redis 4 on node B.
  const pub2 = createClient({ socket: { host: b.host, port: b.port, reconnectStrategy: false } });
  const sub2 = pub2.duplicate();
  for (const c of [pub2, sub2]) c.on('error', (e) => process.stderr.write(`node-redis: ${e}\n`));
  // Connected (ready) before the adapter subscribes: ioredis 5.9 sends its CLIENT SETINFO
  // handshake after a SUBSCRIBE issued while it connects, which Redis refuses too.
  await Promise.all([pub1.connect(), sub1.connect(), pub2.connect(), sub2.connect()]);

  const s1 = await startServer(createAdapter(pub1, sub1, { requestsTimeout: 10000 }));
  const s2 = await startServer(createAdapter(pub2, sub2, { requestsTimeout: 10000 }));
  const server2Heard = [];
  s2.io.on('hello', (m) => server2Heard.push(m));  // serverSideEmit from server 1

  // Each adapter subscribes (PSUBSCRIBE first, then SUBSCRIBE of its request channels) when
  // created; serverCount (PUBSUB NUMSUB of the request channel) reaches 2 once both have.
  for (const [name, s] of [['server 1', s1], ['server 2', s2]]) {
    await waitFor(async () => (await s.io.of('/').adapter.serverCount()) === 2,
      `${name} to count 2 servers`);
    await r.step(`${name} serverCount`, () => s.io.of('/').adapter.serverCount());
  }

  const c1 = await startClient(s1.port, true);   // of server 1, in room1
  const c2 = await startClient(s2.port, true);   // of server 2, in room1
  const c3 = await startClient(s2.port, false);  // of server 2, not in room1
  const snapshot = () => ({ c1: [...c1.got], c2: [...c2.got], c3: [...c3.got] });

  s1.io.to('room1').emit('news', 'room broadcast from server 1');
  await waitFor(() => c1.got.length === 1 && c2.got.length === 1, 'the room broadcast of 1');
  s2.io.to('room1').emit('news', 'room broadcast from server 2');
  await waitFor(() => c1.got.length === 2 && c2.got.length === 2, 'the room broadcast of 2');
  s1.io.emit('all', 'to everyone from server 1');
  await waitFor(() => c1.got.length === 3 && c2.got.length === 3 && c3.got.length === 1,
    'the broadcast to everyone');
  s2.io.except('room1').emit('all', 'outside room1 from server 2');
  await waitFor(() => c3.got.length === 2, 'the broadcast outside room1');
  r.add('received', snapshot());

  await r.step('fetchSockets room1 from server 1',
    async () => (await s1.io.in('room1').fetchSockets()).length);
  await r.step('fetchSockets all from server 2',
    async () => (await s2.io.fetchSockets()).length);
  await r.step('allRooms from server 1', async () =>
    [...(await s1.io.of('/').adapter.allRooms())].filter((x) => x === 'room1'));
  s1.io.serverSideEmit('hello', 'from server 1');
  await waitFor(() => server2Heard.length === 1, 'serverSideEmit to reach server 2');
  r.add('server 2 heard', server2Heard);
  // A remote leave: server 1 makes every socket of room1 (c2 is on server 2) leave it.
  s1.io.in('room1').socketsLeave('room1');
  await waitFor(async () => (await s2.io.in('room1').fetchSockets()).length === 0,
    'room1 to empty');
  s2.io.to('room1').emit('news', 'nobody');
  s1.io.emit('all', 'marker');
  await waitFor(() => c1.got.length === 4 && c2.got.length === 4 && c3.got.length === 3,
    'the marker broadcast');
  r.add('after leaving', snapshot());
  check(c2.got.every(([, m]) => m !== 'nobody'), 'no room broadcast after leaving the room');

  for (const c of [c1, c2, c3]) c.socket.disconnect();
  await new Promise((resolve) => s1.io.close(resolve));
  await new Promise((resolve) => s2.io.close(resolve));
  pub1.disconnect();
  sub1.disconnect();
  await Promise.all([pub2.quit(), sub2.quit()]);
  r.print();
}

run(main, 60000);
