import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/types.js';
import { AbuseTracker, decayStrikes, type StrikePolicy, type Transition } from './abuse.js';

const HOUR = 3_600_000;
const policy: StrikePolicy = { weights: { block: 3, flag: 1, review: 1, refused: 0.5 }, halfLifeMs: HOUR, throttle: 5, suspend: 10, review: 20, throttleFactor: 0.2 };

let dir: string;
let store: Store;
let now: number;
let transitions: Transition[];
let tracker: AbuseTracker;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-abuse-'));
  store = await openStore({ dataDir: dir });
  now = Date.UTC(2025, 0, 1);
  transitions = [];
  tracker = new AbuseTracker({ repo: store.userState, events: store.securityEvents, policy, now: () => now, onTransition: (t) => transitions.push(t) });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('decayStrikes', () => {
  it('halves every half-life and never grows', () => {
    expect(decayStrikes(8, 0, HOUR, HOUR)).toBeCloseTo(4);
    expect(decayStrikes(8, 0, 3 * HOUR, HOUR)).toBeCloseTo(1);
    expect(decayStrikes(8, HOUR, 0, HOUR)).toBe(8);
    expect(decayStrikes(0, 0, HOUR, HOUR)).toBe(0);
  });
});

describe('AbuseTracker', () => {
  it('moves ok → throttled → suspended → review, recording each step', async () => {
    expect((await tracker.standing('u')).state).toBe('ok');
    await tracker.strike('u', 'block');
    await tracker.strike('u', 'block');
    expect((await tracker.standing('u')).state).toBe('throttled');
    await tracker.strike('u', 'block');
    await tracker.strike('u', 'flag');
    expect((await tracker.standing('u')).state).toBe('suspended');
    for (let i = 0; i < 20; i++) await tracker.strike('u', 'refused');
    expect((await tracker.standing('u')).state).toBe('review');
    expect(transitions.map((t) => t.to)).toEqual(['throttled', 'suspended', 'review']);
    const events = await store.securityEvents.query({ subject: 'u' });
    expect(events.map((e) => e.type)).toEqual(['user.review', 'user.suspended', 'user.throttled']);
    expect(events.every((e) => e.actor === 'system')).toBe(true);
  });

  it('ignores outcomes that carry no weight', async () => {
    expect(await tracker.strike('u', 'allow')).toBeNull();
    expect(await tracker.strike('u', 'redact')).toBeNull();
    expect(await store.userState.get('u')).toBeUndefined();
  });

  it('lifts a throttle as strikes decay, but not a suspension', async () => {
    await tracker.strike('t', 'block');
    await tracker.strike('t', 'block');
    expect((await tracker.standing('t')).state).toBe('throttled');
    now += 2 * HOUR;
    tracker.clearCache();
    expect(await tracker.standing('t')).toMatchObject({ state: 'ok' });

    for (let i = 0; i < 4; i++) await tracker.strike('s', 'block');
    now += 48 * HOUR;
    tracker.clearCache();
    expect((await tracker.standing('s')).state).toBe('suspended');
  });

  it('keeps other users unaffected', async () => {
    for (let i = 0; i < 5; i++) await tracker.strike('bad', 'block');
    expect((await tracker.standing('bad')).state).toBe('suspended');
    expect((await tracker.standing('good')).state).toBe('ok');
  });

  it('suspends and restores on an administrator\'s word, clearing strikes', async () => {
    const s = await tracker.suspend('u', 'cli');
    expect(s).toMatchObject({ from: 'ok', to: 'suspended', actor: 'cli' });
    expect(AbuseTracker.refuses((await tracker.standing('u')).state)).toBe(true);
    const r = await tracker.restore('u', 'cli');
    expect(r).toMatchObject({ from: 'suspended', to: 'ok' });
    expect(await tracker.standing('u')).toMatchObject({ state: 'ok', strikes: 0 });
    expect((await store.securityEvents.query({ subject: 'u' })).map((e) => e.type)).toEqual(['user.restored', 'user.suspended']);
  });

  it('loses no strikes when replicas add them at once', async () => {
    const other = new AbuseTracker({ repo: store.userState, events: store.securityEvents, policy, now: () => now });
    await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? tracker : other).strike('c', 'flag')));
    expect((await store.userState.get('c'))?.strikes).toBeCloseTo(6);
  });
});
