/**
 * Ctrl-C while a store is still connecting: the store is not "unreachable" (a false alarm in the
 * summary and on stderr); the check it held back is listed as unfinished on the one interrupt line.
 * The store is a local socket that accepts and never answers, so the connect is still waiting.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const PLUGIN = `
export default {
  meta: { id: 'demo/needs-redis', title: 'Needs Redis', requires: ['redis'], codes: { odd: { severity: 'warn', message: () => 'odd' } } },
  async run() {},
};
`;

let dir: string;
let silent: net.Server;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dbcheck-interrupt-'));
  writeFileSync(path.join(dir, 'needs-redis.mjs'), PLUGIN);
  silent = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(() => {
  for (const s of sockets) s.destroy();
  silent.close();
  rmSync(dir, { recursive: true, force: true });
});

it('SIGINT during a store connect: exit 130, no store unreachable, one line on stderr naming the unfinished check', async () => {
  const port = (silent.address() as net.AddressInfo).port;
  const config = path.join(dir, 'dbcheck.json');
  writeFileSync(
    config,
    JSON.stringify({ stores: { redis: { host: '127.0.0.1', port, connectTimeout: '30s' } }, plugins: ['./needs-redis.mjs'] }),
  );
  const controller = new AbortController();
  setTimeout(() => controller.abort('SIGINT'), 300);
  let stdout = '';
  let stderr = '';
  const code = await main(['audit', '-c', config, '--only', 'demo/needs-redis', '--format', 'json'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: dir,
    signal: controller.signal,
  });
  expect(code).toBe(130);
  const report = JSON.parse(stdout);
  expect(report.summary.unreachableStores).toEqual([]);
  expect(report.stores.find((s: { kind: string }) => s.kind === 'redis').error).toBeUndefined();
  expect(report.checks[0]).toMatchObject({ id: 'demo/needs-redis', status: 'error', error: { code: 'CANCELLED' } });
  expect(stderr).toBe('dbcheck: interrupted by SIGINT; unfinished: demo/needs-redis\n');
});
