/**
 * Child process: the mock provider the integration tests use,
 * answering every chat request with the 1 KB answer for its prompt.
 */
import { startMockUpstream } from '../../test/helpers/mock-upstream.js';
import { answerFor, lastUserText, STREAM_CHUNK_CHARS } from '../workload.js';
import { fail, send, serveParent } from './child.js';

try {
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
