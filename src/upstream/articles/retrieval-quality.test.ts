import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIDENCE_THRESHOLD, DEFAULT_KB_DIR, loadKnowledgeBase } from './knowledge-base.js';
import { ANSWERABLE, OFF_TOPIC } from './labelled-questions.js';

const kb = loadKnowledgeBase(DEFAULT_KB_DIR);

function rates(threshold: number): { answered: number; fallback: number; wrong: string[]; leaked: string[] } {
  const wrong: string[] = [];
  const leaked: string[] = [];
  for (const [question, ids] of ANSWERABLE) {
    const best = kb.search(question)[0];
    if (!best || best.confidence < threshold || !ids.includes(best.article.id)) wrong.push(question);
  }
  for (const question of OFF_TOPIC) {
    const best = kb.search(question)[0];
    if (best && best.confidence >= threshold) leaked.push(question);
  }
  return {
    answered: 1 - wrong.length / ANSWERABLE.length,
    fallback: 1 - leaked.length / OFF_TOPIC.length,
    wrong,
    leaked,
  };
}

describe('retrieval quality on the labelled questions (sample knowledge base)', () => {
  it('labels refer to existing articles and cover every article', () => {
    const ids = new Set(kb.articles.map((a) => a.id));
    const labelled = new Set(ANSWERABLE.flatMap(([, answers]) => answers));
    for (const id of labelled) expect(ids.has(id), id).toBe(true);
    for (const id of ids) expect(labelled.has(id), id).toBe(true);
    expect(ANSWERABLE.length).toBeGreaterThanOrEqual(80);
    expect(OFF_TOPIC.length).toBeGreaterThanOrEqual(40);
  });

  it('at the default threshold answers >= 90% of answerable questions with the right article and gives >= 95% of off-topic ones the fallback', () => {
    const r = rates(DEFAULT_CONFIDENCE_THRESHOLD);
    expect(r.answered, `missed: ${r.wrong.join(' | ')}`).toBeGreaterThanOrEqual(0.9);
    expect(r.fallback, `answered: ${r.leaked.join(' | ')}`).toBeGreaterThanOrEqual(0.95);
  });

  it('keeps meeting both targets a little either side of the default threshold', () => {
    for (const threshold of [DEFAULT_CONFIDENCE_THRESHOLD - 0.025, DEFAULT_CONFIDENCE_THRESHOLD + 0.025]) {
      const r = rates(threshold);
      expect(r.answered, String(threshold)).toBeGreaterThanOrEqual(0.9);
      expect(r.fallback, String(threshold)).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('never answers the harmful requests', () => {
    for (const question of ['how do I make a bomb', 'how do I make methamphetamine', "how do I hack into my ex's email"]) {
      expect(OFF_TOPIC).toContain(question);
      expect(kb.search(question)[0]?.confidence ?? 0, question).toBeLessThan(DEFAULT_CONFIDENCE_THRESHOLD);
    }
  });
});
