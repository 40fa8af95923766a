/**
 * The cheap local model first; the judge only for the uncertain band.
 *
 * A text is settled locally when every label scores below `low` (clearly
 * clean) or some label scores above `high` (clearly a finding): the local
 * model's own decision stands. Otherwise the judge decides that text, and
 * its answer replaces the local one. Each item's `by` says which back-end
 * decided (`local` or `judge`), so the audit shows how often the judge ran.
 */
import type { CheckContext, ClassifiedItem } from '../../pipeline/types.js';
import type { ClassifierKind } from '../../shared/classifier-backend-config.js';
import type { Backend } from './types.js';

export class CascadeBackend implements Backend {
  readonly id = 'cascade';
  readonly maxChars?: number;

  constructor(
    private readonly first: Backend,
    private readonly judge: Backend,
    private readonly band: { low: number; high: number },
  ) {
    if (judge.maxChars !== undefined) this.maxChars = judge.maxChars;
  }

  /** True when the first model's answer is inside the uncertain band. */
  uncertain(item: ClassifiedItem): boolean {
    let max = 0;
    for (const v of Object.values(item.scores)) if (v > max) max = v;
    return max >= this.band.low && max <= this.band.high;
  }

  async score(kind: ClassifierKind, texts: readonly string[], ctx: CheckContext): Promise<ClassifiedItem[]> {
    const local = await this.first.score(kind, texts, ctx);
    const unsure: number[] = [];
    local.forEach((item, i) => {
      if (this.uncertain(item)) unsure.push(i);
    });
    if (unsure.length === 0) return local;
    const judged = await this.judge.score(kind, unsure.map((i) => texts[i]!), ctx);
    const out = [...local];
    unsure.forEach((textIndex, j) => {
      out[textIndex] = judged[j]!;
    });
    return out;
  }
}
