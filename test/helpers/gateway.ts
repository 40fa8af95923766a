/**
 * Boots the real gateway in-process on a loopback port with a temporary data
 * directory, and gives tests an `openai` client pointed at it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/app.js';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  key: string;
  keyId: string;
  dataDir: string;
  logs: string[];
  client(options?: { apiKey?: string; defaultHeaders?: Record<string, string> }): OpenAI;
  /** waits until every audit record so far is stored */
  flushAudit(): Promise<void>;
  close(): Promise<void>;
}

export async function startGateway(config: ConfigInput = {}, options: GatewayOptions = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-it-'));
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const parsed = configSchema.parse({ dataDir, logging: { level: 'info' }, ...config, server: { port: 0, ...config.server } });
  const gateway = await createGateway({ config: parsed, file: null, env: {} }, { logDestination: destination, defaultMetrics: false, ...options });
  // Port 0 (the default) picks a free port; a test that needs the address up front (links, OAuth redirects) passes one.
  const { port } = await gateway.listen(parsed.server.port, '127.0.0.1');
  const created = await gateway.keys.create({ name: 'test' });
  const url = `http://127.0.0.1:${port}/v1`;
  return {
    gateway,
    url,
    key: created.key,
    keyId: created.id,
    dataDir,
    logs,
    client: (o = {}) => new OpenAI({ apiKey: o.apiKey ?? created.key, baseURL: url, maxRetries: 0, timeout: 15_000, defaultHeaders: o.defaultHeaders }),
    flushAudit: () => gateway.audit.flush(),
    async close() {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
