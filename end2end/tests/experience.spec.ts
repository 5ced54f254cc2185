// What a visitor and an agent see every minute: the window follows the newest
// message (and says when new ones arrived below), the widget stays open across
// pages and reloads at the same place, a waiting visitor sees the place in the
// queue and gets the leave-a-message form when no agent is left, times and staff
// marks on messages, tabs that keep their names, the ended state after leaving,
// invitations that name the participants and keep the 1:1 history, the console's
// panels and views, desktop notifications asked at a click, translated errors,
// nothing on a site that may not embed the widget, and the console in Chinese.
import type { FrameLocator, Locator } from '@playwright/test';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  chatAccepted,
  conversationId,
  conversationTab,
  consoleWindow,
  directWindow,
  ensureWindowOpen,
  expect,
  loginAgent,
  messages,
  openDemo,
  sendMessage,
  setStatus,
  test,
  useServer,
  widgetFrame,
  withLang,
  type AgentSpec,
} from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
const BOB: AgentSpec = { username: 'bob', name: 'Bob Baker', password: 'bob-pass-5678' };

/** Whether the last message of a window is scrolled into its view. */
async function lastMessageInView(win: Locator): Promise<boolean> {
  return win.getByTestId('message').last().evaluate((el) => {
    const list = el.closest('.messages') as HTMLElement;
    const a = el.getBoundingClientRect();
    const b = list.getBoundingClientRect();
    return a.bottom <= b.bottom + 2 && a.top >= b.top - 2;
  });
}

/** Scrolls a window's message list to its top. */
async function scrollToTop(win: Locator): Promise<void> {
  await win.locator('.messages').evaluate((el) => {
    el.scrollTop = 0;
    el.dispatchEvent(new Event('scroll'));
  });
}

test.describe('a long conversation across pages', () => {
  const server = useServer([ALICE]);

  test('both windows follow the newest message, a marker takes a reader who scrolled up back down', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    const { vWin, aWin } = await chatAccepted(agent, visitor, srv.url, 'first of many');

    for (let i = 1; i <= 12; i++) {
      await sendMessage(aWin, `agent line ${i}`);
      await sendMessage(vWin, `visitor line ${i}`);
    }
    await expect(messages(vWin).last()).toHaveText('visitor line 12');
    await expect.poll(() => lastMessageInView(vWin)).toBe(true);
    await expect.poll(() => lastMessageInView(aWin)).toBe(true);
    await expect(vWin.getByTestId('new-messages')).toBeHidden();

    // The visitor reads back; what the agent sends now waits below a marker.
    await scrollToTop(vWin);
    await sendMessage(aWin, 'a reply while the visitor reads back');
    await expect(messages(vWin).last()).toHaveText('a reply while the visitor reads back');
    const marker = vWin.getByTestId('new-messages');
    await expect(marker).toBeVisible();
    await expect(marker).toContainText('1');
    expect(await lastMessageInView(vWin)).toBe(false);
    await marker.click();
    await expect.poll(() => lastMessageInView(vWin)).toBe(true);
    await expect(marker).toBeHidden();

    // The same in the console.
    await scrollToTop(aWin);
    await sendMessage(vWin, 'a question while the agent reads back');
    await expect(aWin.getByTestId('new-messages')).toBeVisible();
    await aWin.getByTestId('new-messages').click();
    await expect.poll(() => lastMessageInView(aWin)).toBe(true);
  });

  test('the widget reopens on the next page and after a reload, where the visitor left it', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    const { aWin } = await chatAccepted(agent, visitor, srv.url, 'hello from the home page');
    for (let i = 1; i <= 15; i++) await sendMessage(aWin, `long answer part ${i}`);

    // Another page of the site: open again by itself, at the newest message.
    await visitor.goto(`${srv.url}${withLang('/demo/pricing')}`);
    let frame = widgetFrame(visitor);
    let win = directWindow(frame);
    await expect(win).toBeVisible();
    await expect(messages(win).last()).toHaveText('long answer part 15');
    await expect.poll(() => lastMessageInView(win)).toBe(true);

    // Scrolled up to the start, then reloaded: back at the start.
    await scrollToTop(win);
    await visitor.reload();
    frame = widgetFrame(visitor);
    win = directWindow(frame);
    await expect(win).toBeVisible();
    await expect(messages(win).last()).toHaveText('long answer part 15');
    await expect
      .poll(() => win.locator('.messages').evaluate((el) => el.scrollTop))
      .toBeLessThan(20);
    expect(await lastMessageInView(win)).toBe(false);

    // Closed stays closed on the next page.
    await frame.getByTestId('widget-close').click();
    await expect(win).toBeHidden();
    await visitor.goto(`${srv.url}${withLang('/demo/contact')}`);
    frame = widgetFrame(visitor);
    await expect(frame.getByTestId('chat-launcher')).toBeVisible();
    await visitor.waitForTimeout(1_000);
    await expect(directWindow(frame)).toBeHidden();
  });
});

