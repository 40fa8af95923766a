import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../src/errors/render-docs.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
