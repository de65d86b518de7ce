/**
 * A Milvus address whose port accepts TCP but does not speak plain gRPC: the advice depends on what
 * is there. A TLS server (here a local one with a certificate made by openssl) gets "set ssl: true";
 * another server (here one that answers like Redis to anything and hangs up) is named a wrong port,
 * not a TLS server. Real sockets, no Milvus needed: the connector's diagnosis is what is tested.
 */
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectMilvus } from '../../src/stores/milvus/connector.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/milvus-real-server.js';

let certs: TestCertificates;
let tlsServer: tls.Server;
let redisLike: net.Server;

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const listen = (s: net.Server) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));

beforeAll(async () => {
  certs = makeTestCertificates();
  tlsServer = tls.createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (s) => s.destroy());
  redisLike = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end('-ERR unknown command\r\n'));
  });
  await Promise.all([listen(tlsServer), listen(redisLike)]);
}, 60_000);

afterAll(() => {
  tlsServer?.close();
  redisLike?.close();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

async function connectError(port: number): Promise<{ code: string; message: string }> {
  try {
    const store = await connectMilvus({ address: `127.0.0.1:${port}`, connectTimeoutMs: 5_000 });
    await store.close();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('connected to something that is not Milvus');
}

it('a TLS server: "it may require TLS; set ssl: true"', async () => {
  const err = await connectError(portOf(tlsServer));
  expect(err.code).toBe('STORE_TLS');
  expect(err.message).toContain('it may require TLS; set ssl: true');
}, 30_000);

it('a server that is neither gRPC nor TLS: a wrong port, no TLS advice', async () => {
  const err = await connectError(portOf(redisLike));
  expect(err.code).toBe('STORE_UNREACHABLE');
  expect(err.message).not.toContain('TLS;');
  expect(err.message).toContain('speaks neither gRPC nor TLS: is this the Milvus port');
}, 30_000);