test.describe('waiting for an agent', () => {
  const server = useServer([ALICE]);

  test('a waiting visitor sees the place in the queue, live, and the form when the last agent goes', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);

    const first = await actors.newPage('first visitor');
    const f1 = await openDemo(first, srv.url);
    const w1 = await ensureWindowOpen(f1);
    await sendMessage(w1, 'I was here first');
    await expect(f1.getByTestId('queue-status')).toContainText('1');

    const second = await actors.newPage('second visitor');
    const f2 = await openDemo(second, srv.url, '/demo/pricing');
    const w2 = await ensureWindowOpen(f2);
    await sendMessage(w2, 'Do you ship to Norway?');
    await sendMessage(w2, 'And what does it cost?');
    await expect(f2.getByTestId('queue-status')).toContainText('2');

    // The first is taken: the second moves up; the first no longer waits.
    const id1 = await conversationId(w1);
    await agent.locator(`[data-testid="queue-item"][data-conversation-id="${id1}"]`).getByTestId('accept-button').click();
    await expect(f2.getByTestId('queue-status')).toContainText('1');
    await expect(f1.getByTestId('queue-status')).toHaveCount(0);
    await expect(f1.locator('[data-testid="widget-title"]')).toHaveText(ALICE.name);

    // The last agent goes: the waiting visitor gets the form, with what they wrote.
    await setStatus(agent, 'offline');
    const form = f2.getByTestId('offline-form');
    await expect(form).toBeVisible();
    await expect(f2.getByTestId('offline-message')).toHaveValue('Do you ship to Norway?\n\nAnd what does it cost?');
    await f2.getByTestId('offline-name').fill('Nora');
    await f2.getByTestId('offline-email').fill('nora@example.com');
    await f2.getByTestId('offline-submit').click();
    await expect(f2.getByTestId('offline-sent')).toBeVisible();

    // The agent finds it among the offline messages, and no longer in the queue.
    await setStatus(agent, 'online');
    await expect(agent.getByTestId('queue-item')).toHaveCount(0);
    await agent.getByTestId('view-offline').click();
    const left = agent.getByTestId('offline-message').filter({ hasText: 'Nora' });
    await expect(left).toContainText('Do you ship to Norway?');
    await expect(left.getByTestId('offline-email-link')).toHaveAttribute('href', 'mailto:nora@example.com');
    await expect(left.getByTestId('message-time')).toHaveAttribute('datetime', /^\d{4}-\d\d-\d\dT/);
  });
});

test.describe('messages, staff and tabs', () => {
  const server = useServer([ALICE, BOB]);

  test('messages carry their time and author role; staff are marked; tabs keep names after the chat ends', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    const { frame, vWin, aWin, id } = await chatAccepted(agent, visitor, srv.url, 'what time is it?');
    await sendMessage(aWin, 'time to answer');

    const fromAgent = messages(vWin).filter({ hasText: 'time to answer' });
    await expect(fromAgent).toHaveAttribute('data-author-role', 'agent');
    await expect(messages(vWin).filter({ hasText: 'what time is it?' })).toHaveAttribute('data-author-role', 'visitor');
    const time = fromAgent.getByTestId('message-time');
    const iso = await time.getAttribute('datetime');
    expect(Math.abs(Date.parse(iso ?? '') - Date.now())).toBeLessThan(60_000);
    await expect(time).toHaveAttribute('data-label', 'just now');
    // The time is not part of the message's text.
    await expect(fromAgent).toHaveText('time to answer');
    await expect(vWin.getByTestId('staff-badge').first()).toBeVisible();
    await expect(frame.getByTestId('widget-title')).toHaveText(ALICE.name);
    // The visitor's name shows once: under the header, not again in a roster.
    await expect(frame.getByTestId('participants')).toHaveCount(0);

    // A new name reaches the agent's tab.
    await frame.getByTestId('my-name').click();
    await frame.getByTestId('name-input').fill('Grace');
    await frame.getByTestId('name-save').click();
    const tab = conversationTab(agent, id);
    await expect(tab.getByTestId('tab-label')).toHaveText('Grace');

    // After a reload the conversation is selected again.
    await agent.reload();
    await expect(consoleWindow(agent, id)).toBeVisible();

    // The visitor leaves: the tab keeps the name, is marked ended and can be closed.
    await vWin.getByTestId('leave-button').click();
    await expect(frame.getByTestId('conversation-ended')).toBeVisible();
    await expect(vWin.getByTestId('message-input')).toBeHidden();
    await expect(tab).toHaveAttribute('data-ended', 'true');
    await expect(tab.getByTestId('tab-label')).toHaveText('Grace');
    await agent.getByTestId('close-tab').click();
    await expect(tab).toHaveCount(0);

    // A new chat starts from a fresh window, never from the old one's input.
    await frame.getByTestId('start-new-chat').click();
    const fresh = directWindow(frame);
    await expect(fresh).toHaveAttribute('data-ended', 'false');
    await expect(messages(fresh)).toHaveCount(0);
  });
});

