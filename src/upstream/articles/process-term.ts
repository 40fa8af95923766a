/**
 * Term normalisation shared by indexing and querying, so an article term and a
 * query term meet in the same form: lower-cased, stop words dropped, a light
 * English suffix stemmer applied ("syncing", "synced" and "sync" all become
 * "sync"). The stemmer is deliberately small and predictable; it only has to
 * be consistent with itself, not linguistically correct.
 */

/**
 * Standard English function words plus conversational filler that says
 * nothing about the topic of a support question ("please", "help", "need",
 * "make"). Dropping the filler matters for the confidence measure: an
 * off-topic request such as "help me make a bomb" must not look half covered
 * because "help" and "make" occur somewhere in the knowledge base.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against all also am an and any anyone anything are aren as at be because been before being
  below between both but by can cannot could couldn did didn do does doesn doing don down during each either else even
  ever every few for from further get gets getting got had hadn has hasn have haven having he her here hers herself him
  himself his how i if in into is isn it its itself just let lets like ll me might more most much must mustn my myself
  need needs no nor not now of off on once only or other ought our ours ourselves out over own please re really s same
  shall shan she should shouldn so some someone something such t than thank thanks that the their theirs them themselves
  then there these they thing things this those through to too under until up upon us ve very via want wants was wasn we
  were weren what when where which while who whom why will with won would wouldn you your yours yourself yourselves
  able hello hey hi help know tell make way use used using try trying ok okay`.split(/\s+/).filter(Boolean),
);

const VOWEL = /[aeiouy]/;
const DOUBLE_CONSONANT = /([b-df-hj-km-np-rtv-xz])\1$/;

/** Reduces an already lower-cased word to its stem. Words of three letters or fewer are kept as they are. */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);

  for (const suffix of ['ing', 'ed']) {
    const base = w.slice(0, -suffix.length);
    if (w.endsWith(suffix) && base.length >= 3 && VOWEL.test(base)) {
      w = DOUBLE_CONSONANT.test(base) ? base.slice(0, -1) : base;
      break;
    }
  }
  if (w.endsWith('ion') && w.length >= 7) w = w.slice(0, -3);
  else if (w.endsWith('ly') && w.length >= 6) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length >= 4) w = w.slice(0, -1);
  return w;
}

/**
 * MiniSearch `processTerm`: returns the indexed form of a token, or `null`
 * to drop it (stop words, single characters).
 */
export function processTerm(term: string): string | null {
  const lower = term.toLowerCase();
  if (lower.length < 2 || STOP_WORDS.has(lower)) return null;
  return stem(lower);
}
