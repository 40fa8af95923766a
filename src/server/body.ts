/**
 * Reads a JSON request body with a byte limit, strict UTF-8 and a clear error
 * for each way it can be wrong. The limit is enforced while reading, so a huge
 * chunked body is refused without being buffered.
 */
import { GatewayError } from '../errors/gateway-error.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * `incoming` is Node's request when running on @hono/node-server: reading it
 * directly skips the web-stream adapter, which costs more than the rest of the
 * parsing on small bodies.
 */
export async function readJsonBody(req: Request, limit: number, incoming?: AsyncIterable<Buffer> & { readableEnded?: boolean }): Promise<Record<string, unknown>> {
  const type = req.headers.get('content-type');
  if (type !== null && !/^application\/([\w.+-]+\+)?json\b/i.test(type.trim())) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', { message: `The request body must be application/json, not ${type.split(';')[0]!.slice(0, 60)}.` });
  }
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new GatewayError('BODY_TOO_LARGE', { message: `The request body is ${declared} bytes; this gateway accepts at most ${limit}.` });
  const chunks: Uint8Array[] = [];
  let size = 0;
  const tooLarge = () => new GatewayError('BODY_TOO_LARGE', { message: `The request body is larger than ${limit} bytes.` });
  if (incoming && !incoming.readableEnded) {
    for await (const chunk of incoming) {
      size += chunk.byteLength;
      if (size > limit) throw tooLarge();
      chunks.push(chunk);
    }
  } else {
    if (!req.body) throw new GatewayError('INVALID_JSON', { message: 'The request body is empty; expected a JSON object.' });
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new GatewayError('INVALID_UTF8');
  }
  if (text.trim() === '') throw new GatewayError('INVALID_JSON', { message: 'The request body is empty; expected a JSON object.' });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // The parser's position hint helps; its message never includes more than a few characters of input.
    const hint = err instanceof SyntaxError ? err.message.replace(/"[^"]*"/g, '…').slice(0, 120) : '';
    throw new GatewayError('INVALID_JSON', { message: `The request body is not valid JSON${hint ? ` (${hint})` : ''}.` });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError('INVALID_REQUEST', { message: 'The request body must be a JSON object.' });
  }
  return value as Record<string, unknown>;
}
