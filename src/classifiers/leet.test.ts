import { describe, expect, it } from 'vitest';
import { deleet } from './leet.js';

describe('deleet', () => {
  it.each<[string, string]>([
    ['h0w d0 1 m4k3 th1s', 'how d0 1 make this'],
    ['7h3 b357 w4y 1n70 11s7', 'the best way into list'],
    ['ab@ut !mportant $tep5', 'abaut important steps'],
    ['sexist emai1 to a fema1e co11eague', 'sexist email to a female colleague'],
    ['a11 ki11 p1ease', 'all kill please'],
    ['d3t@!|$ of the p1@nt$ and n0th!ng!!', 'details of the plants and nothing!!'],
  ])('reads %s', (text, expected) => {
    expect(deleet(text)).toBe(expected);
  });

  it.each([
    'hello! what?!',
    '$100 in 2024, 10x faster, b12 and 100m, 3d and 4k, d0 (two characters are too ambiguous)',
    'call me at 5 or 7, item #4',
    'the 80s, 500g of flour, part x10',
    '| rank | name |',
    '@user_42 thanks, see @bob',
  ])('leaves %s alone', (text) => {
    expect(deleet(text)).toBe(text);
  });

  it('reads "1" and "|" the usual way in a word with letters outside a-z', () => {
    expect(deleet('caf\u00e91 |\u00e9on')).toBe('caf\u00e9i l\u00e9on');
  });

  it('rewrites a hostile word of hundreds of thousands of characters', () => {
    const out = deleet(`x ${'h4ck'.repeat(100_000)} y`);
    expect(out).toBe(`x ${'hack'.repeat(100_000)} y`);
  });

  it('returns the same string when nothing changes, and keeps everything around a rewritten word', () => {
    const s = 'nothing to see here';
    expect(deleet(s)).toBe(s);
    expect(deleet('(h4ck) -- "n0w"!')).toBe('(hack) -- "now"!');
  });
});
