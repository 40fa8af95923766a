/**
 * A minimal browser for account tests: fetch with a cookie jar, an Origin
 * header like a page of the gateway's own origin would send, manual
 * redirects, and helpers to read mail from the outbox folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface SetCookie {
  name: string;
  value: string;
  /** lower-cased attribute names → values ('' for flags) */
  attributes: Record<string, string>;
  raw: string;
}

export function parseSetCookie(raw: string): SetCookie {
  const [pair = '', ...parts] = raw.split(';');
  const eq = pair.indexOf('=');
  const attributes: Record<string, string> = {};
  for (const part of parts) {
    const i = part.indexOf('=');
    const key = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
    if (key) attributes[key] = i < 0 ? '' : part.slice(i + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, raw };
}

export class CookieJar {
  readonly cookies = new Map<string, string>();

  store(res: Response): SetCookie[] {
    const set = res.headers.getSetCookie().map(parseSetCookie);
    for (const c of set) {
      const expired = c.attributes['max-age'] === '0' || (c.attributes.expires !== undefined && Date.parse(c.attributes.expires) < Date.now());
      if (expired || c.value === '') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return set;
  }

  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export interface BrowserOptions {
  /** the Origin header sent with state-changing requests (default: the base URL's origin); null sends none */
  origin?: string | null;
  /** extra headers on every request (e.g. x-forwarded-for) */
  headers?: Record<string, string>;
}

/** One browser profile talking to one site. Redirects are returned, not followed. */
export class Browser {
  readonly jar = new CookieJar();
  lastSetCookies: SetCookie[] = [];

  constructor(
    readonly baseUrl: string,
    readonly options: BrowserOptions = {},
  ) {}

  async request(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Response> {
    const url = path.startsWith('http') ? path : this.baseUrl + path;
    const headers: Record<string, string> = { ...this.options.headers, ...extra };
    const cookie = this.jar.header();
    if (cookie) headers.cookie = cookie;
    if (method !== 'GET' && method !== 'HEAD') {
      const origin = this.options.origin === undefined ? new URL(this.baseUrl).origin : this.options.origin;
      if (origin && !('origin' in headers)) headers.origin = origin;
    }
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(url, { method, headers, ...(payload !== undefined ? { body: payload } : {}), redirect: 'manual' });
    this.lastSetCookies = this.jar.store(res);
    return res;
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, undefined, headers);
  }

  post(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('POST', path, body ?? {}, headers);
  }

  /** Requests `url` and follows redirects within `maxHops`, returning the last response. */
  async follow(url: string, maxHops = 10): Promise<Response> {
    let res = await this.get(url);
    for (let hop = 0; hop < maxHops && res.status >= 300 && res.status < 400; hop += 1) {
      const location = res.headers.get('location');
      if (!location) break;
      res = await this.get(new URL(location, url).toString());
      url = new URL(location, url).toString();
    }
    return res;
  }
}

export interface OutboxMail {
  file: string;
  to: string;
  subject: string;
  text: string;
  /** kind from the file name: verify-email, reset-password, existing-account, ... */
  kind: string;
}

/** Mail written to `<dataDir>/outbox`, oldest first. Quoted-printable soft breaks are undone. */
export function readOutbox(dataDir: string): OutboxMail[] {
  const dir = join(dataDir, 'outbox');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  return files.map((f) => {
    const raw = readFileSync(join(dir, f), 'utf8');
    const [head = '', ...rest] = raw.split('\n\n');
    const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(head)?.[1]?.trim() ?? '';
    let text = rest.join('\n\n');
    if (/quoted-printable/i.test(head)) {
      text = text.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
    return { file: join(dir, f), to: header('To'), subject: header('Subject'), text, kind: /-([a-z-]+)-[0-9a-f]{8}\.eml$/.exec(f)?.[1] ?? '' };
  });
}

export function linkIn(mail: OutboxMail): string {
  const url = /https?:\/\/\S+/.exec(mail.text)?.[0];
  if (!url) throw new Error(`no link in mail ${mail.file}`);
  return url;
}

/** Polls the outbox until a mail to `to` of `kind` appears (mail is sent in the background). */
export async function waitForMail(dataDir: string, to: string, kind: string, timeoutMs = 5000): Promise<OutboxMail> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = readOutbox(dataDir).filter((m) => m.to.includes(to) && m.kind === kind).at(-1);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no ${kind} mail to ${to} in the outbox`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
