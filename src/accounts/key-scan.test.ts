import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateGatewayKey } from '../shared/key-format.js';
import { scanForGatewayKeys } from './key-scan.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-keyscan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scanForGatewayKeys', () => {
  it('finds keys with line and column, skipping binaries, .git and symbolic links', async () => {
    const k1 = generateGatewayKey();
    const k2 = generateGatewayKey();
    mkdirSync(join(dir, 'a', '.git'), { recursive: true });
    writeFileSync(join(dir, 'a', 'one.txt'), `first line\n  token: ${k1}\nthird ${k2}\n`);
    writeFileSync(join(dir, 'a', '.git', 'config'), k1);
    writeFileSync(join(dir, 'a', 'bin.dat'), Buffer.concat([Buffer.alloc(4), Buffer.from(k1)]));
    writeFileSync(join(dir, 'a', 'bad-checksum.txt'), `${k1.slice(0, -1)}${k1.endsWith('A') ? 'B' : 'A'}`);
    symlinkSync(join(dir, 'a', 'one.txt'), join(dir, 'a', 'link.txt'));
    const result = await scanForGatewayKeys([join(dir, 'a')]);
    expect(result.findings).toEqual([
      { file: join(dir, 'a', 'one.txt'), line: 2, column: 10, prefix: k1.slice(0, 11) },
      { file: join(dir, 'a', 'one.txt'), line: 3, column: 7, prefix: k2.slice(0, 11) },
    ]);
    expect((await scanForGatewayKeys([join(dir, 'a')], { all: true })).findings).toHaveLength(3);
    await expect(scanForGatewayKeys([join(dir, 'missing')])).rejects.toThrow();
  });
});
