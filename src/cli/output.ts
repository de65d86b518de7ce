/**
 * The --output file. Checked before any store is touched (a two-hour audit must not end in
 * "cannot write"), and written atomically: a temp file in the same folder, then a rename, so a
 * reader (or a full disk) never leaves a truncated report under the real name.
 */
import { accessSync, closeSync, constants, fsyncSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Why `file` cannot take the report, or undefined when it can (as far as can be known before). */
export function outputProblem(file: string): string | undefined {
  const dir = path.dirname(file);
  let dirStat: ReturnType<typeof statSync>;
  try {
    dirStat = statSync(dir);
  } catch {
    return `folder ${dir} does not exist`;
  }
  if (!dirStat.isDirectory()) return `${dir} is not a folder`;
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return `folder ${dir} is not writable`;
  }
  try {
    if (statSync(file).isDirectory()) return `${file} is a folder`;
  } catch {
    /* does not exist yet: fine */
  }
  return undefined;
}

/** Writes `text` to `file` through a temp file and a rename; on failure the temp file is removed. */
export function writeAtomically(file: string, text: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = openSync(temp, 'w');
    try {
      writeFileSync(fd, text); // loops until every byte is written (ENOSPC throws)
      fsyncSync(fd); // the bytes are on disk before the name points at them
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