test.describe('invitations', () => {
  const server = useServer([ALICE, BOB]);

  test('an invitation names who is in it; agreeing keeps the 1:1 history; the 1:1 agent hears of the move', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password);
    const bob = await actors.newPage('bob');
    await loginAgent(bob, srv.url, BOB.username, BOB.password);
    const visitor = await actors.newPage('visitor');
    const { frame, aWin: bobless, id: direct } = await chatAccepted(alice, visitor, srv.url, 'my order is late');
    await sendMessage(bobless, 'let me check that');

    // Bob starts a group with Alice, then invites the visitor into it.
    await bob.getByTestId('agent-row').filter({ hasText: ALICE.name }).getByTestId('select-checkbox').check();
    await expect(bob.getByTestId('invite-button')).toBeVisible();
    await bob.getByTestId('invite-button').click();
    await alice.locator('[data-testid="invitation"]').getByTestId('invitation-agree').click();
    const group = bob.locator('[data-testid="chat-window"][data-kind="group"]');
    await expect(group).toBeVisible();
    await expect(bob.getByTestId('invite-button')).toBeHidden();
    await bob.getByTestId('visitor-row').getByTestId('select-checkbox').check();
    await bob.getByTestId('invite-to-conversation-button').click();

    const card = frame.getByTestId('invitation');
    await expect(card).toContainText(BOB.name);
    await expect(card).toContainText(ALICE.name);
    await card.getByTestId('invitation-agree').click();
    const gWin = frame.locator('[data-testid="chat-window"][data-kind="group"]');
    await expect(gWin).toBeVisible();
    const earlier = gWin.getByTestId('earlier-conversation');
    await expect(earlier).toContainText('my order is late');
    await expect(earlier.getByTestId('earlier-message')).toHaveCount(2);
    // The earlier chat's entries are not this window's messages.
    await expect(messages(gWin).filter({ hasText: 'my order is late' })).toHaveCount(0);

    // Alice's 1:1 tab says where the visitor went.
    await alice.getByTestId('conversation-tab').and(alice.locator(`[data-conversation-id="${direct}"]`)).click();
    await expect(
      consoleWindow(alice, direct).getByTestId('system-notice').filter({ hasText: 'accepted an invitation to a group conversation' }),
    ).toHaveCount(1);

    // The earlier history stays after a reload of the page.
    await visitor.reload();
    const again = widgetFrame(visitor).locator('[data-testid="chat-window"][data-kind="group"]');
    await expect(again).toBeVisible();
    await expect(again.getByTestId('earlier-conversation')).toContainText('my order is late');
  });

  test('a refused invitation shows a translated sentence that names who, never an id', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('alice');
    // The console is not told that the visitor left, as when the visitor leaves
    // just before the agent clicks.
    await alice.routeWebSocket(/\/ws\/agent$/, (ws) => {
      const upstream = ws.connectToServer();
      upstream.onMessage((m) => {
        if (!String(m).includes('"type":"visitor_left"')) ws.send(m);
      });
      ws.onMessage((m) => upstream.send(m));
    });
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    await openDemo(visitor, srv.url, '/demo/contact');
    const row = alice.getByTestId('visitor-row').filter({ hasText: '/demo/contact' });
    await expect(row).toHaveCount(1);
    const name = (await row.locator('.name').textContent()) ?? '';
    expect(name).toMatch(/^Visitor \d{4}$/);
    await row.getByTestId('select-checkbox').check();
    await visitor.close();
    // Past the presence grace period (2 s): the server knows the visitor is gone.
    await alice.waitForTimeout(3_500);

    const answer = alice.waitForResponse((r) => r.url().endsWith('/api/request_conversation'));
    await alice.getByTestId('invite-button').click();
    expect((await answer).status()).toBe(409);
    const toast = alice.getByTestId('error-toast');
    await expect(toast).toHaveAttribute('data-code', 'invitee_unavailable');
    await expect(toast).toContainText(`No longer on the site or online: ${name}.`);
    await expect(toast).not.toContainText(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});

