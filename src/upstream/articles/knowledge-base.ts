/**
 * A folder of Markdown support articles, validated and indexed for full-text
 * retrieval. Loaded once at start; searching never touches the disk.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import MiniSearch, { type SearchResult } from 'minisearch';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { processTerm } from './process-term.js';

/** The sample knowledge base shipped with the package (`kb/` at the package root, from both `src/` and `dist/`). */
export const DEFAULT_KB_DIR = fileURLToPath(new URL('../../../kb/', import.meta.url));

/**
 * Default minimum confidence for answering with an article. Chosen on the
 * labelled questions in `labelled-questions.ts` (91 answerable, 40 off-topic,
 * for the sample knowledge base): thresholds from about 0.30 to 0.425 meet
 * both targets (at least 90% of answerable questions answered with the right
 * article, at least 95% of off-topic requests given the fallback); 0.35 sits
 * in that range with room on both sides.
 */
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.35;

export interface Article {
  /** kebab-case id from the front matter, unique in the knowledge base */
  id: string;
  title: string;
  tags: string[];
  /** ISO date (YYYY-MM-DD) the article was last reviewed */
  updated: string;
  /** public address of the article, when it has one */
  url?: string;
  /** Markdown body without the front matter, trimmed */
  body: string;
  /** file name inside the knowledge-base folder */
  file: string;
}

export interface SearchHit {
  article: Article;
  /** MiniSearch relevance score (BM25+ with field boosts); only comparable within one query */
  score: number;
  /** how well the article covers the query, 0..1; comparable across queries and knowledge bases (see `KnowledgeBase.search`) */
  confidence: number;
}

export interface KnowledgeBase {
  readonly dir: string;
  readonly articles: readonly Article[];
  get(id: string): Article | undefined;
  /**
   * Articles matching `query`, best first, at most `limit` (default 5).
   *
   * `confidence` is weighted term coverage. The query is reduced to its
   * distinct meaningful terms (stop words dropped, stemmed). Each term weighs
   * the square root of its BM25 inverse document frequency over the
   * knowledge base, with the document frequency floored at 1: words in every
   * article ("notes", "account") count little, a word found nowhere ("poem",
   * "France") counts as much as the rarest known word. The square root keeps
   * a question's key word from counting for almost nothing just because a
   * small knowledge base mentions it in passing in many articles. An article
   * earns a term's weight in full when the term is in its title or completes
   * one of its tags; 0.6 of it when the term is only in the body or is only
   * part of a multi-word tag ("time" against the tag "response time"); times
   * 0.8 for a prefix match or 0.7 for a fuzzy one. Confidence is the earned
   * weight over the query's total weight. Being a fraction of the query's own
   * terms, it does not grow with article length or with the number of
   * articles, unlike a raw relevance score. A query without meaningful terms
   * ("hi") has no hits.
   *
   * Hits are ordered by confidence × score / best score, so an article that
   * covers the whole question beats one that scores high on a single boosted
   * title word ("account"), while the relevance score still separates
   * articles that cover the question equally.
   */
  search(query: string, options?: { limit?: number }): SearchHit[];
}

/** A knowledge-base folder or file that cannot be loaded; the message names the file and the problem. */
export class KnowledgeBaseError extends Error {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'KnowledgeBaseError';
    this.file = file;
  }
}

const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const frontMatterSchema = z.object({
  title: z.string().trim().min(1).max(200),
  id: z.string().regex(KEBAB_CASE, 'must be kebab-case (lowercase letters, digits, single hyphens)'),
  tags: z
    .union([
      z.array(z.string().trim().min(1)),
      z.string().transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean)),
    ])
    .default([]),
  updated: z.iso.date('must be a date written YYYY-MM-DD'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
});

const FRONT_MATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;
/** Credit for a query term found in the body, or in only part of a multi-word tag, relative to the title or a whole tag. */
const BODY_CREDIT = 0.6;
const PREFIX_CREDIT = 0.8;
const FUZZY_CREDIT = 0.7;
const PREFIX_MIN_LENGTH = 4;
/** Shorter terms are not matched fuzzily: after stemming, 5-letter words collide too easily ("story" ~ "stor(e)"). */
const FUZZY_MIN_LENGTH = 6;
const FUZZINESS = 0.2;
const MAX_FUZZY = 2;

const SEARCH_OPTIONS = {
  boost: { title: 3, tags: 2 },
  prefix: (term: string) => term.length >= PREFIX_MIN_LENGTH,
  fuzzy: (term: string) => (term.length >= FUZZY_MIN_LENGTH ? FUZZINESS : false),
  maxFuzzy: MAX_FUZZY,
  combineWith: 'OR' as const,
};

/** Parses one article file. Throws KnowledgeBaseError naming `file`. */
export function parseArticle(file: string, source: string): Article {
  const match = FRONT_MATTER.exec(source);
  if (!match) throw new KnowledgeBaseError(file, 'missing front matter: the file must start with a "---" line, then fields, then "---"');
  let raw: unknown;
  try {
    raw = parseYaml(match[1] ?? '');
  } catch (err) {
    throw new KnowledgeBaseError(file, `front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = frontMatterSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'front matter'}: ${i.message}`);
    throw new KnowledgeBaseError(file, `invalid front matter: ${problems.join('; ')}`);
  }
  const body = source.slice(match[0].length).trim();
  if (!body) throw new KnowledgeBaseError(file, 'the article body is empty');
  const { url, ...fields } = parsed.data;
  return { ...fields, ...(url ? { url } : {}), body, file };
}

