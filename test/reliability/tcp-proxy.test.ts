/**
 * The fault injector itself: if the proxy silently reordered bytes, or its stall and cut did not
 * happen, the fault tests would prove nothing. Checked against a local echo server.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

let echo: net.Server;
let echoPort: number;

beforeAll(async () => {
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  echoPort = (echo.address() as net.AddressInfo).port;
});
afterAll(async () => new Promise<void>((resolve) => echo.close(() => resolve())));

function connect(port: number) {
  const sock = net.connect(port, '127.0.0.1');
  let received = Buffer.alloc(0);
  sock.on('data', (d) => (received = Buffer.concat([received, d])));
  const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  sock.on('error', () => {});
  return { sock, received: () => received, closed };
}

const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
};

describe('tcp proxy', () => {
  it('forwards every byte in order, with latency too, and counts connections', async () => {
    const proxy = await startTcpProxy(echoPort);
    proxy.addLatency(20);
    const c = connect(proxy.port);
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`chunk-${i};`));
    for (const ch of chunks) c.sock.write(ch);
    const expected = Buffer.concat(chunks);
    await until(() => c.received().length >= expected.length, 'the echo');
    expect(c.received().equals(expected)).toBe(true);
    expect(proxy.connections).toEqual({ total: 1, open: 1 });
    c.sock.end();
    await c.closed;
    await until(() => proxy.connections.open === 0, 'the link to close');
    await proxy.close();
  });

  it('stall holds data with the sockets open; resume delivers it', async () => {
    const proxy = await startTcpProxy(echoPort);
    const c = connect(proxy.port);
    await new Promise((r) => c.sock.once('connect', r));
    proxy.stall();
    c.sock.write('held');
    await new Promise((r) => setTimeout(r, 150));
    expect(c.received().length).toBe(0);
    expect(c.sock.destroyed).toBe(false);
    proxy.resume();
    await until(() => c.received().toString() === 'held', 'the held bytes');
    await proxy.close();
  });

  it('cutAfterBytes cuts every connection once that many bytes went downstream; refuseNew keeps it down', async () => {
    const proxy = await startTcpProxy(echoPort);
    const c = connect(proxy.port);
    proxy.cutAfterBytes(1000);
    c.sock.write(Buffer.alloc(5000, 1));
    await c.closed;
    expect(c.received().length).toBeGreaterThanOrEqual(1000);
    expect(c.received().length).toBeLessThan(5000);
    proxy.refuseNew();
    const again = connect(proxy.port);
    await again.closed;
    expect(again.received().length).toBe(0);
    await proxy.close();
  });

  it('cutAfterBytes with refuseNew: the store stays down from the cut on; byteCuts counts the cut', async () => {
    const proxy = await startTcpProxy(echoPort);
    proxy.cutAfterBytes(1000, { refuseNew: true });
    const before = connect(proxy.port);
    before.sock.write(Buffer.alloc(10, 1));
    await until(() => before.received().length === 10, 'the first bytes');
    expect(proxy.byteCuts).toBe(0);
    before.sock.write(Buffer.alloc(5000, 1));
    await before.closed;
    expect(before.received().length).toBeLessThan(5010);
    expect(proxy.byteCuts).toBe(1);
    const again = connect(proxy.port);
    again.sock.write('x');
    await again.closed;
    expect(again.received().length).toBe(0);
    expect(proxy.connections.total).toBe(2);
    await proxy.close();
  });
});
