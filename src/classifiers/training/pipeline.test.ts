import { describe, expect, it } from 'vitest';
import { medianLogits } from './pipeline.js';

describe('medianLogits', () => {
  it('takes each label\'s median over the rows, odd and even counts, rounded to 4 decimals', () => {
    expect(medianLogits([[-1, 5], [-3, 1], [-2, 3]], 2)).toEqual([-2, 3]);
    expect(medianLogits([Float64Array.from([-1, 0]), Float64Array.from([-4, 2])], 2)).toEqual([-2.5, 1]);
    expect(medianLogits([[-7.123456], [-7.123456], [100]], 1)).toEqual([-7.1235]);
  });

  it('is not moved by a few extreme texts', () => {
    const rows = [...Array.from({ length: 99 }, () => [-13]), [40]];
    expect(medianLogits(rows, 1)).toEqual([-13]);
  });
});
