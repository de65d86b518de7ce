/**
 * Starts a private real Milvus standalone server (PyPI `milvus` 2.3.5 from .venv/milvus-real, see
 * scripts/services.sh) on free loopback ports with its own data dir, optionally with
 * authentication and TLS, which Milvus Lite lacks. For tests that need a server configured
 * differently from the shared one (auth, TLS), or one they may stop. Start-up takes ~20-60 s.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './redis-server.js';

const BIN = process.env.DBCHECK_MILVUS_REAL_BIN ?? path.resolve('.venv/milvus-real/bin/milvus-server');
const START_TIMEOUT_MS = 180_000;
const INTERNAL_PORTS = [
  'root-coord',
  'proxy-internal',
  'query-coord',
  'query-node',
  'index-coord',
  'index-node',
  'data-coord',
  'data-node',
];

export interface TestCertificates {
  dir: string;
  /** The self-signed CA that signed the server certificate. */
  caFile: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate and key signed by the same CA (for mutual TLS, tls-mode 2). */
  clientCert: string;
  clientKey: string;
}

/**
 * A throw-away CA and a server certificate for 127.0.0.1 / localhost, made with openssl in a
 * temp dir (removed by the caller with `rmSync(dir, { recursive: true })`).
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'dbcheck-milvus-tls-'));
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=dbcheck test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${who === 'server' ? 'localhost' : 'dbcheck client'}`,
      '-keyout',
      f(`${who}.key`),
      '-out',
      f(`${who}.csr`),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f('san.ext'),
      '-out',
      f(`${who}.pem`),
    );
  }
  return {
    dir,
    caFile: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

export interface RealMilvusOptions {
  /** `--authorization-enabled true`: every call needs root:Milvus (the default user) or a token. */
  auth?: boolean;
  /** 1 = server-side TLS, 2 = mutual TLS; needs `certs`. */
  tlsMode?: 1 | 2;
  certs?: TestCertificates;
}

export interface RealMilvus {
  address: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startRealMilvus(opts: RealMilvusOptions = {}): Promise<RealMilvus> {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run \`bash scripts/services.sh up\` first`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dbcheck-milvus-real-'));
  // Every listening port explicitly: the wrapper's defaults (53100, 19529, ...) are taken by the
  // shared server of scripts/services.sh, and a taken port makes the wrapper give up.
  const port = await freePort();
  const etcdPort = await freePort();
  const args = ['--data', dataDir, '--proxy-port', String(port), '--etcd-port', String(etcdPort)];
  for (const name of INTERNAL_PORTS) args.push(`--${name}-port`, String(await freePort()));
  // The embedded etcd also listens on etcd's own defaults (2379, peer 2380), which no flag of the
  // wrapper moves; an etcd config file does, named by the server's ETCD_CONFIG_PATH variable
  // (Milvus reads `etcd.config.path` from the environment).
  const peer = `http://127.0.0.1:${await freePort()}`;
  const client = `http://127.0.0.1:${etcdPort}`;
  const etcdConfig = path.join(dataDir, 'embed-etcd.yaml');
  writeFileSync(
    etcdConfig,
    [
      'name: default',
      `listen-peer-urls: ${peer}`,
      `initial-advertise-peer-urls: ${peer}`,
      `initial-cluster: default=${peer}`,
      `listen-client-urls: ${client}`,
      `advertise-client-urls: ${client}`,
      '',
    ].join('\n'),
  );
  if (opts.auth) args.push('--authorization-enabled', 'true');
  if (opts.tlsMode) {
    if (!opts.certs) throw new Error('startRealMilvus: tlsMode needs certs');
    args.push(
      '--tls-mode',
      String(opts.tlsMode),
      '--server-pem-path',
      opts.certs.serverCert,
      '--server-key-path',
      opts.certs.serverKey,
      '--ca-pem-path',
      opts.certs.caFile,
    );
  }
  // The Python wrapper unpacks the server binary, starts `milvus run standalone`, waits for its
  // health endpoint and then prints its banner: the banner is our "ready" signal (unbuffered).
  // detached: its own process group, so stop() also reaches the server child.
  const child: ChildProcess = spawn(BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, PYTHONUNBUFFERED: '1', ETCD_CONFIG_PATH: etcdConfig },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT'); // the wrapper terminates its server child, then exits
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    try {
      process.kill(-child.pid!, 'SIGKILL'); // anything left in its group
    } catch {
      // already gone
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes('Ctrl+C to exit')) {
    if (child.exitCode !== null || /already stopped|not startd|timeout/i.test(output) || Date.now() > deadline) {
      await stop();
      throw new Error(`real Milvus did not start on port ${port}: ${output.slice(-500) || '(no output)'}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { address: `127.0.0.1:${port}`, port, dataDir, stop };
}

/** Reads a PEM file (for assertions that a secret or key never shows). */
export function pem(file: string): string {
  return readFileSync(file, 'utf8');
}
