/**
 * Splits a long text into overlapping chunks so that a classifier call costs
 * at most `size` characters, and a passage no longer than `overlap` is wholly
 * inside at least one chunk (a short injected sentence is not cut in two).
 */

/**
 * Chunks of at most `size` UTF-16 code units; consecutive chunks share
 * `overlap` code units. A text no longer than `size` is returned as is.
 * Cuts never split a surrogate pair.
 *
 * @example
 * textChunks('a'.repeat(10_000), 4096, 256).length; // 3
 */
export function textChunks(text: string, size: number, overlap: number): string[] {
  if (text.length <= size) return [text];
  const step = Math.max(1, size - Math.min(overlap, size - 1));
  const out: string[] = [];
  for (let start = 0; ; ) {
    let end = Math.min(text.length, start + size);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    out.push(text.slice(start, end));
    if (end >= text.length) break;
    let next = start + step;
    if (isLowSurrogate(text.charCodeAt(next))) next++;
    start = Math.min(next, end);
  }
  return out;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
