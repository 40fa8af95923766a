/**
 * Child process: the baseline "any proxy". A node:http server that forwards
 * method, path, headers and body to the upstream through an undici Pool and
 * streams the answer back, with no parsing, checks, auth or logging: the least
 * work a Node reverse proxy can do, so Safegate's ratio against it isolates
 * what Safegate itself adds.
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';
import { fail, send, serveParent } from './child.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded; undici and node:http set their own framing. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

try {
  const upstream = process.env.BENCH_UPSTREAM;
  if (!upstream) throw new Error('BENCH_UPSTREAM is not set');
  const pool = new Pool(new URL(upstream).origin, { connections: 256, keepAliveTimeout: 30_000 });

  const server = createServer((req, res) => {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    pool
      .request({ method: req.method as 'POST', path: req.url ?? '/', headers: forwardable(req.headers) as Record<string, string>, body: hasBody ? req : null })
      .then(
        (up) => {
          res.writeHead(up.statusCode, forwardable(up.headers));
          pipeline(up.body, res, () => undefined);
        },
        () => {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
          res.end('{"error":{"message":"upstream unavailable","type":"server_error","param":null,"code":null}}');
        },
      );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  serveParent(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await pool.close();
  });
  send({ type: 'ready', url: `http://127.0.0.1:${port}/v1`, facts: { server: 'node:http + undici Pool pass-through' } });
} catch (err) {
  fail(err);
}
