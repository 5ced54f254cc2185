// Reports: an admin opens the console's Reports view and reads the week's
// figures: the chat an agent answered and the visitor rated, and the one nobody
// answered before the visitor left (missed), as totals, as charts drawn by the
// charting crate, in a table by agent, and as CSV. Narrowed to one agent, the
// missed chat drops out. At desktop and phone sizes, in English and Chinese.
import type { Page } from '@playwright/test';
import {
  chatAccepted, ensureWindowOpen, expect, loginAgent, openDemo, sendMessage, test, useServer,
  type AgentSpec,
} from './support/ui';

const ADMIN: AgentSpec = { username: 'root', name: 'Rita Admin', password: 'rita-pass-1234', role: 'admin' };
const ANN: AgentSpec = { username: 'ann', name: 'Ann Lee', password: 'ann-pass-1234' };

/** The body of a link the admin's console offers, fetched with its cookie. */
async function download(admin: Page, href: string): Promise<{ status: number; type: string; body: string }> {
  return admin.evaluate(async (url) => {
    const response = await fetch(url);
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
  }, href);
}

for (const lang of ['en', 'zh-Hans'] as const) {
  test.describe(`reports (${lang})`, () => {
    const server = useServer([ADMIN, ANN]);

    test('the week\'s chats, missed chats, first responses and ratings, as charts, tables and CSV', async ({ actors }, info) => {
      test.setTimeout(120_000);
      const srv = server();
      const ann = await actors.newPage('ann');
      await loginAgent(ann, srv.url, ANN.username, ANN.password, lang);

      // One chat Ann answers; the visitor leaves and rates it good.
      const answered = await actors.newPage('visitor-1');
      const { frame, vWin, aWin } = await chatAccepted(ann, answered, srv.url, 'Where is my parcel?', lang);
      await sendMessage(aWin, 'On its way, it arrives tomorrow.');
      await expect(vWin.getByTestId('message').last()).toContainText('arrives tomorrow');
      await vWin.getByTestId('leave-button').click();
      await frame.getByTestId('rating-good').click();
      await frame.getByTestId('rating-submit').click();
      await expect(frame.getByTestId('rating-thanks')).toBeVisible();

      // One nobody answers before its visitor leaves.
      const missed = await actors.newPage('visitor-2');
      const missedWin = await ensureWindowOpen(await openDemo(missed, srv.url, '/demo', lang));
      await sendMessage(missedWin, 'Anyone there?');
      await missedWin.getByTestId('leave-button').click();

      const admin = await actors.newPage('admin');
      await admin.setViewportSize({ width: 1280, height: 900 });
      await loginAgent(admin, srv.url, ADMIN.username, ADMIN.password, lang);
      await admin.getByTestId('reports-open').click();
      const panel = admin.getByTestId('reports-panel');
      await expect(panel.locator('h2')).toHaveText(lang === 'en' ? 'Reports' : '报表');
      await panel.getByTestId('report-last-7').click();
      const report = panel.getByTestId('report');
      await expect(report.getByTestId('report-chats').locator('.value')).toHaveText('2');
      await expect(report.getByTestId('report-missed').locator('.value')).toHaveText('1');
      await expect(report.getByTestId('report-rating').locator('.value')).toHaveText('100%');
      await expect(report.getByTestId('report-first-response').locator('.value')).not.toHaveText('–');
      await expect(report.getByTestId('report-handling').locator('.value')).not.toHaveText('–');
      await expect(report.getByTestId('report-empty')).toHaveCount(0);

      // The charts are SVG with bars (chats, missed) and the response line.
      for (const chart of ['chart-days', 'chart-hours', 'chart-response']) {
        await expect(report.getByTestId(chart).locator('svg')).toHaveCount(1);
      }
      expect(await report.getByTestId('chart-days').locator('svg rect').count()).toBeGreaterThan(2);
      await expect(report.getByTestId('chart-response').locator('svg polyline, svg path').first()).toBeAttached();
      await expect(report.getByTestId('chart-days').getByTestId('chart-legend')).toContainText(lang === 'en' ? 'Missed' : '未接');

      // By agent: Ann answered one; the missed chat has nobody's name.
      const annRow = report.getByTestId('report-agents').getByTestId('report-row').filter({ hasText: 'Ann Lee' });
      await expect(annRow.locator('td').first()).toHaveText('1');

      // Each table as CSV, with the admin's cookie; refused without it.
      const href = await report.getByTestId('report-csv-days').getAttribute('href');
      expect(href).toMatch(/^\/reports\.csv\?table=days&/);
      const days = await download(admin, href!);
      expect(days.status).toBe(200);
      expect(days.type).toContain('text/csv');
      const lines = days.body.trim().split(/\r\n/);
      expect(lines[0]).toBe('day,chats,missed,answered,avg_first_response_s,avg_handling_s,rated_good,rated_bad');
      expect(lines).toHaveLength(8);
      expect(lines.slice(1).map((l) => Number(l.split(',')[1])).reduce((a, b) => a + b, 0)).toBe(2);
      const agents = await download(admin, (await report.getByTestId('report-csv-agents').getAttribute('href'))!);
      expect(agents.body).toContain('Ann Lee');
      expect((await download(ann, href!)).status).toBe(403);

      await admin.screenshot({ path: info.outputPath(`reports-${lang}.png`), fullPage: true });

      // Narrowed to Ann: her chat only.
      await panel.getByTestId('report-agent').selectOption({ label: 'Ann Lee' });
      await panel.getByTestId('report-show').click();
      await expect(report.getByTestId('report-missed').locator('.value')).toHaveText('0');
      await expect(report.getByTestId('report-chats').locator('.value')).toHaveText('1');

      // A phone: the tiles, the charts and the tables fit its width.
      await admin.setViewportSize({ width: 390, height: 844 });
      const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const chartBox = await report.getByTestId('chart-days').locator('svg').boundingBox();
      expect(chartBox!.width).toBeLessThanOrEqual(390);
      expect(chartBox!.width).toBeGreaterThan(250);
      await admin.screenshot({ path: info.outputPath(`reports-phone-${lang}.png`), fullPage: true });
    });

    test('a period with no chats says so; a period the wrong way round is refused', async ({ actors }) => {
      const srv = server();
      const admin = await actors.newPage('admin');
      await loginAgent(admin, srv.url, ADMIN.username, ADMIN.password, lang);
      await admin.getByTestId('reports-open').click();
      const panel = admin.getByTestId('reports-panel');
      // The server is the previous test's: its chats are this week's.
      await expect(panel.getByTestId('report-chats').locator('.value')).toHaveText('2');
      await panel.getByTestId('report-from').fill('2026-01-01');
      await panel.getByTestId('report-to').fill('2026-01-31');
      await panel.getByTestId('report-show').click();
      await expect(panel.getByTestId('report-empty')).toBeVisible();
      await expect(panel.getByTestId('report-chats').locator('.value')).toHaveText('0');
      await expect(panel.getByTestId('chart-days').locator('svg')).toHaveCount(1);
      await panel.getByTestId('report-from').fill('2026-12-10');
      await panel.getByTestId('report-to').fill('2026-12-01');
      await panel.getByTestId('report-show').click();
      await expect(panel.getByTestId('error-toast')).toHaveAttribute('data-code', 'invalid_field');
    });
  });
}
