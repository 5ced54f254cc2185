// Privacy: a visitor who chatted asks for their data. An admin finds them in
// the Team view's privacy panel by their name, downloads everything kept about
// them as JSON, then deletes it: the agent's history keeps the conversation
// with every entry numbered as before, the visitor's message replaced by a
// note that it was deleted and their name gone; search no longer finds what
// they wrote; the audit log has both. The retention period is set, refused
// out of range, and cleared. In English and Chinese, at desktop and phone sizes.
import type { Page } from '@playwright/test';
import {
  chatAccepted, expect, loginAgent, sendMessage, test, useServer, type AgentSpec,
} from './support/ui';

const ADMIN: AgentSpec = { username: 'root', name: 'Rita Admin', password: 'rita-pass-1234', role: 'admin' };
const ANN: AgentSpec = { username: 'ann', name: 'Ann Lee', password: 'ann-pass-1234' };

interface Export {
  visitor: { id: string; name: string };
  conversations: Array<{
    id: string;
    entries: Array<{ seq: number; by_visitor: boolean; body: { type?: string; text?: string } }>;
    rating: { good: boolean; comment: string } | null;
  }>;
}

async function download(page: Page, href: string): Promise<{ status: number; type: string; body: string }> {
  return page.evaluate(async (url) => {
    const response = await fetch(url);
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
  }, href);
}