test.describe('the console at work', () => {
  const server = useServer([ALICE, BOB]);

  test('details of the visitor beside the conversation; offline messages in their own view, handled for everyone', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password);
    await expect(alice.getByTestId('invite-button')).toBeHidden();

    const visitor = await actors.newPage('visitor');
    await visitor.goto(`${srv.url}${withLang('/demo')}`);
    await expect(widgetFrame(visitor).getByTestId('chat-launcher')).toBeVisible();
    await visitor.getByRole('link', { name: 'Pricing' }).click();
    const frame = widgetFrame(visitor);
    const vWin = await ensureWindowOpen(frame);
    await sendMessage(vWin, 'how much is the team plan?');
    const id = await conversationId(vWin);
    await alice.locator(`[data-testid="queue-item"][data-conversation-id="${id}"]`).getByTestId('accept-button').click();
    const details = alice.getByTestId('visitor-details');
    await expect(details.getByTestId('detail-page')).toContainText('/demo/pricing');
    await expect(details.getByTestId('detail-pages-viewed')).toHaveText('2');
    await expect(details.getByTestId('detail-landing')).toContainText('/demo?lang=en');
    await expect(details.getByTestId('detail-time-on-site')).toHaveText(/\d+s|\d+m/);
    await expect(details.getByTestId('detail-participant')).toHaveCount(2);

    // A message left while nobody was online, handled by Alice, seen so by Bob.
    const other = await actors.newPage('other visitor');
    const f2 = await openDemo(other, srv.url, '/demo/contact');
    await setStatus(alice, 'offline');
    const bob = await actors.newPage('bob');
    await loginAgent(bob, srv.url, BOB.username, BOB.password);
    await setStatus(bob, 'offline');
    await f2.getByTestId('chat-launcher').click();
    await f2.getByTestId('offline-name').fill('Kim');
    await f2.getByTestId('offline-email').fill('kim@example.com');
    await f2.getByTestId('offline-message').fill('Call me tomorrow');
    await f2.getByTestId('offline-submit').click();
    await expect(f2.getByTestId('offline-sent')).toBeVisible();

    await expect(alice.getByTestId('offline-unhandled')).toHaveText('1');
    await alice.getByTestId('view-offline').click();
    const item = alice.getByTestId('offline-message').filter({ hasText: 'Kim' });
    await expect(item.getByTestId('message-time')).toHaveAttribute('data-label', 'just now');
    await item.getByTestId('offline-handled-toggle').click();
    await expect(item).toHaveAttribute('data-handled', 'true');
    await bob.getByTestId('view-offline').click();
    const seen = bob.getByTestId('offline-message').filter({ hasText: 'Kim' });
    await expect(seen).toHaveAttribute('data-handled', 'true');
    await expect(seen.getByTestId('offline-handled-by')).toContainText(ALICE.name);
    await expect(bob.getByTestId('offline-unhandled')).toBeHidden();
  });

  test('desktop notifications are asked for at a click, never on load; unread count in the title; mute', async ({ actors, browser }) => {
    const srv = server();
    const context = await browser.newContext({ locale: 'en-US' });
    await context.grantPermissions(['notifications'], { origin: srv.url });
    await context.addInitScript(() => {
      const w = window as unknown as { __asked: number; __shown: string[]; Notification: unknown };
      w.__asked = 0;
      w.__shown = [];
      let permission = 'default';
      class Spy {
        static get permission() { return permission; }
        static requestPermission() {
          w.__asked += 1;
          permission = 'granted';
          return Promise.resolve(permission);
        }
        onclick: unknown = null;
        constructor(title: string) { w.__shown.push(title); }
        close() {}
      }
      w.Notification = Spy;
      // The agent looks at another tab.
      Object.defineProperty(document, 'hidden', { get: () => (window as unknown as { __hidden?: boolean }).__hidden === true });
    });
    const alice = await context.newPage();
    try {
      await loginAgent(alice, srv.url, ALICE.username, ALICE.password);
      await setStatus(alice, 'online');
      await alice.waitForTimeout(500);
      expect(await alice.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(0);
      const bell = alice.getByTestId('notify-toggle');
      await expect(bell).toHaveAttribute('data-permission', 'default');
      await bell.click();
      await expect(bell).toHaveAttribute('data-permission', 'granted');
      await expect(bell).toHaveAttribute('aria-pressed', 'true');
      expect(await alice.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(1);

      await alice.evaluate(() => { (window as unknown as { __hidden: boolean }).__hidden = true; });
      const visitor = await actors.newPage('visitor');
      const frame = await openDemo(visitor, srv.url);
      const vWin = await ensureWindowOpen(frame);
      await sendMessage(vWin, 'anyone there?');
      await expect.poll(() => alice.evaluate(() => (window as unknown as { __shown: string[] }).__shown.join('|')))
        .toContain('New chat waiting');
      await expect(alice).toHaveTitle(/^\(1\) Agent console/);
      const id = await conversationId(vWin);
      await alice.locator(`[data-testid="queue-item"][data-conversation-id="${id}"]`).getByTestId('accept-button').click();
      await expect(alice).toHaveTitle('Agent console');
      await sendMessage(vWin, 'hello again');
      await expect.poll(() => alice.evaluate(() => (window as unknown as { __shown: string[] }).__shown.join('|')))
        .toContain('New message from');
      await expect(alice).toHaveTitle(/^\(1\) /);

      // Mute is kept across reloads.
      const mute = alice.getByTestId('mute-toggle');
      await expect(mute).toHaveAttribute('aria-pressed', 'false');
      await mute.click();
      await expect(mute).toHaveAttribute('aria-pressed', 'true');
      await alice.reload();
      await expect(alice.getByTestId('mute-toggle')).toHaveAttribute('aria-pressed', 'true');
    } finally {
      await context.close();
    }
  });
});

