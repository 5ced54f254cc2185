// The loader's JavaScript API as a company's own page uses it: identify the
// logged-in customer (verified with the site's secret), open and close the
// chat, hear the agent's messages, change the language; the agent sees the
// visitor as verified; the customer's phone is the same visitor with the same
// conversation; a wrong hash verifies nobody.
import * as crypto from 'node:crypto';
import type { Page } from '@playwright/test';
import {
  acceptFromQueue, conversationId, directWindow, expect, loginAgent, openDemo, sendMessage, test,
  useServer, type AgentSpec,
} from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
const SECRET = 'the demo site identity secret';

/** What the site's server computes: HMAC-SHA256 of the user id under its secret. */
function userHash(userId: string, secret = SECRET): string {
  return crypto.createHmac('sha256', secret).update(userId).digest('hex');
}

type ChatEvent = [string, { author?: string; text?: string } | undefined];

/** Starts keeping the chat's events on the host page. */
async function listen(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { events: ChatEvent[]; LiveChat: { on(n: string, f: (d: unknown) => void): void } };
    w.events = [];
    for (const name of ['open', 'close', 'message']) {
      w.LiveChat.on(name, (detail) => w.events.push([name, detail as ChatEvent[1]]));
    }
  });
}

function events(page: Page): Promise<ChatEvent[]> {
  return page.evaluate(() => (window as unknown as { events: ChatEvent[] }).events);
}

async function identify(page: Page, userId: string, hash: string) {
  await page.evaluate(({ userId, hash }) => {
    (window as unknown as { LiveChat: { identify(d: object): void } }).LiveChat.identify({
      user_id: userId, name: 'Dana Verified', email: 'dana@example.com', user_hash: hash,
    });
  }, { userId, hash });
}

for (const lang of ['en', 'zh-Hans'] as const) {
  test.describe(`the loader's JavaScript API (console in ${lang})`, () => {
    const server = useServer([ALICE], { env: { CHAT_IDENTITY_SECRET: SECRET } });

    test('the page identifies its customer, opens the chat, hears the agent and changes the language', async ({ actors }, info) => {
      const srv = server();
      const agent = await actors.newPage('agent alice');
      await agent.setViewportSize({ width: 1280, height: 800 });
      await loginAgent(agent, srv.url, ALICE.username, ALICE.password, lang);

      const visitor = await actors.newPage('customer on her laptop');
      const frame = await openDemo(visitor, srv.url, '/demo', 'en');
      await listen(visitor);
      await identify(visitor, 'customer-1001', userHash('customer-1001'));

      // The agent sees who it is, vouched for by the site.
      const row = agent.getByTestId('visitor-row').filter({ hasText: 'Dana Verified' });
      await expect(row.getByTestId('visitor-verified')).toBeVisible();
      await row.locator('.visitor-open').click();
      await expect(agent.getByTestId('detail-verified')).toBeVisible();
      await expect(agent.getByTestId('detail-email')).toHaveText('dana@example.com');

      // The page opens the chat; the customer writes; the agent answers.
      await expect(async () => {
        await visitor.evaluate(() => (window as unknown as { LiveChat: { open(): void } }).LiveChat.open());
        await expect(directWindow(frame)).toBeVisible({ timeout: 1_000 });
      }).toPass({ intervals: [250, 500, 1_000] });
      await expect.poll(async () => (await events(visitor)).map((e) => e[0])).toContain('open');
      const vWin = directWindow(frame);
      await sendMessage(vWin, 'Hello, I am logged in');
      const id = await conversationId(vWin);
      const aWin = await acceptFromQueue(agent, id);
      await sendMessage(aWin, 'Welcome back, Dana');
      await expect.poll(async () => (await events(visitor)).filter((e) => e[0] === 'message').map((e) => e[1]))
        .toContainEqual(expect.objectContaining({ author: 'Alice Archer', text: 'Welcome back, Dana' }));
      await agent.screenshot({ path: info.outputPath(`verified-visitor-${lang}.png`) });

      await visitor.evaluate(() => (window as unknown as { LiveChat: { close(): void } }).LiveChat.close());
      await expect(vWin).toBeHidden();
      await expect.poll(async () => (await events(visitor)).map((e) => e[0])).toContain('close');

      // Her phone: another browser, the same customer, the same conversation.
      const phone = await actors.newPage('customer on her phone');
      await phone.setViewportSize({ width: 390, height: 800 });
      const phoneFrame = await openDemo(phone, srv.url, '/demo', 'en');
      await identify(phone, 'customer-1001', userHash('customer-1001'));
      await expect(async () => {
        await phone.evaluate(() => (window as unknown as { LiveChat: { open(): void } }).LiveChat.open());
        await expect(directWindow(phoneFrame).getByText('Welcome back, Dana')).toBeVisible({ timeout: 1_000 });
      }).toPass({ intervals: [250, 500, 1_000] });
      await phone.screenshot({ path: info.outputPath(`verified-phone-${lang}.png`) });

      // Someone claiming to be her without the site's hash is not her.
      const impostor = await actors.newPage('impostor');
      const impostorFrame = await openDemo(impostor, srv.url, '/demo', 'en');
      await identify(impostor, 'customer-1001', userHash('customer-1001', 'a guessed secret'));
      const claimed = agent.getByTestId('visitor-row').filter({ hasText: 'Dana Verified' });
      await expect(claimed).toHaveCount(2);
      await expect(agent.getByTestId('visitor-verified')).toHaveCount(1);
      await expect(async () => {
        await impostor.evaluate(() => (window as unknown as { LiveChat: { open(): void } }).LiveChat.open());
        await expect(directWindow(impostorFrame)).toBeVisible({ timeout: 1_000 });
      }).toPass({ intervals: [250, 500, 1_000] });
      await expect(impostorFrame.getByText('Welcome back, Dana')).toHaveCount(0);

      // The page changes the chat's language; the conversation stays.
      await visitor.evaluate(() => (window as unknown as { LiveChat: { setLanguage(l: string): void } }).LiveChat.setLanguage('zh-Hant'));
      await expect(frame.locator('html')).toHaveAttribute('lang', 'zh-Hant');
      await expect(frame.getByTestId('chat-launcher')).toBeVisible();
      // Bad calls are refused with an error the page's code can catch.
      const refused = await visitor.evaluate(() => {
        const chat = (window as unknown as { LiveChat: Record<string, (a?: unknown, b?: unknown) => void> }).LiveChat;
        const errors: string[] = [];
        for (const call of [() => chat.identify({}), () => chat.setLanguage('fr'), () => chat.on('typing', () => {})]) {
          try { call(); } catch (e) { errors.push((e as Error).name); }
        }
        return errors;
      });
      expect(refused).toEqual(['TypeError', 'RangeError', 'RangeError']);
    });
  });
}
