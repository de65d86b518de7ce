/**
 * The --output file. Checked before any store is touched (a two-hour audit must not end in
 * "cannot write"), and written atomically: a temp file in the same folder, then a rename, so a
 * reader (or a full disk) never leaves a truncated report under the real name. A name that is not
 * a regular file (a FIFO, /dev/stdout) is written into, and a symlink's target is written.
 */
import { accessSync, closeSync, constants, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the report really goes: a symlink's target (the link stays), and whether that is a regular
 * file. A FIFO, /dev/stdout or a device is written into directly: a rename would replace it.
 */
function outputTarget(file: string): { path: string; regular: boolean } {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file); // follows links, /dev/stdout too (its realpath may be "pipe:[…]", no path)
  } catch {
    return { path: file, regular: true }; // nothing there yet
  }
  if (!stat.isFile()) return { path: file, regular: false };
  try {
    return { path: realpathSync(file), regular: true };
  } catch {
    return { path: file, regular: false };
  }
}

/** Why `file` cannot take the report, or undefined when it can (as far as can be known before). */
export function outputProblem(output: string): string | undefined {
  const target = outputTarget(output);
  const file = target.path;
  if (!target.regular && !statSync(file).isDirectory()) {
    try {
      accessSync(file, constants.W_OK);
      return undefined;
    } catch {
      return `${output} is not writable`;
    }
  }
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
export function writeAtomically(output: string, text: string): void {
  const target = outputTarget(output);
  if (!target.regular) {
    writeFileSync(target.path, text);
    return;
  }
  const file = target.path;
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
