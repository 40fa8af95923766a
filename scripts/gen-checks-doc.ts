import { writeFileSync } from 'node:fs';
import { renderChecksDoc } from '../src/checks/render-docs.js';

writeFileSync(new URL('../docs/checks.md', import.meta.url), renderChecksDoc());
