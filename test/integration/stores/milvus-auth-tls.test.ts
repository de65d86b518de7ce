/**
 * Authentication and TLS against a private real Milvus server (2.3.5, `--authorization-enabled
 * true --tls-mode 1` with a CA and server certificate made by openssl for this file). Milvus Lite
 * has neither, so this file runs only in the `integration-milvus-real` project.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMilvus, type MilvusStoreConfig } from '../../../src/stores/milvus/connector.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { makeTestCertificates, startRealMilvus, type RealMilvus, type TestCertificates } from '../../helpers/milvus-real-server.js';

// The default user of a fresh Milvus with authorization on is root / Milvus.
const ROOT_PASSWORD = 'Milvus';
const WRONG_PASSWORD = 'wr0ng-Pa55-SECRET-7731';
const WRONG_TOKEN = 'root:tok-SECRET-4409';

let server: RealMilvus;
let certs: TestCertificates;

beforeAll(async () => {
  certs = makeTestCertificates();
  server = await startRealMilvus({ auth: true, tlsMode: 1, certs });
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

async function connectError(cfg: Partial<MilvusStoreConfig>) {
  const store = await connectMilvus({ address: server.address, connectTimeoutMs: 8000, ...cfg } as MilvusStoreConfig).catch((err) => err);
  if (!(store instanceof Error)) {
    await store.close();
    throw new Error('connected, but a failure was expected');
  }
  return store as Error & { code: string };
}

describe('real Milvus with authentication and TLS', () => {
  it('connects over TLS with the CA, with a user and password and with a token', async () => {
    for (const creds of [{ username: 'root', password: ROOT_PASSWORD }, { token: `root:${ROOT_PASSWORD}` }]) {
      const store = await connectMilvus({ address: server.address, caFile: certs.caFile, ...creds });
      try {
        expect(await store.reader.version()).toMatch(/^v2\.3\.5/);
        expect(await store.reader.listCollections()).toEqual([]);
      } finally {
        await store.close();
      }
    }
  });

  it('refuses wrong or missing credentials as STORE_AUTH, without showing them', async () => {
    for (const creds of [{ username: 'root', password: WRONG_PASSWORD }, { token: WRONG_TOKEN }, {}]) {
      const err = await connectError({ caFile: certs.caFile, ...creds });
      expect(err.code).toBe('STORE_AUTH');
      expect(err.message).toBe(
        `Milvus at ${server.address}: authentication failed (the server refused the credentials (user/password or token))`,
      );
    }
  });

  it('fails clearly when the client does not trust the certificate, or speaks plain gRPC to TLS', async () => {
    const untrusted = await connectError({ ssl: true, token: `root:${ROOT_PASSWORD}` });
    expect(untrusted.code).toBe('STORE_TLS');
    expect(untrusted.message).toMatch(/TLS handshake failed .*unable to verify the first certificate.*set caFile/);

    const plain = await connectError({ token: `root:${ROOT_PASSWORD}` });
    expect(plain.code).toBe('STORE_TLS');
    expect(plain.message).toContain('accepts connections but not plain (unencrypted) gRPC: it may require TLS; set ssl: true');
  });

  it('a missing caFile is a configuration error naming the option', async () => {
    const err = await connectError({ caFile: path.join(certs.dir, 'nope.pem'), token: `root:${ROOT_PASSWORD}` });
    expect(err.code).toBe('CONFIG');
    expect(err.message).toContain('caFile');
    expect(err.message).toContain('ENOENT');
  });

  it('through the CLI: the right credentials pass, wrong ones give one clear line and exit 3, no secret shown', async () => {
    const config = (creds: string) => `stores:\n  milvus: { address: "${server.address}", caFile: "${certs.caFile}", ${creds} }\n`;
    const dir = tempDir({
      'good.yml': config(`username: root, password: "\${MILVUS_PW}"`),
      'bad-password.yml': config(`username: root, password: "${WRONG_PASSWORD}"`),
      'bad-token.yml': config(`token: "${WRONG_TOKEN}"`),
    });
    const good = await runCli(['health', '-c', 'good.yml', '-f', 'json'], { cwd: dir, env: { MILVUS_PW: ROOT_PASSWORD } });
    expect(good.code, good.stderr).toBe(0);
    const report = JSON.parse(good.stdout);
    expect(report.exitCode).toBe(0);
    expect(report.checks.map((c: { status: string }) => c.status)).toEqual(['pass']);

    for (const file of ['bad-password.yml', 'bad-token.yml']) {
      const r = await runCli(['health', '-c', file], { cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(3);
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => /milvus/i.test(l));
      expect(lines.length, r.stderr).toBeGreaterThanOrEqual(1);
      expect(r.stderr + r.stdout).toContain('authentication failed');
      expect(r.stderr + r.stdout).not.toMatch(/\n\s+at /); // no stack trace
      for (const secret of [WRONG_PASSWORD, WRONG_TOKEN, 'tok-SECRET-4409']) expect(r.stdout + r.stderr).not.toContain(secret);
    }
  });
});
