/**
 * --output writes atomically (temp file + rename) into a regular file; a name that is a symlink or
 * not a regular file (a FIFO, /dev/stdout) is written through, never replaced by the rename.
 */
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputProblem, writeAtomically } from '../../src/cli/output.js';

let dir: string;
const readers: Array<{ kill(): boolean }> = [];
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dbcheck-output-'));
});
afterAll(() => {
  for (const r of readers) r.kill(); // a reader still waiting on its FIFO (the test failed) is ended
  rmSync(dir, { recursive: true, force: true });
});

describe('writeAtomically', () => {
  it('a regular file is replaced whole', () => {
    const file = path.join(dir, 'report.json');
    writeFileSync(file, 'old');
    writeAtomically(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
  });

  it('through a symlink: the target gets the report and the link stays a link', () => {
    const target = path.join(dir, 'target.json');
    const link = path.join(dir, 'link.json');
    writeFileSync(target, 'old');
    symlinkSync(target, link);
    writeAtomically(link, 'new');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('new');
  });

  it('a FIFO is written into (its reader gets the report), not replaced by a file', async () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    readers.push(reader);
    let got = '';
    reader.stdout.on('data', (d) => (got += d));
    const done = new Promise((resolve) => reader.on('close', resolve));
    expect(outputProblem(fifo)).toBeUndefined();
    writeAtomically(fifo, 'report\n');
    await done;
    expect(got).toBe('report\n');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  }, 10_000);
});
