/** dbcheck init's closing summary line (src/init/render.ts): counts in words, and what the Redis scan covered. */
import { describe, expect, it } from 'vitest';
import { type Proposal, renderProposal } from '../../src/init/render.js';

const proposal = (redisKeysSampled: Proposal['redisKeysSampled']): Proposal => ({
  stores: {},
  unread: [],
  keyColumns: [],
  collections: [],
  collectionsTotal: 1,
  milvus: [],
  redis: [],
  redisKeysSampled,
});
const summary = (p: Proposal) =>
  renderProposal(p, '0.0.0')
    .split('\n')
    .find((l) => l.startsWith('# Looked at:'));

describe('init summary line', () => {
  it('says "1 pattern", not "1 patterns", and the scope --redis-match gave the scan', () => {
    expect(summary(proposal({ keys: 1, complete: true, patterns: 1, matching: true }))).toBe(
      '# Looked at: 0 Postgres key columns; 0 of 1 Milvus collection; 1 Redis key (every key --redis-match matches, 1 pattern).',
    );
    expect(summary(proposal({ keys: 40, complete: true, patterns: 2 }))).toBe(
      '# Looked at: 0 Postgres key columns; 0 of 1 Milvus collection; 40 Redis keys (the whole keyspace, 2 patterns).',
    );
    expect(summary(proposal({ keys: 5000, complete: false, patterns: 0, matching: true }))).toContain('(a SCAN sample, 0 patterns)');
  });
});
