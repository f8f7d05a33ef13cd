// ioredis (RESP2) pub/sub scenario: SUBSCRIBE and PSUBSCRIBE on one connection, PUBLISH from
// another (on a second node when given two endpoints), 'message' / 'pmessage' (and their
// Buffer variants) received in order, PUBSUB NUMSUB / NUMPAT / CHANNELS asked on the
// publisher's node, UNSUBSCRIBE / PUNSUBSCRIBE, and the connection usable for ordinary
// commands again once it has no subscription left.
// Usage: node ioredis_pubsub.mjs SUB_HOST:PORT [PUB_HOST:PORT] — prints the JSON record
// (common.mjs); run_scenario.py runs it against redis-server and PetaCore and compares.
import Redis from 'ioredis';
import { Record, check, endpoint, run, waitFor } from './common.mjs';

async function main() {
  const subAt = endpoint(process.argv[2]);
  const pubAt = endpoint(process.argv[3] || process.argv[2]);
  const connect = async ({ host, port }) => {
    const c = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0,
      retryStrategy: () => null, enableOfflineQueue: false });
    c.on('error', () => {});  // errors surface through the awaited commands
    await c.connect();
    return c;
  };
  const sub = await connect(subAt);
  const pub = await connect(pubAt);
  const r = new Record();

  // Every delivery, in arrival order, as one list: the order across channels and patterns
  // is part of what is compared.
  const got = [];
  sub.on('message', (channel, message) => got.push(['message', channel, message]));
  sub.on('pmessage', (pattern, channel, message) =>
    got.push(['pmessage', pattern, channel, message]));
  const binary = [];
  sub.on('messageBuffer', (channel, message) => {
    if (channel.toString() === 'bin') binary.push([...message]);
  });
  const waitGot = (n, what) => waitFor(() => got.length >= n, what);

  await r.step('subscribe', () => sub.subscribe('news', 'alerts', 'bin'));
  await r.step('psubscribe', () => sub.psubscribe('news.*', 'a?erts'));
  await r.step('ordinary command in subscribed mode', () => sub.get('k'));

  // Each PUBLISH answers the number of clients that receive it, on every node.
  await r.step('publish channel', () => pub.publish('news', 'hello'));
  await r.step('publish pattern only', () => pub.publish('news.sport', 'goal'));
  await r.step('publish channel and pattern', () => pub.publish('alerts', 'fire'));
  await r.step('publish nobody', () => pub.publish('weather', 'rain'));
  await r.step('publish empty', () => pub.publish('news', ''));
  await r.step('publish binary', () => pub.publish('bin', Buffer.from([0, 255, 13, 10, 1])));
  for (let i = 0; i < 20; i++) {
    await r.step(`publish burst ${i}`, () => pub.publish('news', `m${i}`));
  }
  await waitGot(26, 'the 26 deliveries');
  await waitFor(() => binary.length >= 1, 'the binary message');
  r.add('deliveries', got.splice(0));
  r.add('binary delivery', binary);

  await r.step('numsub', () => pub.pubsub('NUMSUB', 'news', 'alerts', 'weather'));
  await r.step('numpat', () => pub.pubsub('NUMPAT'));
  await r.step('channels', async () => (await pub.pubsub('CHANNELS')).sort());
  await r.step('channels pattern', async () => (await pub.pubsub('CHANNELS', 'n*')).sort());

  await r.step('unsubscribe news', () => sub.unsubscribe('news'));
  await r.step('publish after unsubscribe', () => pub.publish('news', 'lost'));
  await r.step('publish pattern still on', () => pub.publish('news.tech', 'chip'));
  await waitGot(1, 'the pattern message after UNSUBSCRIBE news');
  await r.step('punsubscribe one', () => sub.punsubscribe('news.*'));
  await r.step('publish after punsubscribe', () => pub.publish('news.tech', 'lost'));
  await r.step('publish alerts', () => pub.publish('alerts', 'last'));
  await waitGot(3, 'the two alerts deliveries');
  r.add('deliveries after unsubscribe', got.splice(0));

  await r.step('numsub after', () => pub.pubsub('NUMSUB', 'news', 'alerts'));
  await r.step('unsubscribe the rest', () => sub.unsubscribe('alerts', 'bin'));
  await r.step('punsubscribe the rest', () => sub.punsubscribe('a?erts'));
  // No subscription left: the connection takes ordinary commands again.
  await r.step('set after pubsub', () => sub.set('k', 'v'));
  await r.step('get after pubsub', () => sub.get('k'));
  await r.step('numsub at the end', () => pub.pubsub('NUMSUB', 'news', 'alerts', 'bin'));
  await r.step('numpat at the end', () => pub.pubsub('NUMPAT'));
  await r.step('publish at the end', () => pub.publish('alerts', 'nobody'));
  await r.step('del', () => sub.del('k'));

  check(got.length === 0, `no delivery after unsubscribing, got ${JSON.stringify(got)}`);
  r.print();
  sub.disconnect();
  pub.disconnect();
}

run(main);
