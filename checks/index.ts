/**
 * The built-in checks, sorted by id. The CLI hands this list to the loader as data, which validates
 * each exactly as it validates a plugin's checks.
 */
import type { Check } from '../src/plugin.js';
import cacheDrift from './cache-drift/index.js';
import health from './health/index.js';
import indexFreshness from './index-freshness/index.js';
import orphanScan from './orphan-scan/index.js';
import poolStress from './pool-stress/index.js';
import referenceIntegrity from './reference-integrity/index.js';
import rollbackValidation from './rollback-validation/index.js';

export const builtinChecks: Check[] = [cacheDrift, health, indexFreshness, orphanScan, poolStress, referenceIntegrity, rollbackValidation];
