/**
 * --progress through the real CLI (bin/dbcheck -> dist/: `npm run build` first). On a pipe, the
 * default writes nothing at all to stderr (cron mail and CI logs stay clean); `plain` and `tty`
 * prove the same run does have progress to show, so the empty pipe is not an accident.
 */
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { PG_DATABASE, PG_HOST, PG_PORT, PG_USER } from '../helpers/stores.js';

// Reports done/total three times with store-like text holding an escape sequence, then waits long
// enough for the live display's redraw timer (every 200 ms, due before this 600 ms wait) to fire.
const plugin = `export default {
  meta: { id: 'acme/steps', title: 'Takes three steps', requires: ['postgres'], codes: { found: { severity: 'error', message: () => 'found' } } },
  async run(ctx) {
    for (let done = 1; done <= 3; done++) ctx.progress({ done, total: 3, note: 'table \\x1b[2Jchunks' });
    await new Promise((resolve) => setTimeout(resolve, 600));
  },
};
`;

const config = `stores:
  postgres: { host: ${PG_HOST}, port: ${PG_PORT}, user: ${PG_USER}, database: ${PG_DATABASE} }
plugins: [./steps.mjs]
`;

describe('--progress', () => {
  const dir = tempDir({ 'dbcheck.yml': config, 'steps.mjs': plugin });
  const run = (...args: string[]) => runCli(['audit', '--only', 'acme/steps', ...args], { cwd: dir });

  it('on a pipe (the default, auto): not one byte on stderr, in table and JSON format', async () => {
    for (const format of ['table', 'json']) {
      const r = await run('-f', format);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('acme/steps');
    }
  }, 60_000);

  it('plain: a line as the check starts and ends, no escape sequences', async () => {
    const r = await run('--progress', 'plain');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^dbcheck progress: acme\/steps started\ndbcheck progress: ✔ acme\/steps pass in \d+\.\ds\n$/);
  }, 60_000);

  it('tty: the live line with done/total, redrawn in place, the store text escaped; erased at the end', async () => {
    const r = await run('--progress', 'tty');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/acme\/steps {2}\d+s {2}3\/3 \(100%\) .*table \\x1b\[2Jchunks/);
    expect(r.stderr).toContain('\r\x1b[1A\x1b[J'); // back up over the one live line
    expect(r.stderr).not.toContain('\x1b[2J'); // the raw sequence from the store never reaches the terminal
    expect(r.stderr.endsWith('\r\x1b[J')).toBe(true); // nothing live left behind
  }, 60_000);

  it('off and an unknown mode', async () => {
    expect((await run('--progress', 'off', '-f', 'json')).stderr).toBe('');
    const bad = await run('--progress', 'fancy');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("argument 'fancy' is invalid");
  }, 60_000);
});
