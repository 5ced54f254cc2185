// The pictures in docs/screenshots: the widget and the console after a long
// conversation, in English and Simplified Chinese, at desktop and phone sizes.
// Only with CHAT_SCREENSHOTS=1 (e.g. `CHAT_SCREENSHOTS=1 npx playwright test
// screenshots`); the normal run skips it.
import * as zlib from 'zlib';
import * as path from 'node:path';
import type { Browser, Page } from '@playwright/test';
import {
  conversationId,
  consoleWindow,
  ensureWindowOpen,
  expect,
  test,
  useServer,
  widgetFrame,
  type AgentSpec,
} from './support/ui';

const OUT = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234', role: 'admin' };
const BOB: AgentSpec = { username: 'bob', name: 'Bob Baker', password: 'bob-pass-5678' };


/** A `width`×`height` PNG with a soft gradient, for a picture sent in a chat. */
function picture(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      rows[row + 1 + x * 3] = 40 + Math.round((x / width) * 150);
      rows[row + 2 + x * 3] = 90 + Math.round((y / height) * 120);
      rows[row + 3 + x * 3] = 200;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const LINES: Record<string, [string, string][]> = {
  en: [
    ['visitor', 'Hi! I am moving our shop to your hosting. Which plan fits 20 servers?'],
    ['agent', 'Hello, and welcome! For 20 servers the Team plan is the usual choice.'],
    ['visitor', 'Does it include backups?'],
    ['agent', 'Yes: daily backups kept for 30 days, see https://example.com/backups'],
    ['visitor', 'And can we pay yearly?'],
    ['agent', 'Of course, yearly billing saves two months.'],
  ],
  'zh-Hans': [
    ['visitor', '您好！我们想把网店迁移到你们这里，20 台服务器适合哪个套餐？'],
    ['agent', '您好，欢迎！20 台服务器一般选择团队套餐。'],
    ['visitor', '包含备份吗？'],
    ['agent', '包含：每日备份，保留 30 天，详见 https://example.com/backups'],
    ['visitor', '可以按年付款吗？'],
    ['agent', '当然可以，按年付款可省两个月的费用。'],
  ],
};

async function page(browser: Browser, lang: string, width: number, height: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, locale: lang === 'en' ? 'en-US' : 'zh-CN' });
  return context.newPage();
}

async function login(p: Page, url: string, lang: string, who: AgentSpec): Promise<void> {
  await p.goto(`${url}/console?lang=${lang}`);
  await p.getByTestId('login-username').fill(who.username);
  await p.getByTestId('login-password').fill(who.password);
  await p.getByTestId('login-submit').click();
  await expect(p.getByTestId('status-select')).toBeVisible();
}