test.describe('where the widget may not be', () => {
  const server = useServer([ALICE]);

  test('a site that may not embed the widget shows nothing', async ({ browser }) => {
    const srv = server();
    // A shop on another origin (another port) that is not in CHAT_ALLOWED_ORIGINS.
    const shop = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>Shop</title><p>A shop</p><script src="${srv.url}/widget.js" async></script>`);
    });
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    const { port } = shop.address() as AddressInfo;
    // Not an `actors` page: the browser's report of the refused frame is the point.
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      const refused: string[] = [];
      page.on('console', (m) => {
        if (/frame-ancestors/.test(m.text())) refused.push(m.text());
      });
      await page.goto(`http://127.0.0.1:${port}/`);
      const frame = page.locator('iframe[data-testid="chat-frame"]');
      await expect(frame).toHaveCount(1);
      await expect.poll(() => refused.length).toBeGreaterThan(0);
      await page.waitForTimeout(500);
      await expect(frame).toBeHidden();
    } finally {
      await context.close();
      shop.close();
    }
  });
});

test.describe('the console in Chinese', () => {
  const server = useServer([ALICE]);

  test('zh-Hans: views, times and default visitor names in Chinese', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await agent.goto(`${srv.url}/console?lang=zh-Hans`);
    await agent.getByTestId('login-username').fill(ALICE.username);
    await agent.getByTestId('login-password').fill(ALICE.password);
    await agent.getByTestId('login-submit').click();
    await expect(agent.getByTestId('status-select')).toBeVisible();
    await expect(agent.getByTestId('view-chats')).toHaveText('聊天');
    await expect(agent.getByTestId('view-offline')).toContainText('离线留言');
    await expect(agent).toHaveTitle('客服控制台');

    const visitor = await actors.newPage('visitor');
    await visitor.goto(`${srv.url}/demo?lang=zh-Hans`);
    const frame: FrameLocator = widgetFrame(visitor);
    const win = await ensureWindowOpen(frame);
    await expect(frame.getByTestId('my-name')).toHaveText(/^访客 \d{4}$/);
    await win.getByTestId('message-input').fill('你好，我要退款');
    await win.getByTestId('send-button').click();
    await expect(frame.getByTestId('queue-status')).toContainText('第 1 位');
    const item = agent.getByTestId('queue-item');
    await expect(item).toContainText(/访客 \d{4}/);
    await item.getByTestId('accept-button').click();
    const aWin = agent.getByTestId('chat-window');
    await expect(aWin.getByTestId('message-time').first()).toHaveAttribute('data-label', '刚刚');
    await expect(aWin.getByTestId('system-notice')).toContainText('加入了会话');
  });
});
