// A real SMTP server on loopback for the browser tests of what the chat server
// mails: Python's aiosmtpd (Debian's python3-aiosmtpd, which ./setup.sh test
// installs), keeping each mail in a Maildir that the test reads back.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { freePort } from './server';

export interface Mail {
  rcptTo: string[];
  to: string;
  replyTo: string;
  subject: string;
  body: string;
}

export interface SmtpServer {
  url: string;
  mails(): Mail[];
  stop(): Promise<void>;
}

function python(): string {
  const candidates = [process.env.AIOSMTPD_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[];
  for (const candidate of candidates) {
    if (spawnSync(candidate, ['-c', 'import aiosmtpd']).status === 0) return candidate;
  }
  throw new Error('the mail tests need aiosmtpd: apt-get install python3-aiosmtpd (./setup.sh test does)');
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** RFC 2047 encoded words (`=?utf-8?b?...?=`), as mail headers carry non-ASCII text. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_m, _charset, kind: string, text: string) =>
      kind.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

function parse(raw: string): Mail {
  const split = raw.indexOf('\n\n') >= 0 ? raw.indexOf('\n\n') : raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ');
  let body = raw.slice(split).replace(/^\s+/, '');
  const headers = new Map<string, string>();
  for (const line of head.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  if (encoding === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  else if (encoding === 'quoted-printable')
    body = Buffer.from(
      body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  return {
    rcptTo: (headers.get('x-rcptto') ?? '').split(',').map((r) => r.trim()).filter(Boolean),
    to: decodeWords(headers.get('to') ?? ''),
    replyTo: decodeWords(headers.get('reply-to') ?? ''),
    subject: decodeWords(headers.get('subject') ?? ''),
    body: body.replace(/\r\n/g, '\n'),
  };
}

export async function startSmtp(): Promise<SmtpServer> {
  const port = await freePort();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-smtp-'));
  const maildir = path.join(tmp, 'mail');
  const child: ChildProcess = spawn(
    python(),
    ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 15_000;
  while (!(await listening(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('aiosmtpd did not start listening');
    await new Promise((r) => setTimeout(r, 50));
  }
  const inbox = path.join(maildir, 'new');
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails: () =>
      fs.existsSync(inbox)
        ? fs
            .readdirSync(inbox)
            .map((name) => path.join(inbox, name))
            .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs)
            .map((file) => parse(fs.readFileSync(file, 'utf8')))
        : [],
    stop: async () => {
      child.kill('SIGKILL');
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
