/**
 * Policy deny-lists: listed words and phrases, regular expressions, and
 * optionally English profanity from obscenity's maintained dataset.
 *
 * Words match whole words only, with Unicode-aware boundaries, so listing
 * "ass" does not hit "class" or "passage"; a phrase's spaces match any run
 * of white space. Patterns are matched as written (flags `u`, plus `i` unless
 * `caseSensitive`), so they may match inside words. Obscenity handles
 * look-alike spellings ("sh1t", "fück") and whitelists innocent words
 * ("Scunthorpe", "assassin"); its redactions cover the whole word around the
 * match. Its dataset still has false positives on some innocent words
 * ("shiitake", "cockpit"), so it suits flagging better than blocking. Profanity matching costs roughly 150 µs per KB, which is why it is
 * off by default.
 *
 * Matchers are compiled once per configuration object and cached.
 * Patterns come from the operator's policy and are trusted; each is checked
 * for syntax when the configuration is parsed, so a bad one stops start-up.
 */
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import { z } from 'zod';
import { defineCheck, type Redaction, type Verdict } from '../pipeline/types.js';

const regexSource = z.string().min(1).superRefine((source, ctx) => {
  try {
    new RegExp(source, 'u');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression /${source}/: ${(err as Error).message}` });
  }
});

const config = z.object({
  words: z.array(z.string().trim().min(1)).default([]).describe('Words or phrases, matched as whole words.'),
  patterns: z.array(regexSource).default([]).describe('Regular expressions (JavaScript syntax, compiled with the `u` flag).'),
  profanity: z.boolean().default(false).describe('Also match English profanity (obscenity dataset; about 150 µs per KB).'),
  action: z.enum(['block', 'redact', 'flag']).default('block').describe('Decision when anything matches; `redact` replaces the match.'),
  caseSensitive: z.boolean().default(false).describe('Case-sensitive words and patterns; profanity always ignores case.'),
});

type Config = z.output<typeof config>;
type Kind = 'deny_word' | 'deny_pattern' | 'profanity';

const REASONS: Record<Kind, string> = {
  deny_word: 'listed word',
  deny_pattern: 'listed pattern',
  profanity: 'profanity',
};

const REPLACEMENT = '[REDACTED]';
const WORD_CHAR = /[\p{L}\p{M}\p{N}_]/u;

interface Matchers {
  words?: RegExp;
  patterns: RegExp[];
}

const compiled = new WeakMap<Config, Matchers>();

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(cfg: Config): Matchers {
  let m = compiled.get(cfg);
  if (m) return m;
  const flags = cfg.caseSensitive ? 'gu' : 'giu';
  m = { patterns: cfg.patterns.map((p) => new RegExp(p, flags)) };
  if (cfg.words.length > 0) {
    // Longest first, so that "credit card number" wins over "credit card".
    const alternatives = [...cfg.words].sort((a, b) => b.length - a.length).map((w) => escape(w).replace(/\s+/g, '\\s+'));
    m.words = new RegExp(`(?<![\\p{L}\\p{M}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{M}\\p{N}_])`, flags);
  }
  compiled.set(cfg, m);
  return m;
}

let profanityMatcher: RegExpMatcher | undefined;

function profanity(): RegExpMatcher {
  profanityMatcher ??= new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
  return profanityMatcher;
}

interface Hit {
  kind: Kind;
  start: number;
  end: number;
}

function collect(pattern: RegExp, text: string, kind: Kind, hits: Hit[]): void {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (m[0].length === 0) {
      pattern.lastIndex++;
      continue;
    }
    hits.push({ kind, start: m.index, end: m.index + m[0].length });
  }
}

/** Sorts hits and merges overlapping ones, so one word found twice counts and redacts once. */
function merge(hits: Hit[]): Hit[] {
  if (hits.length < 2) return hits;
  hits.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Hit[] = [hits[0] as Hit];
  for (let i = 1; i < hits.length; i++) {
    const h = hits[i] as Hit;
    const last = out[out.length - 1] as Hit;
    if (h.start < last.end) last.end = Math.max(last.end, h.end);
    else out.push(h);
  }
  return out;
}

/** Widens a profanity match to the whole word it sits in ("fucking", not "fuck" + "ing"). */
function wholeWord(text: string, start: number, end: number): [number, number] {
  while (start > 0 && WORD_CHAR.test(text[start - 1] as string)) start--;
  while (end < text.length && WORD_CHAR.test(text[end] as string)) end++;
  return [start, end];
}

export default defineCheck({
  id: 'deny-list',
  stage: 'both',
  description: 'Blocks, redacts or flags listed words, regular expressions and (optionally) profanity.',
  config,
  run(_ctx, input, cfg): Verdict {
    const matchers = compile(cfg);
    const counts = new Map<Kind, number>();
    const redactions: Redaction[] = [];

    input.segments.forEach((seg, segment) => {
      const text = seg.text;
      const hits: Hit[] = [];
      if (matchers.words) collect(matchers.words, text, 'deny_word', hits);
      for (const p of matchers.patterns) collect(p, text, 'deny_pattern', hits);
      if (cfg.profanity) {
        for (const m of profanity().getAllMatches(text)) {
          const [start, end] = wholeWord(text, m.startIndex, m.endIndex + 1);
          hits.push({ kind: 'profanity', start, end });
        }
      }
      for (const h of merge(hits)) {
        counts.set(h.kind, (counts.get(h.kind) ?? 0) + 1);
        if (cfg.action === 'redact') redactions.push({ segment, start: h.start, end: h.end, replacement: REPLACEMENT, kind: h.kind });
      }
    });

    if (counts.size === 0) return { decision: 'allow', reasons: [] };
    const verdict: Verdict = {
      decision: cfg.action,
      reasons: [...counts.keys()].map((k) => REASONS[k]),
      scores: Object.fromEntries(counts),
    };
    if (redactions.length > 0) verdict.redactions = redactions;
    return verdict;
  },
});
