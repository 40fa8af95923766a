/**
 * Shell-style globs for names such as model ids: `*` matches any run of
 * characters (including none), `?` exactly one; everything else is literal.
 * Matching is anchored and case-sensitive.
 */

/**
 * Compiles a glob to an anchored regular expression.
 *
 * @example
 * globToRegExp('gpt-4o*').test('gpt-4o-mini'); // true
 * globToRegExp('gpt-4o*').test('gpt-4'); // false
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'su');
}

/** True when `name` matches at least one of the compiled globs. */
export function matchesAnyGlob(name: string, globs: readonly RegExp[]): boolean {
  for (const g of globs) if (g.test(name)) return true;
  return false;
}
