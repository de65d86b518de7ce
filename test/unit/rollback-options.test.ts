import { describe, expect, it } from 'vitest';
import { optionsSchema } from '../../checks/rollback-validation/options.js';
import { statementForDisplay } from '../../checks/rollback-validation/text.js';

describe('rollback-validation options', () => {
  it('needs a migrations folder: {} is rejected', () => {
    expect(optionsSchema.safeParse({}).success).toBe(false);
  });

  it('fills in safe defaults: static checks only, dry-run off', () => {
    const r = optionsSchema.safeParse({ migrations: 'db/migrations' });
    expect(r.success).toBe(true);
    expect(r.data).toEqual({
      migrations: 'db/migrations',
      plain: { versionColumn: 'version' },
      destructive: { enabled: true, exactCountBelow: 1_000_000, countTimeout: 2000, maxExactCounts: 50 },
      lint: { enabled: true, recentApplied: 5, rowsAbove: 1_000_000, bytesAbove: 1024 ** 3 },
      dryRun: { enabled: false, last: 1, lockTimeout: 2000, statementTimeout: 60_000 },
    });
  });

  it('reads durations and rejects unknown keys and tools', () => {
    const r = optionsSchema.safeParse({ migrations: 'm', dryRun: { enabled: true, lockTimeout: '300ms', last: 3 } });
    expect(r.data?.dryRun).toMatchObject({ enabled: true, lockTimeout: 300, last: 3 });
    expect(optionsSchema.safeParse({ migrations: 'm', dryrun: {} }).success).toBe(false);
    expect(optionsSchema.safeParse({ migrations: 'm', tool: 'liquibase' }).success).toBe(false);
    expect(optionsSchema.safeParse({ migrations: 'm', dryRun: { last: 0 } }).success).toBe(false);
  });
});

describe('statementForDisplay', () => {
  it('puts a statement on one bounded line and masks password literals', () => {
    expect(statementForDisplay("CREATE ROLE app\n  LOGIN PASSWORD 'hunter2';")).toBe("CREATE ROLE app LOGIN PASSWORD '***';");
    expect(statementForDisplay('x'.repeat(500), 10)).toHaveLength(10);
  });
});