for (const lang of ['en', 'zh-Hans']) {
  test.describe(`screenshots (${lang})`, () => {
    test.skip(!process.env.CHAT_SCREENSHOTS, 'only with CHAT_SCREENSHOTS=1');
    const server = useServer([ALICE, BOB]);

    test(`widget and console after a long conversation (${lang})`, async ({ browser }) => {
      test.setTimeout(180_000);
      const srv = server();
      const agent = await page(browser, lang, 1280, 800);
      await login(agent, srv.url, lang, ALICE);
      const bob = await page(browser, lang, 1280, 800);
      await login(bob, srv.url, lang, BOB);

      // A visitor browsing another page, to show in the list.
      const browsing = await page(browser, lang, 1280, 800);
      await browsing.goto(`${srv.url}/demo/contact?lang=${lang}`);
      await expect(widgetFrame(browsing).getByTestId('chat-launcher')).toBeVisible();

      const visitor = await page(browser, lang, 1280, 800);
      await visitor.goto(`${srv.url}/demo?lang=${lang}`);
      await visitor.locator('nav a').nth(1).click();
      const frame = widgetFrame(visitor);
      const vWin = await ensureWindowOpen(frame);
      const lines = LINES[lang];
      await vWin.getByTestId('message-input').fill(lines[0][1]);
      await vWin.getByTestId('send-button').click();
      const id = await conversationId(vWin);
      await expect(frame.getByTestId('queue-status')).toBeVisible();
      await visitor.screenshot({ path: path.join(OUT, `widget-waiting-${lang}.png`) });
      await agent.locator(`[data-testid="queue-item"][data-conversation-id="${id}"]`).getByTestId('accept-button').click();
      const aWin = consoleWindow(agent, id);
      for (let round = 0; round < 6; round++) {
        for (const [who, text] of lines.slice(round === 0 ? 1 : 0)) {
          const win = who === 'agent' ? aWin : vWin;
          await win.getByTestId('message-input').fill(round === 0 ? text : `${text} (${round + 1})`);
          await win.getByTestId('send-button').click();
        }
      }
      await expect(vWin.getByTestId('message')).toHaveCount(36);
      await expect(aWin.getByTestId('message')).toHaveCount(36);
      await agent.waitForTimeout(500);
      await visitor.screenshot({ path: path.join(OUT, `widget-${lang}.png`) });
      await agent.screenshot({ path: path.join(OUT, `console-${lang}.png`) });
      // The same agent on a phone: the open conversation first, at its end.
      const pocket = await page(browser, lang, 375, 740);
      await login(pocket, srv.url, lang, ALICE);
      const pWin = consoleWindow(pocket, id);
      await expect(pWin.getByTestId('message')).toHaveCount(36);
      await pocket.waitForTimeout(500);
      await pocket.screenshot({ path: path.join(OUT, `console-phone-${lang}.png`) });
      await expect(pWin.getByTestId('message').last()).toBeInViewport();
      await expect(pWin.getByTestId('message-input')).toBeInViewport();
      await pocket.context().close();

      // An internal note: set apart in the console, and nowhere in the widget.
      await aWin.getByTestId('note-toggle').click();
      await aWin.getByTestId('message-input').fill(
        lang === 'en' ? 'Finance agreed: offer the yearly discount.' : '财务已同意：可以给按年付款的折扣。',
      );
      await aWin.getByTestId('send-button').click();
      await expect(aWin.getByTestId('internal-note')).toHaveCount(1);
      await aWin.getByTestId('message-input').fill(lang === 'en' ? 'Ask about the invoice address' : '问一下发票地址');
      await agent.waitForTimeout(300);
      await agent.screenshot({ path: path.join(OUT, `console-note-${lang}.png`) });
      await aWin.getByTestId('message-input').fill('');
      await aWin.getByTestId('note-toggle').click();
      await expect(vWin.getByTestId('internal-note')).toHaveCount(0);

      // Canned replies: the list with the form, then a slash offering them.
      await aWin.getByTestId('canned-button').click();
      await agent.getByTestId('canned-new-shortcut').fill(lang === 'en' ? 'plans' : '套餐');
      await agent.getByTestId('canned-new-text').fill(
        lang === 'en' ? 'Hi {visitor}, here is our plan overview: https://example.com/plans' : '{访客}您好，这是我们的套餐介绍：https://example.com/plans',
      );
      await agent.getByTestId('canned-new-save').click();
      await expect(agent.getByTestId('canned-item')).toHaveCount(1);
      await agent.waitForTimeout(300);
      await agent.screenshot({ path: path.join(OUT, `console-canned-${lang}.png`) });
      await aWin.getByTestId('canned-button').click();
      await aWin.getByTestId('message-input').fill('/');
      await expect(agent.getByTestId('canned-item')).toHaveCount(1);
      await agent.screenshot({ path: path.join(OUT, `console-canned-slash-${lang}.png`) });
      await aWin.getByTestId('message-input').fill('');

      // The transfer panel, opened and closed again.
      await agent.getByTestId('transfer-button').click();

      // A picture from the visitor, a file from the agent; both windows, read receipts showing.
      await vWin.getByTestId('attach-input').setInputFiles({
        name: lang === 'en' ? 'checkout-error.png' : '付款报错.png',
        mimeType: 'image/png',
        buffer: picture(320, 200),
      });
      await expect(aWin.locator('[data-testid="attachment"] img')).toBeVisible();
      await aWin.getByTestId('attach-input').setInputFiles({
        name: lang === 'en' ? 'invoice-2026-11.pdf' : '发票-2026-11.pdf',
        mimeType: 'application/pdf',
        buffer: Buffer.from('%PDF-1.4\n%%EOF\n'),
      });
      await expect(vWin.locator('[data-testid="attachment"] a[download]')).toBeVisible();
      await expect(vWin.locator('[data-testid="attachment"] img')).toBeVisible();
      await agent.waitForTimeout(500);
      await agent.screenshot({ path: path.join(OUT, `console-attachment-${lang}.png`) });
      await visitor.screenshot({ path: path.join(OUT, `widget-attachment-${lang}.png`) });
      await expect(agent.getByTestId('transfer-option').first()).toBeVisible();
      await agent.getByTestId('transfer-reason').fill(lang === 'en' ? 'Asks about yearly billing' : '咨询按年付款');
      await agent.screenshot({ path: path.join(OUT, `console-transfer-${lang}.png`) });
      await agent.locator('.transfer-panel .cancel').click();
      await expect(agent.locator('.transfer-panel')).toHaveCount(0);

      // The same visitor on a phone.
      // (The demo site and the widget frame share the chat server's origin, so the
      // visitor's storage can be carried over.)
      const phone = await page(browser, lang, 375, 667);
      const storage = await frame.locator('body').evaluate(() => JSON.stringify(localStorage));
      await phone.goto(`${srv.url}/demo/pricing?lang=${lang}`);
      await phone.evaluate((s) => {
        for (const [k, v] of Object.entries(JSON.parse(s) as Record<string, string>)) localStorage.setItem(k, v);
      }, storage);
      await phone.reload();
      const phoneWin = widgetFrame(phone).getByTestId('chat-window');
      await expect(phoneWin).toBeVisible();
      await expect(phoneWin.getByTestId('message')).toHaveCount(38);
      await phone.waitForTimeout(500);
      await phone.screenshot({ path: path.join(OUT, `widget-phone-${lang}.png`) });

      // A group conversation: the visitor browsing is invited with Bob.
      await agent.getByTestId('visitor-row').filter({ hasText: '/demo/contact' }).getByTestId('select-checkbox').check();
      await agent.getByTestId('agent-row').filter({ hasText: BOB.name }).getByTestId('select-checkbox').check();
      await agent.screenshot({ path: path.join(OUT, `console-picking-${lang}.png`) });
      await agent.getByTestId('invite-button').click();
      await expect(widgetFrame(browsing).getByTestId('invitation')).toBeVisible();
      await browsing.screenshot({ path: path.join(OUT, `widget-invitation-${lang}.png`) });
      await widgetFrame(browsing).getByTestId('invitation-agree').click();
      await bob.getByTestId('invitation-agree').click();
      const gWin = widgetFrame(browsing).getByTestId('chat-window');
      await gWin.getByTestId('message-input').fill(lang === 'en' ? 'Hello! I am interested too.' : '您好！我也感兴趣。');
      await gWin.getByTestId('send-button').click();
      await bob.getByTestId('chat-window').getByTestId('message-input').fill(lang === 'en' ? 'Welcome, both of you.' : '欢迎两位。');
      await bob.getByTestId('chat-window').getByTestId('send-button').click();
      await expect(gWin.getByTestId('message')).toHaveCount(2);
      await browsing.screenshot({ path: path.join(OUT, `widget-group-${lang}.png`) });
      await agent.screenshot({ path: path.join(OUT, `console-group-${lang}.png`) });

      // A tablet.
      await agent.setViewportSize({ width: 768, height: 1024 });
      await agent.waitForTimeout(300);
      await agent.screenshot({ path: path.join(OUT, `console-tablet-${lang}.png`) });
      // The first visitor ends the chat and is asked for a rating.
      await vWin.getByTestId('leave-button').click();
      await expect(frame.getByTestId('rating-good')).toBeVisible();
      await frame.getByTestId('rating-good').click();
      await frame.getByTestId('rating-comment').fill(lang === 'en' ? 'Quick and clear, thanks!' : '回复又快又清楚，谢谢！');
      await visitor.screenshot({ path: path.join(OUT, `widget-rating-${lang}.png`) });
      await frame.getByTestId('rating-submit').click();
      await agent.locator(`[data-testid="conversation-tab"][data-conversation-id="${id}"]`).click();
      await expect(consoleWindow(agent, id).getByTestId('rating')).toBeVisible();
      await agent.screenshot({ path: path.join(OUT, `console-rating-${lang}.png`) });

      // The history: the long conversation found by a word in it, read back.
      await agent.setViewportSize({ width: 1280, height: 800 });
      await agent.getByTestId('history-open').click();
      await expect(agent.getByTestId('history-item').first()).toBeVisible();
      await agent.getByTestId('history-item').filter({ hasText: lines[0][1].slice(0, 8) }).click();
      await expect(agent.getByTestId('past-conversation').getByTestId('message')).toHaveCount(38);
      await agent.waitForTimeout(300);
      await agent.screenshot({ path: path.join(OUT, `console-history-${lang}.png`) });
      await agent.getByTestId('search-input').fill(lang === 'en' ? 'backup' : '备份');
      await expect(agent.getByTestId('search-result').first()).toBeVisible();
      await agent.getByTestId('search-result').first().click();
      await expect(agent.locator('[data-testid="past-conversation"] li[data-found="true"]')).toBeVisible();
      await agent.waitForTimeout(300);
      await agent.screenshot({ path: path.join(OUT, `console-search-${lang}.png`) });
      await agent.setViewportSize({ width: 375, height: 740 });
      await agent.waitForTimeout(300);
      await agent.screenshot({ path: path.join(OUT, `console-search-phone-${lang}.png`) });
      for (const p of [agent, bob, browsing, visitor, phone]) await p.context().close();
    });
  });
}
