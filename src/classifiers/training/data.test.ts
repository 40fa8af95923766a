import { describe, expect, it } from 'vitest';
import { assignSplits, isPermissiveLicense, type LabelledRecord } from './data.js';

function rec(text: string, meta: Record<string, unknown> = {}, dataset = 'd'): LabelledRecord {
  return { id: text, text, labels: {}, source: 's', license: 'MIT', dataset, meta };
}

describe('isPermissiveLicense', () => {
  it.each([
    ['MIT', true],
    ['Apache-2.0', true],
    ['CC-BY-4.0', true],
    ['CC-BY-SA-4.0', true],
    ['MIT + CDLA-Permissive-2.0 (see LICENSE.txt)', true],
    ['MIT (BIPIA); context texts come from third-party sources (see BIPIA NOTICE.md)', true],
    ['CC-BY-NC-4.0 (AlpacaEval data; NON-COMMERCIAL)', false],
    ['CC-BY-NC-SA-4.0 (DailyDialog) - NON-COMMERCIAL', false],
    ['GPL-3.0', false],
    ['no license stated (public tribunal transcripts)', false],
    ['no license file in repo (unspecified)', false],
    ['Microsoft chit-chat dataset; original repo was MIT (not verifiable here); the copy has no license file', false],
    ['', false],
  ])('%s → %s', (license, ok) => {
    expect(isPermissiveLicense(license)).toBe(ok);
  });
});

describe('assignSplits', () => {
  const many = Array.from({ length: 400 }, (_, i) => rec(`record number ${i} with some distinct words ${i * 7919}`));

  it('is deterministic and close to the intended fractions', () => {
    const a = assignSplits(many);
    expect(assignSplits(many)).toEqual(a);
    const v = a.filter((s) => s === 'validation').length / a.length;
    expect(v).toBeGreaterThan(0.12);
    expect(v).toBeLessThan(0.28);
  });

  it('keeps templates, translations and document copies in one split', () => {
    const long = 'x'.repeat(10) + ' the same long document body that continues for a while '.repeat(4);
    const group = [
      rec(`${long} and then one goal`),
      rec(`${long} and then another goal`),
      rec('injected first. ' + long),
      rec('some text', { multijail_id: 7 }, 'mj'),
      rec('ein Text', { multijail_id: 7 }, 'mj'),
    ];
    for (let trial = 0; trial < 20; trial++) {
      const recs = [...group.map((r) => ({ ...r, text: `${trial} ${r.text}` })), ...many];
      const s = assignSplits(recs);
      expect(s[1]).toBe(s[0]);
      expect(s[4]).toBe(s[3]);
    }
  });
});
