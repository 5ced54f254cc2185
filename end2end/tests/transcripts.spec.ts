// Transcripts: the visitor downloads the chat that ended (their words and the
// agent's, never a note); the agent downloads it from the console, notes marked.
// In Chinese too.
import * as fs from 'fs';
import type { Download, Locator, Page } from '@playwright/test';
import { chatAccepted, expect, loginAgent, sendMessage, test, useServer, type AgentSpec } from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
const NOTE = 'Refund approved, tell her tomorrow';

async function saved(page: Page, click: Locator): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click.click()]);
  const file = await (download as Download).path();
  return { name: download.suggestedFilename(), text: fs.readFileSync(file!, 'utf8') };
}

test.describe('transcripts', () => {
  const server = useServer([ALICE]);

  for (const lang of ['en', 'zh-Hans']) {
    test(`visitor and agent download what each may see (${lang})`, async ({ actors }) => {
      const srv = server();
      const alice = await actors.newPage('alice');
      await loginAgent(alice, srv.url, ALICE.username, ALICE.password, lang);
      const visitor = await actors.newPage('visitor');
      const { frame, vWin, aWin, id } = await chatAccepted(alice, visitor, srv.url, '我要退款，订单 8812', lang);
      await sendMessage(aWin, 'Two refunds are on their way');
      await aWin.getByTestId('note-toggle').click();
      await aWin.getByTestId('message-input').fill(NOTE);
      await aWin.getByTestId('send-button').click();
      await expect(aWin.getByTestId('internal-note')).toHaveCount(1);
      await vWin.getByTestId('leave-button').click();

      const mine = await saved(visitor, frame.getByTestId('transcript-download'));
      expect(mine.name).toBe(`transcript-${id}.txt`);
      expect(mine.text).toContain('我要退款，订单 8812');
      expect(mine.text).toContain('Alice Archer: Two refunds are on their way');
      expect(mine.text).not.toContain(NOTE);
      expect(mine.text).toContain(lang === 'en' ? 'Transcript: ' : '聊天记录: ');

      const theirs = await saved(alice, alice.getByTestId('transcript-download'));
      expect(theirs.name).toBe(`transcript-${id}.txt`);
      expect(theirs.text).toContain(`Alice Archer (${lang === 'en' ? 'Internal note' : '内部备注'}): ${NOTE}`);
      expect(theirs.text).toContain('Two refunds are on their way');
    });
  }
});
