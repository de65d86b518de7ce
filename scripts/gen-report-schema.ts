// Regenerates docs/report.schema.json from src/report/schema.ts (a unit test keeps them in sync).
import { writeFileSync } from 'node:fs';
import { reportJsonSchema } from '../src/report/schema.js';

writeFileSync('docs/report.schema.json', `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
