/**
 * The character ranges of one text already claimed by a finding, so that a
 * later, lower-priority finding over the same characters can be skipped.
 * Checks and adds cost the length of the span, not the number of findings,
 * which keeps texts with thousands of findings linear.
 */
export class SpanSet {
  private claimed: Uint8Array | undefined;

  constructor(private readonly length: number) {}

  /** True when any character in `[start, end)` is already claimed. */
  overlaps(start: number, end: number): boolean {
    const c = this.claimed;
    if (!c) return false;
    for (let i = Math.max(0, start); i < end && i < this.length; i++) if (c[i] === 1) return true;
    return false;
  }

  /** Claims `[start, end)`. */
  add(start: number, end: number): void {
    // Allocated on the first finding: most texts have none.
    const c = (this.claimed ??= new Uint8Array(this.length));
    c.fill(1, Math.max(0, start), Math.min(end, this.length));
  }

  /** Claims `[start, end)` unless part of it is claimed already; returns whether it did. */
  claim(start: number, end: number): boolean {
    if (this.overlaps(start, end)) return false;
    this.add(start, end);
    return true;
  }
}
