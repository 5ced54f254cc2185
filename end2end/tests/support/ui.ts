// Helpers for driving the visitor widget and the agent console through the hooks
// listed in shared/E2E-HOOKS.md (data-testid attributes).
import {
  expect,
  test as base,
  type Browser,
  type BrowserContext,
  type FrameLocator,
  type Locator,
  type Page,
} from '@playwright/test';
import { startServer, type AgentRole, type ChatServer, type StartOptions } from './server';

/** Adds `?lang=en` (or `&lang=en`) to a path. */
export function withLang(path: string, lang = 'en'): string {
  return `${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;
}

/** The widget iframe that `/widget.js` puts on a host page. */
export function widgetFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe[data-testid="chat-frame"]');
}

/**
 * Opens a page of the demo website (the host page). The widget's language follows
 * the host page's `?lang=` (the loader passes it on), so English is asked for here.
 * Waits for the launcher inside the widget frame and returns that frame.
 */
export async function openDemo(page: Page, baseUrl: string, path = '/demo', lang = 'en'): Promise<FrameLocator> {
  await page.goto(`${baseUrl}${withLang(path, lang)}`);
  const frame = widgetFrame(page);
  await expect(frame.getByTestId('chat-launcher')).toBeVisible();
  return frame;
}

/** Logs an agent into the console (in `lang`) and waits until the console shows the status select. */
export async function loginAgent(page: Page, baseUrl: string, username: string, password: string, lang = 'en'): Promise<void> {
  await page.goto(`${baseUrl}${withLang('/console', lang)}`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('status-select')).toBeVisible();
}

/** The visitor's 1:1 window inside the widget frame. */
export function directWindow(frame: FrameLocator): Locator {
  return frame.locator('[data-testid="chat-window"][data-kind="direct"]');
}

/**
 * Clicks the widget's launcher until `shows` is visible (the chat window, or the
 * offline form when no agent is online). Retries, because right after a page load
 * the widget may still be hydrating (a click is lost) or may be reopening its
 * window by itself; clicks only while `shows` is not visible.
 */
export async function openWidget(frame: FrameLocator, shows: Locator): Promise<Locator> {
  const launcher = frame.getByTestId('chat-launcher');
  await expect(async () => {
    if (!(await shows.isVisible())) await launcher.click({ timeout: 2_000 });
    await expect(shows).toBeVisible({ timeout: 2_000 });
  }).toPass({ intervals: [250, 500, 1_000] });
  return shows;
}

/** Makes sure the visitor's 1:1 window is open and returns it. */
export async function ensureWindowOpen(frame: FrameLocator): Promise<Locator> {
  return openWidget(frame, directWindow(frame));
}

/** Closes the visitor's window (the launcher toggles it). */
export async function ensureWindowClosed(frame: FrameLocator): Promise<void> {
  const win = directWindow(frame);
  const launcher = frame.getByTestId('chat-launcher');
  await expect(async () => {
    if (await win.isVisible()) await launcher.click({ timeout: 2_000 });
    await expect(win).toBeHidden({ timeout: 2_000 });
  }).toPass({ intervals: [250, 500, 1_000] });
}

/** Types a message into a chat window's input and sends it. */
export async function sendMessage(win: Locator, text: string): Promise<void> {
  const input = win.getByTestId('message-input');
  await input.fill(text);
  await win.getByTestId('send-button').click();
  await expect(win.getByTestId('message').filter({ hasText: text }).last()).toBeVisible();
}

/** The `message` elements of a chat window. */
export function messages(win: Locator): Locator {
  return win.getByTestId('message');
}

/** Checks that message sequence numbers are integers, strictly increasing in display order. */
export function expectIncreasing(seqs: number[]): void {
  for (const s of seqs) expect(Number.isInteger(s), `data-seq ${s} is an integer`).toBe(true);
  for (let i = 1; i < seqs.length; i++) {
    expect(seqs[i], `data-seq increases: ${seqs.join(', ')}`).toBeGreaterThan(seqs[i - 1]);
  }
}

/** The `data-seq` of every message in a window, in display order. */
export async function messageSeqs(win: Locator): Promise<number[]> {
  return messages(win).evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))));
}

/** Waits until a window has a conversation id and returns it. */
export async function conversationId(win: Locator): Promise<string> {
  await expect(win).toHaveAttribute('data-conversation-id', /\S/);
  const id = await win.getAttribute('data-conversation-id');
  if (!id) throw new Error('chat-window has no data-conversation-id');
  return id;
}

/** Selects a status in the console's status select (online / away / offline). */
export async function setStatus(page: Page, status: 'online' | 'away' | 'offline'): Promise<void> {
  await page.getByTestId('status-select').selectOption(status);
  await expect(page.getByTestId('status-select')).toHaveValue(status);
}

/**
 * The status another agent has in this console: the `data-status` of the
 * `agent-row` that shows `who` (display name or username), or 'offline' when the
 * console lists no such row.
 */
export async function agentStatusIn(page: Page, who: string | RegExp): Promise<string | null> {
  const row = page.getByTestId('agent-row').filter({ hasText: who });
  if ((await row.count()) === 0) return 'offline';
  return row.first().getAttribute('data-status', { timeout: 1_000 }).catch(() => 'offline');
}

/** A console's window for one conversation. */
export function consoleWindow(page: Page, conversationId: string): Locator {
  return page.locator(`[data-testid="chat-window"][data-conversation-id="${conversationId}"]`);
}

/** The agent takes the visitor's waiting chat from the queue; returns its console window. */
export async function acceptFromQueue(agent: Page, conversationId: string): Promise<Locator> {
  await agent.locator(`[data-testid="queue-item"][data-conversation-id="${conversationId}"]`).getByTestId('accept-button').click();
  const win = consoleWindow(agent, conversationId);
  await expect(win).toBeVisible();
  return win;
}

/**
 * A visitor on the demo site (in `lang`) starts a chat with `first`, which `agent`
 * accepts; returns the widget frame, both windows and the conversation id.
 */
export async function chatAccepted(agent: Page, visitor: Page, url: string, first: string, lang = 'en') {
  const frame = await openDemo(visitor, url, '/demo', lang);
  const vWin = await ensureWindowOpen(frame);
  await sendMessage(vWin, first);
  const id = await conversationId(vWin);
  const aWin = await acceptFromQueue(agent, id);
  return { frame, vWin, aWin, id };
}

/** A console's tab for one conversation. */
export function conversationTab(page: Page, conversationId: string): Locator {
  return page.locator(`[data-testid="conversation-tab"][data-conversation-id="${conversationId}"]`);
}

/**
 * Clicks several elements (in different pages) at the same wall-clock moment, so
 * that none of the clicks can be pre-empted by the server's reaction to another.
 * A plain `Promise.all([a.click(), b.click()])` lets one page's update (e.g. the
 * queue item vanishing) race ahead of the other page's click.
 */
export async function clickTogether(...targets: Locator[]): Promise<void> {
  for (const t of targets) await expect(t).toBeVisible();
  const at = Date.now() + 500;
  await Promise.all(
    targets.map((t) =>
      t.evaluate(
        (el, when) =>
          new Promise<void>((resolve) => {
            setTimeout(
              () => {
                (el as HTMLElement).click();
                resolve();
              },
              Math.max(0, when - Date.now()),
            );
          }),
        at,
      ),
    ),
  );
}

/**
 * Opens browser contexts (one per visitor or agent: separate cookies and storage)
 * and records page errors, Rust panics and CSP violations in them; closes them all
 * at the end.
 */
export class Actors {
  private readonly contexts: BrowserContext[] = [];
  readonly errors: string[] = [];

  constructor(private readonly browser: Browser) {}

  async newPage(label: string): Promise<Page> {
    const context = await this.browser.newContext({ locale: 'en-US' });
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => this.errors.push(`[${label}] page error: ${err.message}`));
    page.on('console', (msg) => {
      // Rust panics, and anything the Content-Security-Policy had to block.
      if (msg.type() === 'error' && /panicked|RuntimeError|unreachable executed|Content Security Policy/i.test(msg.text())) {
        this.errors.push(`[${label}] console: ${msg.text()}`);
      }
    });
    return page;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.contexts.splice(0).map((c) => c.close().catch(() => undefined)));
  }
}

/** `test` with an `actors` fixture: contexts closed and no page errors allowed at the end. */
export const test = base.extend<{ actors: Actors }>({
  actors: async ({ browser }, use) => {
    const actors = new Actors(browser);
    await use(actors);
    await actors.closeAll();
    expect(actors.errors, 'errors in the browser (page errors, Rust panics)').toEqual([]);
  },
});

export { expect };

/** An agent account that a test server starts with. */
export interface AgentSpec {
  username: string;
  name: string;
  password: string;
  role?: AgentRole;
}

/**
 * Starts a server with the given agents for the enclosing describe block (its tests
 * share it) and stops it afterwards; when a test fails, the server's output is
 * attached to the report and its last lines printed.
 */
export function useServer(agents: AgentSpec[], opts: StartOptions = {}): () => ChatServer {
  let server: ChatServer | undefined;
  test.beforeAll(async () => {
    server = await startServer(opts);
    for (const a of agents) await server.addAgent(a.username, a.name, a.password, a.role);
  });
  test.afterEach(async ({}, testInfo) => {
    if (server && testInfo.status !== testInfo.expectedStatus) {
      const out = server.output();
      await testInfo.attach('server-output.txt', { body: out, contentType: 'text/plain' });
      console.log(`--- server output, last 80 lines (${testInfo.title}) ---\n${out.split('\n').slice(-80).join('\n')}`);
    }
  });
  test.afterAll(async () => {
    await server?.stop();
    server = undefined;
  });
  return () => {
    if (!server) throw new Error('server not started');
    return server;
  };
}
