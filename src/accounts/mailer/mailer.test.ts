import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailer, OutboxMailer, SmtpMailer } from './index.js';

const message = { kind: 'reset-password', to: 'alice@example.com', subject: 'Reset your password', text: 'code: SECRET-TOKEN-123' };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function capture() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  return { logger, lines };
}

describe('OutboxMailer', () => {
  it('writes an RFC 5322 message, private to the owner, and logs the file but never the body', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-mail-'));
    dirs.push(dataDir);
    const { logger, lines } = capture();
    const mailer = createMailer({ dataDir, from: 'Safegate <no-reply@example.com>', logger });
    expect(mailer).toBeInstanceOf(OutboxMailer);
    await mailer.send(message);
    const dir = join(dataDir, 'outbox');
    const [file] = readdirSync(dir);
    expect(file).toMatch(/-reset-password-[0-9a-f]{8}\.eml$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600);
    const raw = readFileSync(join(dir, file!), 'utf8');
    expect(raw).toMatch(/^From: Safegate <no-reply@example.com>$/m);
    expect(raw).toMatch(/^To: alice@example.com$/m);
    expect(raw).toMatch(/^Subject: Reset your password$/m);
    expect(raw).toContain('SECRET-TOKEN-123');
    expect(lines.join('')).toContain(file);
    expect(lines.join('')).not.toContain('SECRET-TOKEN-123');
    await mailer.close();
  });
});

/** Just enough of an SMTP server to accept one message. */
function fakeSmtp(): Promise<{ server: Server; port: number; received: string[] }> {
  const received: string[] = [];
  const server = createServer((socket) => {
    let data = false;
    let body = '';
    socket.write('220 fake ESMTP\r\n');
    socket.on('data', (chunk) => {
      for (const line of chunk.toString('utf8').split('\r\n')) {
        if (data) {
          if (line === '.') {
            data = false;
            received.push(body);
            socket.write('250 queued\r\n');
          } else body += line + '\n';
          continue;
        }
        if (!line) continue;
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-fake\r\n250 OK\r\n');
        else if (verb === 'DATA') {
          data = true;
          socket.write('354 go\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 OK\r\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, received })));
}

describe('SmtpMailer', () => {
  it('hands the message to the SMTP server named by the URL', async () => {
    const smtp = await fakeSmtp();
    const { logger, lines } = capture();
    const mailer = createMailer({ dataDir: '/nonexistent', from: 'gate@example.com', smtpUrl: `smtp://127.0.0.1:${smtp.port}?ignoreTLS=true`, logger });
    expect(mailer).toBeInstanceOf(SmtpMailer);
    await mailer.send(message);
    await mailer.close();
    smtp.server.close();
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]).toContain('SECRET-TOKEN-123');
    expect(smtp.received[0]).toMatch(/^To: alice@example.com$/m);
    expect(lines.join('')).toContain('mail handed to the SMTP server');
    expect(lines.join('')).not.toContain('SECRET-TOKEN-123');
  });
});
