/**
 * CheckTester: runs one check, through the real engine, against the real local servers.
 *
 *   const result = await runCheck(cacheDrift, { options: {...}, stores: ['redis', 'postgres'] });
 *   expect(result.countsByCode['stale-entry']).toBe(3);
 *
 * `options` is the check's config section (what a user would write under checks.<id>).
 */
export { runCheck, type RunCheckOptions } from './run-check.js';
