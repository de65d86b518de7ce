/** The built-in checks, sorted by id. Each is loaded exactly like a plugin would be. */
import type { Check } from '../src/plugin.js';
import health from './health/index.js';

export const builtinChecks: Check[] = [health];
