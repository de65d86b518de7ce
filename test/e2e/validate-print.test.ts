/** `dbcheck validate --print` (issue 14.4): presets and defaults expanded, as YAML that is itself valid config. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, tempDir } from '../helpers/cli.js';

const CONFIG = `
stores:
  postgres: { host: 127.0.0.1 }
  milvus: { address: 127.0.0.1:19530 }
checks:
  orphan-scan:
    milvus:
      - preset: langchain
        collection: docs
  reference-integrity:
    mappings:
      - preset: langchain
        collection: docs
        recordManager: { schema: rag }
`;

describe('validate --print', () => {
  it('prints the expansion on stdout (the verdict on stderr), and the printed checks validate as they are', async () => {
    const dir = tempDir({ 'dbcheck.yml': CONFIG });
    const r = await runCli(['validate', '--print'], { cwd: dir });
    expect(r.stderr).toBe('dbcheck.yml: valid\n');
    expect(r.code).toBe(0);
    const printed = parse(r.stdout);
    expect(printed.checks['orphan-scan'].milvus).toEqual([
      {
        name: 'docs (langchain)',
        collection: 'docs',
        field: 'pk',
        parent: { table: 'upsertion_record', column: 'key', where: "namespace = 'milvus/docs'" },
      },
    ]);
    expect(printed.checks['reference-integrity'].mappings[0]).toEqual({
      name: 'docs (langchain)',
      postgres: { schema: 'rag', table: 'upsertion_record', key: 'key', where: "namespace = 'milvus/docs'" },
      milvus: { collection: 'docs', key: 'pk' },
    });
    expect(Object.keys(printed.checks)).toEqual(['orphan-scan', 'reference-integrity']); // only configured checks
    // The expansion is ordinary config: with the stores section it validates again, unchanged.
    writeFileSync(
      path.join(dir, 'expanded.yml'),
      `stores:\n  postgres: { host: 127.0.0.1 }\n  milvus: { address: 127.0.0.1:19530 }\n${r.stdout}`,
    );
    const again = await runCli(['validate', '--print', '-c', 'expanded.yml'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(parse(again.stdout)).toEqual(printed);
  }, 60_000);

  it('a preset mistake is one line with its place in the file, exit 2', async () => {
    const dir = tempDir({
      'dbcheck.yml': CONFIG.replace(
        '- preset: langchain\n        collection: docs\n  reference',
        '- preset: langchian\n        collection: docs\n  reference',
      ),
    });
    const r = await runCli(['validate', '--print'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'dbcheck: invalid config\n  dbcheck.yml:8:9: checks.orphan-scan.milvus[0]: unknown preset "langchian"; presets: langchain, llamaindex\n',
    );
  }, 60_000);
});
