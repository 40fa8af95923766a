import { describe, expect, it, vi } from 'vitest';
import { AuditWriter } from './audit-writer.js';
import { sampleAudit } from './contract.js';
import type { AuditRecord, AuditRepo } from './types.js';

/** Records every batch; fails the first `failures` calls. */
function fakeRepo(failures = 0) {
  const batches: string[][] = [];
  let calls = 0;
  const repo: Pick<AuditRepo, 'insertMany'> = {
    async insertMany(records: AuditRecord[]) {
      calls += 1;
      if (calls <= failures) throw new Error(`transient failure ${calls}`);
      batches.push(records.map((r) => r.requestId));
    },
  };
  return { repo, batches, calls: () => calls };
}

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => sampleAudit(from + i).requestId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('AuditWriter', () => {
  it('never writes in the caller and, once a batch is full, drains the queue in batches, in order', async () => {
    const { repo, batches } = fakeRepo();
    const writer = new AuditWriter({ repo, batchSize: 500, flushIntervalMs: 60_000 });
    for (let i = 0; i < 1200; i++) writer.write(sampleAudit(i));
    expect(batches).toEqual([]);
    expect(writer.stats().queued).toBe(1200);
    await vi.waitFor(() => expect(batches.flat()).toHaveLength(1200));
    expect(batches.map((b) => b.length)).toEqual([500, 500, 200]);
    await writer.close();
    expect(batches.flat()).toEqual(ids(0, 1200));
    expect(writer.stats()).toEqual({ queued: 0, written: 1200, failed: 0, dropped: 0 });
  });

  it('writes a small batch once the flush interval has passed', async () => {
    const { repo, batches } = fakeRepo();
    const writer = new AuditWriter({ repo, flushIntervalMs: 30 });
    const started = Date.now();
    writer.write(sampleAudit(1));
    writer.write(sampleAudit(2));
    await sleep(5);
    expect(batches).toEqual([]);
    await vi.waitFor(() => expect(batches).toEqual([ids(1, 3)]), { timeout: 1000, interval: 5 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    await writer.close();
  });

  it('flush() writes at once and resolves when earlier records are stored', async () => {
    const { repo, batches } = fakeRepo();
    const writer = new AuditWriter({ repo, flushIntervalMs: 60_000 });
    await writer.flush();
    writer.write(sampleAudit(1));
    await writer.flush();
    expect(batches).toEqual([ids(1, 2)]);
    await writer.close();
  });

  it('close() writes everything still queued and refuses later records', async () => {
    const { repo, batches } = fakeRepo();
    const errors: unknown[] = [];
    const writer = new AuditWriter({ repo, flushIntervalMs: 60_000, onError: (e) => errors.push(e) });
    for (let i = 0; i < 7; i++) writer.write(sampleAudit(i));
    await writer.close();
    expect(batches.flat()).toEqual(ids(0, 7));
    writer.write(sampleAudit(8));
    expect(writer.stats()).toEqual({ queued: 0, written: 7, failed: 0, dropped: 1 });
    expect(errors).toHaveLength(1);
  });

  it('retries after transient failures with backoff, keeping records and order', async () => {
    const { repo, batches, calls } = fakeRepo(2);
    const errors: unknown[] = [];
    const writer = new AuditWriter({
      repo,
      batchSize: 3,
      flushIntervalMs: 1,
      retryInitialMs: 20,
      onError: (e) => errors.push(e),
    });
    const started = Date.now();
    for (let i = 0; i < 5; i++) writer.write(sampleAudit(i));
    await sleep(5);
    writer.write(sampleAudit(5));
    await writer.close();
    // First attempt, then waits of 20 ms and 40 ms before the third succeeds.
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(calls()).toBe(4);
    expect(batches).toEqual([ids(0, 3), ids(3, 6)]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['transient failure 1', 'transient failure 2']);
    expect(writer.stats()).toEqual({ queued: 0, written: 6, failed: 2, dropped: 0 });
  });

  it('drops the oldest records beyond the bound and counts them', async () => {
    let fail = true;
    const written: string[] = [];
    const repo = {
      async insertMany(records: AuditRecord[]) {
        if (fail) throw new Error('down');
        written.push(...records.map((r) => r.requestId));
      },
    };
    const writer = new AuditWriter({ repo, batchSize: 2, maxQueued: 4, flushIntervalMs: 1, retryInitialMs: 5, retryMaxMs: 5 });
    for (let i = 0; i < 10; i++) writer.write(sampleAudit(i));
    expect(writer.stats()).toMatchObject({ queued: 4, dropped: 6 });
    await vi.waitFor(() => expect(writer.stats().failed).toBeGreaterThanOrEqual(2));
    fail = false;
    await writer.close();
    expect(written).toEqual(ids(6, 10));
    expect(writer.stats()).toMatchObject({ queued: 0, written: 4, dropped: 6 });
  });

  it('close() with a deadline gives up on a database that stays down', async () => {
    const repo = { insertMany: async () => Promise.reject(new Error('down')) };
    const errors: string[] = [];
    const writer = new AuditWriter({
      repo,
      flushIntervalMs: 1,
      retryInitialMs: 10,
      onError: (e) => errors.push((e as Error).message),
    });
    writer.write(sampleAudit(1));
    writer.write(sampleAudit(2));
    await writer.close({ timeoutMs: 50 });
    expect(writer.stats()).toMatchObject({ queued: 0, written: 0, dropped: 2 });
    expect(errors.at(-1)).toMatch(/2 unwritten records/);
  });

  it('survives an onError callback that throws', async () => {
    const { repo, batches } = fakeRepo(1);
    const writer = new AuditWriter({
      repo,
      flushIntervalMs: 1,
      retryInitialMs: 1,
      onError: () => {
        throw new Error('logger broke');
      },
    });
    expect(() => writer.write(sampleAudit(1))).not.toThrow();
    await writer.close();
    expect(batches).toEqual([ids(1, 2)]);
  });
});
