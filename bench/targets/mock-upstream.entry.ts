/**
 * Child process: the mock provider the integration tests use,
 * answering every chat request with the 1 KB answer for its prompt, from the
 * text pool the parent wrote to BENCH_POOL.
 */
import { readFileSync } from 'node:fs';
import { startMockUpstream } from '../../test/helpers/mock-upstream.js';
import { answerFor, lastUserText, STREAM_CHUNK_CHARS, usePool, type TextPool } from '../workload.js';
import { fail, send, serveParent } from './child.js';

try {
  const poolFile = process.env.BENCH_POOL;
  if (poolFile === undefined) throw new Error('BENCH_POOL is not set: the bench passes the file of its text pool');
  usePool(JSON.parse(readFileSync(poolFile, 'utf8')) as TextPool);
  const mock = await startMockUpstream({
    chunkSize: STREAM_CHUNK_CHARS,
    // A benchmark sends hundreds of thousands of requests; nothing inspects them.
    keepRequests: false,
    answer: (body) => answerFor(lastUserText(body)),
  });
  serveParent(() => mock.close());
  send({ type: 'ready', url: mock.url, facts: { server: 'node:http mock provider of the integration tests' } });
} catch (err) {
  fail(err);
}
