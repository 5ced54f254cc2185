// The console's list of visitors on a busy site: however many are there, it
// lists the newest 50, says how many there are, and finds the others by name or
// page. The crowd is real visitor connections (the widget's own protocol),
// opened from a page of the demo site, so no browser needs a widget per visitor.
import type { Page } from '@playwright/test';
import { expect, loginAgent, test, useServer, type AgentSpec } from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
const CROWD = 60;
const PAGE = 50;

/** Opens `count` visitor connections from `page` (on the site's origin), each on
 *  its own product page, and waits until every one is welcomed. */
async function crowd(page: Page, baseUrl: string, count: number) {
  await page.goto(`${baseUrl}/demo`);
  await page.evaluate(async (count) => {
    const hex = (n: number) =>
      Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('');
    const sockets: WebSocket[] = [];
    (window as unknown as { crowd: WebSocket[] }).crowd = sockets;
    // One after another, so that their visits begin in this order.
    for (let i = 0; i < count; i++) {
      const n = String(i).padStart(3, '0');
      await new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws/visitor`);
        sockets.push(ws);
        ws.onopen = () => ws.send(JSON.stringify({
          type: 'hello',
          token: hex(32),
          page: { url: `/demo/product-${n}`, title: `Product ${n}`, referrer: '', load_id: crypto.randomUUID() },
        }));
        ws.onmessage = (event) => {
          if (JSON.parse(event.data).type === 'welcome') resolve();
        };
        ws.onerror = () => reject(new Error(`visitor ${i} could not connect`));
      });
    }
  }, count);
}

for (const lang of ['en', 'zh-Hans'] as const) {
  test.describe(`a busy site's visitor list (${lang})`, () => {
    const server = useServer([ALICE]);

    test('the console lists the newest visits, counts everyone and finds the rest', async ({ actors }, info) => {
      const srv = server();
      const agent = await actors.newPage('agent alice');
      await loginAgent(agent, srv.url, ALICE.username, ALICE.password, lang);
      const site = await actors.newPage('the crowd');
      await crowd(site, srv.url, CROWD);

      const rows = agent.getByTestId('visitor-row');
      // The crowd, and the demo page that opened it (its own widget).
      await expect(agent.getByTestId('visitor-count')).toHaveText(String(CROWD + 1));
      await expect(rows).toHaveCount(PAGE);
      await expect(agent.getByTestId('visitors-more')).toContainText(String(PAGE));
      await expect(agent.getByTestId('visitors-more')).toContainText(String(CROWD + 1));
      await agent.screenshot({ path: info.outputPath(`visitors-busy-${lang}.png`) });
      // The oldest visits are not listed, but are found by their page.
      await expect(rows.filter({ hasText: 'Product 003' })).toHaveCount(0);
      const filter = agent.getByTestId('visitor-filter');
      await filter.fill('product-003');
      await expect(rows).toHaveCount(1);
      await expect(rows.first()).toContainText('Product 003');
      await expect(agent.getByTestId('visitors-more')).toHaveCount(0);
      await agent.screenshot({ path: info.outputPath(`visitor-filter-${lang}.png`) });

      // Nobody matches: said so.
      await filter.fill('no-such-page');
      await expect(rows).toHaveCount(0);
      await expect(agent.locator('.visitors .empty')).toBeVisible();

      // Picked while found, a visitor stays listed after the search is cleared.
      await filter.fill('product-003');
      await rows.first().getByTestId('select-checkbox').check();
      await filter.fill('');
      await expect(rows).toHaveCount(PAGE + 1);
      await expect(rows.filter({ hasText: 'Product 003' })).toHaveCount(1);

      // Visitors leave (after the grace period): the count and the list follow.
      await site.evaluate(() => {
        for (const ws of (window as unknown as { crowd: WebSocket[] }).crowd.slice(20)) ws.close();
      });
      await expect(agent.getByTestId('visitor-count')).toHaveText('21', { timeout: 15_000 });
      await expect(rows).toHaveCount(21);
      // Oldest visit first, those that came back into the list included.
      const products = (await rows.locator('.page-title').allTextContents()).filter((t) => t.startsWith('Product'));
      expect(products).toEqual([...products].sort());
      expect(products).toHaveLength(20);
      await expect(agent.getByTestId('visitors-more')).toHaveCount(0);

      for (const [name, size] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]] as const) {
        await agent.setViewportSize(size);
        await agent.screenshot({ path: info.outputPath(`visitors-${lang}-${name}.png`), fullPage: true });
      }
    });
  });
}
