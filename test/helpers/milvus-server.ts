/**
 * Starts a private Milvus Lite server (the project's venv, .venv/milvus) on a free loopback port
 * with its own data dir, for tests that need to stop or restart a Milvus server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './redis-server.js';

const BIN = process.env.DBCHECK_MILVUS_LITE_BIN ?? path.resolve('.venv/milvus/bin/milvus-lite');

export async function startMilvusLite(opts: { dataDir?: string; port?: number } = {}) {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run \`npm run services:up\` first`);
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'dbcheck-milvus-'));
  const port = opts.port ?? (await freePort());
  const child: ChildProcess = spawn(BIN, ['server', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)], {
    stdio: 'ignore',
  });
  // Generous: a (re)start on a loaded 2-core machine, beside the suite and benchmarks, has taken over 30 s.
  await waitForPort(port, 120_000, 'milvus-lite');
  return {
    port,
    dataDir,
    address: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