/**
 * Loads every `*.md` file directly inside `dir` (except README.md) and builds
 * the search index. Synchronous, because it runs once at start and a bad
 * knowledge base must stop the start.
 *
 * @throws KnowledgeBaseError for a missing or empty folder, an invalid file, or a duplicate id.
 * @example
 * const kb = loadKnowledgeBase(DEFAULT_KB_DIR);
 * const [best] = kb.search('I forgot my password');
 */
export function loadKnowledgeBase(dir: string): KnowledgeBase {
  const root = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    throw new KnowledgeBaseError(root, 'knowledge-base folder not found or not readable');
  }
  const files = names.filter((n) => n.toLowerCase().endsWith('.md') && n.toLowerCase() !== 'readme.md').sort();
  const articles: Article[] = [];
  const byId = new Map<string, Article>();
  for (const name of files) {
    const path = join(root, name);
    if (!statSync(path).isFile()) continue;
    const article = parseArticle(name, readFileSync(path, 'utf8'));
    const clash = byId.get(article.id);
    if (clash) throw new KnowledgeBaseError(name, `id "${article.id}" is already used by ${clash.file}`);
    byId.set(article.id, article);
    articles.push(article);
  }
  if (articles.length === 0) throw new KnowledgeBaseError(root, 'no Markdown articles found');
  return buildKnowledgeBase(root, articles);
}

interface IndexedArticle {
  id: number;
  title: string;
  tags: string;
  body: string;
}

type Tokenize = (text: string) => string[];

function buildKnowledgeBase(dir: string, articles: Article[]): KnowledgeBase {
  const index = new MiniSearch<IndexedArticle>({ fields: ['title', 'tags', 'body'], processTerm, searchOptions: SEARCH_OPTIONS });
  index.addAll(articles.map((a, i) => ({ id: i, title: a.title, tags: a.tags.join('\n'), body: a.body })));

  const tokenize = MiniSearch.getDefault('tokenize') as Tokenize;
  const documentFrequency = new Map<string, number>();
  for (const a of articles) {
    for (const term of new Set(analyze(tokenize, `${a.title}\n${a.tags.join('\n')}\n${a.body}`))) {
      documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
  }
  const n = articles.length;
  const weight = (term: string): number => {
    const df = Math.max(1, documentFrequency.get(term) ?? 0);
    return Math.sqrt(Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  };
  /** per article: analysed tag term → the analysed tag phrases containing it */
  const tagPhrases = articles.map((a) => {
    const phrases = new Map<string, string[][]>();
    for (const tag of a.tags) {
      const phrase = analyze(tokenize, tag);
      for (const term of phrase) phrases.set(term, [...(phrases.get(term) ?? []), phrase]);
    }
    return phrases;
  });
  const byId = new Map(articles.map((a) => [a.id, a]));

  return {
    dir,
    articles,
    get: (id) => byId.get(id),
    search(query, options = {}) {
      const terms = [...new Set(analyze(tokenize, query))];
      if (terms.length === 0) return [];
      const weights = terms.map(weight);
      const total = weights.reduce((sum, w) => sum + w, 0);
      const results = index.search(query);
      const topScore = results[0]?.score ?? 1;
      return results
        .map((result) => {
          const i = result.id as number;
          const earned = terms.reduce((sum, term, t) => sum + (weights[t] ?? 0) * termCredit(term, terms, result, tagPhrases[i]), 0);
          const confidence = Math.min(1, earned / total);
          return { hit: { article: articles[i] as Article, score: result.score, confidence }, rank: confidence * (result.score / topScore) };
        })
        .sort((a, b) => b.rank - a.rank || b.hit.score - a.hit.score)
        .slice(0, options.limit ?? 5)
        .map(({ hit }) => hit);
    },
  };
}

function analyze(tokenize: Tokenize, text: string): string[] {
  const out: string[] = [];
  for (const token of tokenize(text)) {
    const term = processTerm(token);
    if (term) out.push(term);
  }
  return out;
}

/** The best credit query term `term` earns from one result, over the document terms MiniSearch matched. */
function termCredit(term: string, queryTerms: string[], result: SearchResult, tagPhrases: Map<string, string[][]> | undefined): number {
  let best = 0;
  for (const [docTerm, fields] of Object.entries(result.match)) {
    const kind = docTerm === term ? 1 : term.length >= PREFIX_MIN_LENGTH && docTerm.startsWith(term) ? PREFIX_CREDIT : withinFuzzyDistance(term, docTerm) ? FUZZY_CREDIT : 0;
    if (kind === 0) continue;
    for (const field of fields) {
      let credit = BODY_CREDIT;
      if (field === 'title') credit = 1;
      else if (field === 'tags') {
        const phrases = tagPhrases?.get(docTerm) ?? [];
        if (phrases.some((phrase) => phrase.every((t) => t === docTerm || queryTerms.includes(t)))) credit = 1;
      }
      best = Math.max(best, kind * credit);
    }
  }
  return best;
}

/** Whether `candidate` is within the edit distance SEARCH_OPTIONS.fuzzy allows for query term `term`. */
function withinFuzzyDistance(term: string, candidate: string): boolean {
  if (term.length < FUZZY_MIN_LENGTH) return false;
  const max = Math.min(MAX_FUZZY, Math.round(term.length * FUZZINESS));
  if (Math.abs(term.length - candidate.length) > max) return false;
  let previous = Array.from({ length: candidate.length + 1 }, (_, j) => j);
  for (let i = 1; i <= term.length; i++) {
    const row = [i];
    for (let j = 1; j <= candidate.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (term[i - 1] === candidate[j - 1] ? 0 : 1);
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution);
    }
    previous = row;
  }
  return (previous[candidate.length] ?? Infinity) <= max;
}
