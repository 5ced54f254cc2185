// Usable by everyone: no axe-core violations at WCAG 2.1 AA in the widget (closed,
// open, an invitation, the offline form) and the console (login, a conversation,
// the visitor list), in the light and the dark theme; everything done with the
// keyboard alone, with focus visible and moved where it makes sense; phones and
// tablets.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import {
  conversationId,
  consoleWindow,
  ensureWindowOpen,
  expect,
  loginAgent,
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

/** The violations axe-core finds on the page (its frames included), as readable lines. */
async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary?.split('\n').join(' ')}`),
  );
}

for (const scheme of ['light', 'dark'] as const) {
  test.describe(`accessibility, ${scheme} theme`, () => {
    const server = useServer([ALICE, BOB]);
    test.use({ colorScheme: scheme });

    test(`the widget closed, open, with an invitation and with the offline form (${scheme})`, async ({ actors }) => {
      const srv = server();
      const agent = await actors.newPage('agent');
      await agent.emulateMedia({ colorScheme: scheme });
      await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
      await setStatus(agent, 'online');
      const visitor = await actors.newPage('visitor');
      await visitor.emulateMedia({ colorScheme: scheme });
      const frame = await openDemo(visitor, srv.url);
      await expect(frame.locator('.widget-root')).toHaveAttribute('data-ready', 'true');
      expect(await violations(visitor), 'widget closed').toEqual([]);

      const win = await ensureWindowOpen(frame);
      await sendMessage(win, 'Is there an accessible checkout?');
      await sendMessage(win, 'Second question: do you ship abroad?');
      expect(await violations(visitor), 'widget open, waiting').toEqual([]);

      // An invitation pops up on the page of a visitor who is not chatting.
      const other = await actors.newPage('other visitor');
      await other.emulateMedia({ colorScheme: scheme });
      const otherFrame = await openDemo(other, srv.url, '/demo/contact');
      await agent.getByTestId('visitor-row').filter({ hasText: '/demo/contact' }).getByTestId('select-checkbox').check();
      await agent.getByTestId('invite-button').click();
      await expect(otherFrame.getByTestId('invitation')).toBeVisible();
      expect(await violations(other), 'invitation').toEqual([]);

      // Nobody online: the offline form.
      await setStatus(agent, 'offline');
      await expect(otherFrame.getByTestId('offline-form').or(otherFrame.getByTestId('invitation'))).toBeVisible();
      await otherFrame.getByTestId('invitation-decline').click();
      await expect(otherFrame.getByTestId('offline-form')).toBeVisible();
      expect(await violations(other), 'offline form').toEqual([]);
      await setStatus(agent, 'online');
    });

    test(`the console: login, a conversation, the visitor list (${scheme})`, async ({ actors }) => {
      const srv = server();
      const agent = await actors.newPage('agent');
      await agent.emulateMedia({ colorScheme: scheme });
      await agent.goto(`${srv.url}${withLang('/console')}`);
      await expect(agent.getByTestId('login-submit')).toBeEnabled();
      expect(await violations(agent), 'login').toEqual([]);
      await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
      await setStatus(agent, 'online');

      const visitor = await actors.newPage('visitor');
      const frame = await openDemo(visitor, srv.url, '/demo/pricing');
      const win = await ensureWindowOpen(frame);
      await sendMessage(win, 'Hello, a question about invoices');
      const id = await conversationId(win);
      await agent.locator(`[data-testid="queue-item"][data-conversation-id="${id}"]`).getByTestId('accept-button').click();
      const aWin = consoleWindow(agent, id);
      await sendMessage(aWin, 'Hello! Happy to help with invoices.');
      await expect(agent.getByTestId('visitor-row').first()).toBeVisible();
      expect(await violations(agent), 'a conversation and the visitor list').toEqual([]);
      await agent.getByTestId('view-offline').click();
      expect(await violations(agent), 'offline messages').toEqual([]);
    });
  });
}

test.describe('the keyboard alone', () => {
  const server = useServer([ALICE]);

  test('a visitor opens the chat, writes, and closes it with the keyboard; focus goes where it should', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    await setStatus(agent, 'online');
    const visitor = await actors.newPage('visitor');
    const frame = await openDemo(visitor, srv.url);
    await expect(frame.locator('.widget-root')).toHaveAttribute('data-ready', 'true');
    // Tab from the page's own links into the widget's launcher.
    const launcher = frame.getByTestId('chat-launcher');
    for (let i = 0; i < 10 && !(await launcher.evaluate((el) => el === document.activeElement)); i++) {
      await visitor.keyboard.press('Tab');
    }
    await expect(launcher).toBeFocused();
    await expect.poll(() => launcher.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe('none');
    await visitor.keyboard.press('Enter');
    const input = frame.getByTestId('message-input');
    await expect(input).toBeFocused();
    await visitor.keyboard.type('Typed without a mouse');
    await visitor.keyboard.press('Enter');
    await expect(frame.getByTestId('message').filter({ hasText: 'Typed without a mouse' })).toBeVisible();
    await visitor.keyboard.press('Escape');
    await expect(frame.getByTestId('chat-window')).toBeHidden();
    await expect(launcher).toBeFocused();
  });

  test('an agent logs in, takes a chat and answers with the keyboard', async ({ actors }) => {
    const srv = server();
    const visitor = await actors.newPage('visitor');
    const frame = await openDemo(visitor, srv.url);
    const agent = await actors.newPage('agent');
    await agent.goto(`${srv.url}${withLang('/console')}`);
    await expect(agent.getByTestId('login-submit')).toBeEnabled();
    await agent.getByTestId('login-username').focus();
    await agent.keyboard.type(ALICE.username);
    await agent.keyboard.press('Tab');
    await agent.keyboard.type(ALICE.password);
    await agent.keyboard.press('Enter');
    await expect(agent.getByTestId('status-select')).toBeVisible();
    await setStatus(agent, 'online');

    const win = await ensureWindowOpen(frame);
    await sendMessage(win, 'Anyone there?');
    const id = await conversationId(win);
    const accept = agent.locator(`[data-testid="queue-item"][data-conversation-id="${id}"]`).getByTestId('accept-button');
    await accept.focus();
    await expect(accept).toBeFocused();
    await agent.keyboard.press('Enter');
    // Taking the chat opens it, ready to answer.
    const input = consoleWindow(agent, id).getByTestId('message-input');
    await expect(input).toBeFocused();
    await agent.keyboard.type('Yes, here I am.');
    await agent.keyboard.press('Enter');
    await expect(frame.getByTestId('message').filter({ hasText: 'Yes, here I am.' })).toBeVisible();
  });
});

test.describe('phones and tablets', () => {
  const server = useServer([ALICE]);

  test('on a 375 × 667 phone the open widget fills the screen and closes from its header', async ({ browser }) => {
    const srv = server();
    const context = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, locale: 'en-US' });
    try {
      const phone = await context.newPage();
      await phone.goto(`${srv.url}${withLang('/demo')}`);
      const frame = widgetFrame(phone);
      await frame.getByTestId('chat-launcher').tap();
      await expect(frame.locator('.widget-panel')).toBeVisible();
      const box = await phone.locator('iframe[data-testid="chat-frame"]').boundingBox();
      expect(box).toEqual({ x: 0, y: 0, width: 375, height: 667 });
      const panel = await frame.locator('.widget-panel').boundingBox();
      expect(panel?.width).toBe(375);
      expect(panel?.height).toBe(667);
      await frame.getByTestId('widget-close').tap();
      await expect(frame.locator('.widget-panel')).toBeHidden();
      const closed = await phone.locator('iframe[data-testid="chat-frame"]').boundingBox();
      expect(closed?.width).toBeLessThan(120);
    } finally {
      await context.close();
    }
  });

  test('on a 768 × 1024 tablet the console takes a chat, answers and picks people', async ({ browser }) => {
    const srv = server();
    const context = await browser.newContext({ viewport: { width: 768, height: 1024 }, hasTouch: true, locale: 'en-US' });
    try {
      const agent = await context.newPage();
      await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
      await setStatus(agent, 'online');
      const visitorContext = await browser.newContext({ locale: 'en-US' });
      const visitor = await visitorContext.newPage();
      const frame = await openDemo(visitor, srv.url, '/demo/pricing');
      const win = await ensureWindowOpen(frame);
      await sendMessage(win, 'Hello from a tablet test');
      await agent.getByTestId('accept-button').tap();
      const aWin = agent.getByTestId('chat-window');
      await sendMessage(aWin, 'Answered on a tablet');
      await expect(frame.getByTestId('message').filter({ hasText: 'Answered on a tablet' })).toBeVisible();
      // Nothing wider than the screen; the people to pick are reachable.
      expect(await agent.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
      // (Checking scrolls the row into view; it may be redrawn meanwhile.)
      await expect(async () => {
        await agent.getByTestId('visitor-row').first().getByTestId('select-checkbox').check({ timeout: 2_000 });
      }).toPass();
      await expect(agent.getByTestId('invite-button')).toBeVisible();
      await visitorContext.close();
    } finally {
      await context.close();
    }
  });
});
