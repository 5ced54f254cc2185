// Starts a real chat server (the release binary) on a free loopback port with its
// own temporary SQLite database, for one spec or one describe block.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** The end2end/ folder: relative defaults below resolve against it, whatever the cwd. */
const END2END_DIR = path.resolve(__dirname, '..', '..');
/** The repository root: the server runs there, as with `./setup.sh run`. */
const REPO_ROOT = path.resolve(END2END_DIR, '..');

/**
 * Path of the server binary: `CHAT_SERVER_BIN`, else the newer of the release and
 * the debug build (`cargo leptos end-to-end` builds debug unless given --release).
 */
export function serverBin(): string {
  if (process.env.CHAT_SERVER_BIN) return path.resolve(END2END_DIR, process.env.CHAT_SERVER_BIN);
  const built = ['../target/release/server', '../target/debug/server']
    .map((p) => path.resolve(END2END_DIR, p))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return built[0] ?? path.resolve(END2END_DIR, '../target/release/server');
}

/** Path of the built site (`LEPTOS_SITE_ROOT`, default ../target/site). */
export function siteRoot(): string {
  return path.resolve(END2END_DIR, process.env.LEPTOS_SITE_ROOT ?? '../target/site');
}

export type AgentRole = 'agent' | 'admin';

export interface ChatServer {
  /** e.g. http://127.0.0.1:40123 (no trailing slash) */
  readonly url: string;
  /** e.g. sqlite:///tmp/chat-e2e-abc/chat.db */
  readonly dbUrl: string;
  /** `<bin> agent add <username> --name <name> --password-stdin [--role admin]` */
  addAgent(username: string, name: string, password: string, role?: AgentRole): Promise<void>;
  /** Everything the server printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Kills the server and removes its temporary directory. */
  stop(): Promise<void>;
  /**
   * Kills the server process with SIGKILL (no graceful shutdown) and waits until it
   * has exited. The port, database and temporary directory stay for `restart()`.
   */
  crash(): Promise<void>;
  /**
   * Starts the same binary again with the same environment (same port, database and
   * temporary directory) and waits for /healthz as on the first start. The process
   * must not be running (call `crash()` first). The log buffer is kept: `output()`
   * shows the output of every run, each restart marked by a line.
   */
  restart(): Promise<void>;
}

export interface StartOptions {
  /** CHAT_PRESENCE_GRACE_SECS for this server; default 2. */
  graceSecs?: number;
  /** More environment variables for the server process (e.g. `CHAT_RATE_LIMITS`). */
  env?: Record<string, string>;
}

const STARTUP_TIMEOUT_MS = 20_000;
const MAX_LOG_CHARS = 2_000_000;

// Servers still running when the test process exits are killed.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error(`unexpected listen address: ${String(addr)}`));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startServer(opts: StartOptions = {}): Promise<ChatServer> {
  const bin = serverBin();
  if (!fs.existsSync(bin)) {
    throw new Error(`server binary not found at ${bin}: run \`cargo leptos build --release\` or set CHAT_SERVER_BIN`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-e2e-'));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const url = `http://${addr}`;
  const dbUrl = `sqlite://${tmp}/chat.db`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CHAT_ADDR: addr,
    CHAT_DATABASE_URL: dbUrl,
    CHAT_PRESENCE_GRACE_SECS: String(opts.graceSecs ?? 2),
    LEPTOS_SITE_ROOT: siteRoot(),
    LEPTOS_SITE_ADDR: addr,
    RUST_LOG: process.env.E2E_RUST_LOG ?? 'info',
    ...opts.env,
  };

  let log = '';
  const append = (chunk: Buffer) => {
    log += chunk.toString('utf8');
    if (log.length > MAX_LOG_CHARS) log = log.slice(log.length - MAX_LOG_CHARS);
  };

  // The current server process; `restart()` replaces it.
  let child!: ChildProcess;
  let spawnError: Error | undefined;
  const spawnServer = () => {
    const proc = spawn(bin, ['serve'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(proc);
    proc.stdout?.on('data', append);
    proc.stderr?.on('data', append);
    spawnError = undefined;
    proc.on('error', (err) => {
      if (proc === child) spawnError = err;
    });
    proc.on('exit', () => running.delete(proc));
    child = proc;
  };

  /** Stops the current process: SIGTERM, then SIGKILL after 5 s. */
  const kill = async () => {
    if (!exited(child)) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 5_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    }
    running.delete(child);
  };

  const cleanup = async () => {
    await kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  };

  /** Waits for GET /healthz to answer 200; on failure stops the process and throws. */
  const waitHealthy = async (onFail: () => Promise<void>) => {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let lastError = '';
    for (;;) {
      if (spawnError || exited(child)) {
        const why = spawnError ? `failed to start: ${spawnError.message}` : `exited with ${child.exitCode ?? child.signalCode}`;
        await onFail();
        throw new Error(`chat server ${why}\n--- server output ---\n${log}`);
      }
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200) return;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        lastError = String(err);
      }
      if (Date.now() > deadline) {
        await onFail();
        throw new Error(
          `chat server at ${url} not healthy after ${STARTUP_TIMEOUT_MS / 1000}s (last: ${lastError})\n--- server output ---\n${log}`,
        );
      }
      await sleep(100);
    }
  };

  spawnServer();
  await waitHealthy(cleanup);

  const crash = async () => {
    if (!exited(child)) {
      child.kill('SIGKILL');
      if (!(await waitForExit(child, 10_000))) {
        throw new Error(`chat server (pid ${child.pid}) did not exit after SIGKILL`);
      }
    }
    running.delete(child);
  };

  const restart = async () => {
    if (!exited(child)) {
      throw new Error(`chat server (pid ${child.pid}) is still running: crash() or stop() it before restart()`);
    }
    append(Buffer.from(`\n--- e2e: restarting the server on ${addr} ---\n`));
    spawnServer();
    // On failure only the new process is stopped; stop() still removes the directory.
    await waitHealthy(kill);
  };

  const addAgent = (username: string, name: string, password: string, role?: AgentRole) =>
    new Promise<void>((resolve, reject) => {
      const args = ['agent', 'add', username, '--name', name, '--password-stdin'];
      if (role === 'admin') args.push('--role', 'admin');
      const cli = spawn(bin, args, {
        cwd: REPO_ROOT,
        env: { ...process.env, CHAT_DATABASE_URL: dbUrl, RUST_LOG: 'warn' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      cli.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      cli.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      cli.on('error', reject);
      cli.on('close', (code, signal) => {
        if (code === 0) resolve();
        else
          reject(
            new Error(
              `\`server ${args.join(' ')}\` failed (${code ?? signal}): ${stderr.trim() || stdout.trim() || '(no output)'}`,
            ),
          );
      });
      // Like `echo 'password' | server agent add ...`
      cli.stdin?.end(`${password}\n`);
    });

  return {
    url,
    dbUrl,
    addAgent,
    output: () => log,
    stop: cleanup,
    crash,
    restart,
  };
}
