/**
 * A string's UTF-16 code units in a reused typed array, for the scanning and
 * hashing loops.
 *
 * Why: those loops read every character of every scored text, and reading a
 * `Uint16Array` is cheaper than `charCodeAt` on strings that arrive in
 * either of the engine's two widths (one-byte and two-byte), sliced or flat.
 * Copying 1 KB of text costs about a tenth of a microsecond. Code units are
 * copied as they are, lone surrogates included.
 *
 * Contract: the array returned by `load` is valid until the next `load` on
 * the same instance; a loop that holds it must not call anything that loads
 * into the same instance.
 */
export class CodeUnits {
  private bytes = Buffer.alloc(0);
  private units = new Uint16Array(0);

  /**
   * The code units of `s` from index `at`, with a space (32) at every index
   * before `at` and at `at + s.length`, so a loop may read one unit past the
   * end of the text without a bounds test.
   */
  load(s: string, at: 0 | 1): Uint16Array {
    const end = at + s.length;
    if (this.units.length <= end) {
      this.bytes = Buffer.alloc((end + 1) * 4);
      this.units = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length >> 1);
    }
    const units = this.units;
    if (at === 1) units[0] = 32;
    this.bytes.write(s, 2 * at, 'utf16le');
    units[end] = 32;
    return units;
  }
}
