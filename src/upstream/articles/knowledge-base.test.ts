import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_KB_DIR, KnowledgeBaseError, loadKnowledgeBase, parseArticle } from './knowledge-base.js';

const GOOD = `---
title: Resetting your password
id: reset-password
tags: [password, login]
updated: 2025-03-04
url: https://help.example.com/articles/reset-password
---
Choose **Forgot password?** on the sign-in page.
`;

const temps: string[] = [];
function tempKb(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'safegate-kb-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function loadError(files: Record<string, string>): KnowledgeBaseError {
  const dir = tempKb(files);
  try {
    loadKnowledgeBase(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(KnowledgeBaseError);
    return err as KnowledgeBaseError;
  }
  throw new Error('loading was expected to fail');
}

describe('loadKnowledgeBase: the bundled sample', () => {
  it('loads 15-20 valid articles with unique kebab-case ids, well under 200 ms', () => {
    const started = performance.now();
    const kb = loadKnowledgeBase(DEFAULT_KB_DIR);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(200);
    expect(kb.articles.length).toBeGreaterThanOrEqual(15);
    expect(kb.articles.length).toBeLessThanOrEqual(20);
    expect(new Set(kb.articles.map((a) => a.id)).size).toBe(kb.articles.length);
    for (const a of kb.articles) {
      expect(a.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(a.tags.length).toBeGreaterThan(0);
      expect(a.url).toMatch(/^https:\/\/help\.example\.com\//);
      const words = a.body.split(/\s+/).length;
      expect(words, a.file).toBeGreaterThanOrEqual(150);
      expect(words, a.file).toBeLessThanOrEqual(400);
    }
    expect(kb.articles.some((a) => a.file.toLowerCase() === 'readme.md')).toBe(false);
    expect(kb.get('reset-password')?.title).toBe('Resetting your password');
  });
});

describe('loadKnowledgeBase: validation', () => {
  it('parses front matter and body', () => {
    const a = parseArticle('reset.md', GOOD);
    expect(a).toEqual({
      id: 'reset-password',
      title: 'Resetting your password',
      tags: ['password', 'login'],
      updated: '2025-03-04',
      url: 'https://help.example.com/articles/reset-password',
      body: 'Choose **Forgot password?** on the sign-in page.',
      file: 'reset.md',
    });
  });

  it('accepts tags as a comma-separated string, CRLF line ends and no url', () => {
    const a = parseArticle('a.md', '---\r\ntitle: A\r\nid: a\r\ntags: one, two words\r\nupdated: 2024-01-31\r\n---\r\nBody.\r\n');
    expect(a.tags).toEqual(['one', 'two words']);
    expect(a.url).toBeUndefined();
  });

  it.each([
    ['no front matter', 'Just text.', /missing front matter/],
    ['invalid YAML', '---\ntitle: [unclosed\nid: a\n---\nBody', /not valid YAML/],
    ['missing title', '---\nid: a\nupdated: 2024-01-01\n---\nBody', /title: /],
    ['id not kebab-case', '---\ntitle: A\nid: Reset_Password\nupdated: 2024-01-01\n---\nBody', /id: must be kebab-case/],
    ['bad date', '---\ntitle: A\nid: a\nupdated: March 2024\n---\nBody', /updated: must be a date written YYYY-MM-DD/],
    ['bad url', '---\ntitle: A\nid: a\nupdated: 2024-01-01\nurl: ftp://x.example\n---\nBody', /url: must be an http\(s\) URL/],
    ['empty body', '---\ntitle: A\nid: a\nupdated: 2024-01-01\n---\n\n', /body is empty/],
  ])('fails on %s, naming the file', (_, text, problem) => {
    const err = loadError({ 'good.md': GOOD, 'broken-article.md': text });
    expect(err.file).toBe('broken-article.md');
    expect(err.message.startsWith('broken-article.md: ')).toBe(true);
    expect(err.message).toMatch(problem);
  });

  it('fails on a duplicate id, naming both files', () => {
    const err = loadError({ 'a.md': GOOD, 'b.md': GOOD });
    expect(err.message).toBe('b.md: id "reset-password" is already used by a.md');
  });

  it('fails on a missing folder and on a folder without articles', () => {
    expect(() => loadKnowledgeBase(join(tmpdir(), 'safegate-no-such-kb'))).toThrow(/folder not found/);
    expect(() => loadKnowledgeBase(tempKb({ 'README.md': '# About', 'notes.txt': 'x' }))).toThrow(/no Markdown articles/);
  });

  it('skips README.md and non-Markdown files', () => {
    const kb = loadKnowledgeBase(tempKb({ 'README.md': 'no front matter here', 'a.md': GOOD, 'x.txt': 'ignored' }));
    expect(kb.articles.map((a) => a.file)).toEqual(['a.md']);
  });
});

describe('KnowledgeBase.search', () => {
  const kb = loadKnowledgeBase(DEFAULT_KB_DIR);

  it.each([
    ['my notes stopped syncing', 'sync-troubleshooting'],
    ['pasword reseting', 'reset-password'],
    ['keyb shortcut', 'keyboard-shortcuts'],
  ])('finds the article despite inflections, typos and prefixes: %s', (query, id) => {
    const [best] = kb.search(query);
    expect(best?.article.id).toBe(id);
    expect(best?.confidence).toBeGreaterThan(0.5);
  });

  it('keeps confidence in 0..1, ordered hits, and honours limit', () => {
    const hits = kb.search('export my notes to pdf', { limit: 3 });
    expect(hits).toHaveLength(3);
    expect(hits[0]?.article.id).toBe('export-notes');
    for (const h of hits) {
      expect(h.confidence).toBeGreaterThanOrEqual(0);
      expect(h.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('returns no hits for a query without meaningful terms', () => {
    expect(kb.search('hi, can you help me?')).toEqual([]);
    expect(kb.search('')).toEqual([]);
  });

  it('gives about the same confidence whether the knowledge base has 6 articles or all of them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'safegate-kb-small-'));
    temps.push(dir);
    mkdirSync(dir, { recursive: true });
    for (const f of ['reset-password', 'two-factor-authentication', 'billing-and-refunds', 'export-notes', 'offline-mode', 'contact-support']) {
      copyFileSync(join(DEFAULT_KB_DIR, `${f}.md`), join(dir, `${f}.md`));
    }
    const small = loadKnowledgeBase(dir);
    for (const query of ['how do I turn on 2FA', 'the reset link never shows up in my inbox', 'how do I update my credit card', 'I want to talk to a real person']) {
      const a = kb.search(query)[0];
      const b = small.search(query)[0];
      expect(b?.article.id, query).toBe(a?.article.id);
      expect(Math.abs((a?.confidence ?? 0) - (b?.confidence ?? 0)), query).toBeLessThan(0.1);
    }
  });
});