for (const lang of ['en', 'zh-Hans'] as const) {
  test.describe(`privacy (${lang})`, () => {
    const server = useServer([ADMIN, ANN]);

    test('a visitor\'s data is exported, then deleted, leaving tombstones in a whole sequence', async ({ actors }, info) => {
      test.setTimeout(120_000);
      const srv = server();
      const words = lang === 'en'
        ? { deleted: "A message was deleted at its author's request", removed: 'A removed visitor' }
        : { deleted: '一条消息已应其作者要求删除', removed: '已删除的访客' };

      // Vera chats with Ann under her own name, then leaves and rates it.
      const ann = await actors.newPage('ann');
      await loginAgent(ann, srv.url, ANN.username, ANN.password, lang);
      const visitor = await actors.newPage('vera');
      const { frame, vWin, aWin, id } = await chatAccepted(ann, visitor, srv.url, 'My address is 12 Elm Street', lang);
      await frame.getByTestId('my-name').click();
      await frame.getByTestId('name-input').fill('Vera Lynn');
      await frame.getByTestId('name-save').click();
      await sendMessage(aWin, 'Thanks, noted.');
      await expect(vWin.getByTestId('message').last()).toContainText('Thanks, noted.');
      await vWin.getByTestId('leave-button').click();
      await frame.getByTestId('rating-bad').click();
      await frame.getByTestId('rating-comment').fill('Slow, Vera says');
      await frame.getByTestId('rating-submit').click();
      await expect(frame.getByTestId('rating-thanks')).toBeVisible();

      const admin = await actors.newPage('admin');
      await admin.setViewportSize({ width: 1280, height: 900 });
      await loginAgent(admin, srv.url, ADMIN.username, ADMIN.password, lang);
      await admin.getByTestId('admin-toggle').click();
      const panel = admin.getByTestId('privacy-panel');
      await panel.getByTestId('privacy-query').fill('vera');
      await panel.getByTestId('privacy-find').click();
      const row = panel.getByTestId('privacy-visitor');
      await expect(row).toHaveCount(1);
      await expect(row.getByTestId('privacy-visitor-name')).toHaveText('Vera Lynn');
      const visitorId = (await row.getAttribute('data-visitor'))!;

      // The export: the conversation as she read it, and her rating.
      const href = (await row.getByTestId('privacy-export').getAttribute('href'))!;
      expect(href).toBe(`/visitors/${visitorId}/export.json`);
      const exported = await download(admin, href);
      expect(exported.status).toBe(200);
      expect(exported.type).toContain('application/json');
      const data = JSON.parse(exported.body) as Export;
      expect(data.visitor).toMatchObject({ id: visitorId, name: 'Vera Lynn' });
      expect(data.conversations.map((c) => c.id)).toEqual([id]);
      const [chat] = data.conversations;
      expect(chat.entries.find((e) => e.by_visitor)?.body.text).toBe('My address is 12 Elm Street');
      expect(chat.entries.some((e) => e.body.text === 'Thanks, noted.')).toBe(true);
      expect(chat.rating).toEqual({ good: false, comment: 'Slow, Vera says', at_ms: expect.any(Number) });
      // Only admins: an agent's session is refused.
      expect((await download(ann, href)).status).toBe(403);

      // Deleting asks first.
      await row.getByTestId('privacy-delete').click();
      await expect(row.getByTestId('privacy-confirm')).toContainText('Vera Lynn');
      await panel.scrollIntoViewIfNeeded();
      await admin.screenshot({ path: info.outputPath(`privacy-confirm-${lang}.png`), fullPage: true });
      await row.getByTestId('privacy-delete-confirm').click();
      const notice = panel.getByTestId('privacy-deleted');
      await expect(notice).toBeVisible();
      await expect(notice).toContainText(lang === 'en' ? 'Messages replaced by a note: 1;' : '替换为提示的消息：1；');
      await panel.getByTestId('privacy-find').click();
      await expect(panel.getByTestId('privacy-none')).toBeVisible();
      expect((await download(admin, href)).status).toBe(404);

      // Ann's history: the same numbers, a note where Vera's message was, no name.
      await ann.reload();
      await ann.getByTestId('history-open').click();
      await ann.locator(`[data-testid="history-item"][data-conversation-id="${id}"]`).click();
      const past = ann.getByTestId('past-conversation');
      await expect(past).toHaveAttribute('data-conversation-id', id);
      const tombstone = past.locator('[data-testid="system-notice"][data-seq="1"]');
      await expect(tombstone).toHaveText(words.deleted);
      await expect(past.getByTestId('message')).toHaveCount(1);
      await expect(past.getByTestId('message')).toContainText('Thanks, noted.');
      await expect(past).not.toContainText('Elm Street');
      await expect(past).not.toContainText('Vera');
      await expect(past).toContainText(words.removed);
      const seqs = await past.locator('[data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      await ann.getByTestId('search-input').fill('Elm');
      await expect(ann.getByTestId('search-result')).toHaveCount(0);

      // The audit log has the export and the deletion.
      const audit = admin.getByTestId('audit-panel');
      await audit.getByTestId('audit-refresh').click();
      await expect(audit.locator('[data-action="visitor_deleted"]')).toHaveCount(1);
      await expect(audit.locator('[data-action="visitor_exported"]')).toHaveCount(1);
      await expect(audit.locator('[data-action="visitor_deleted"]').getByTestId('audit-subject')).toHaveText(visitorId);
    });

    test('the retention period is kept, refused out of range, and cleared', async ({ actors }, info) => {
      const srv = server();
      const admin = await actors.newPage('admin');
      await loginAgent(admin, srv.url, ADMIN.username, ADMIN.password, lang);
      await admin.getByTestId('admin-toggle').click();
      const panel = admin.getByTestId('privacy-panel');
      const days = panel.getByTestId('retention-days');
      await expect(days).toHaveValue('');
      // Out of range: the browser holds the form back and says why (the
      // server refuses it too: server/tests/privacy.rs).
      await days.fill('0');
      await panel.getByTestId('retention-save').click();
      expect(await days.evaluate((el) => (el as HTMLInputElement).validity.rangeUnderflow)).toBe(true);
      await expect(panel.getByTestId('retention-notice')).toHaveCount(0);
      await days.fill('30');
      await panel.getByTestId('retention-save').click();
      await expect(panel.getByTestId('retention-notice')).toContainText('30');
      await admin.reload();
      await admin.getByTestId('admin-toggle').click();
      await expect(panel.getByTestId('retention-days')).toHaveValue('30');

      await admin.setViewportSize({ width: 390, height: 844 });
      await panel.getByTestId('privacy-query').fill('nobody at all');
      await panel.getByTestId('privacy-find').click();
      await expect(panel.getByTestId('privacy-none')).toBeVisible();
      await panel.scrollIntoViewIfNeeded();
      const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await admin.screenshot({ path: info.outputPath(`privacy-phone-${lang}.png`) });

      await panel.getByTestId('retention-days').fill('');
      await panel.getByTestId('retention-save').click();
      await expect(panel.getByTestId('retention-notice')).toHaveText(lang === 'en' ? 'Saved: conversations are kept.' : '已保存：会话一直保留。');
      await expect.poll(async () => {
        const response = await admin.evaluate(async () => (await fetch('/api/admin/retention', {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
        })).json());
        return response;
      }).toBe(null);
    });
  });
}
