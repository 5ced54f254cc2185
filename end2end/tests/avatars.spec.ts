// Agents' pictures: an agent with none shows the first letter of their name;
// they pick a picture in the console's header, and the visitor they answer
// sees it in the widget's header beside their name, at desktop and phone
// sizes. Something that is not a picture is refused with a message and the
// picture stays; removed, the letter is back.
import {
  acceptFromQueue, conversationId, directWindow, expect, loginAgent, openDemo, openWidget, sendMessage,
  test, useServer, type AgentSpec,
} from './support/ui';
import type { Locator, Page } from '@playwright/test';

const ANN: AgentSpec = { username: 'ann', name: 'Ann Lee', password: 'ann-pass-1234' };

/** A 96×96 PNG of a face, drawn by the browser itself. */
async function facePng(page: Page): Promise<Buffer> {
  const data = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 96;
    canvas.height = 96;
    const g = canvas.getContext('2d')!;
    g.fillStyle = '#f59e0b';
    g.fillRect(0, 0, 96, 96);
    g.fillStyle = '#7c2d12';
    g.beginPath(); g.arc(34, 40, 6, 0, Math.PI * 2); g.fill();
    g.beginPath(); g.arc(62, 40, 6, 0, Math.PI * 2); g.fill();
    g.lineWidth = 5;
    g.strokeStyle = '#7c2d12';
    g.beginPath(); g.arc(48, 56, 18, 0.15 * Math.PI, 0.85 * Math.PI); g.stroke();
    return canvas.toDataURL('image/png').split(',')[1];
  });
  return Buffer.from(data, 'base64');
}

/** The picture's own width once it loaded (0 while it has not). */
async function loadedWidth(img: Locator): Promise<number> {
  return img.evaluate((el) => (el as HTMLImageElement).complete ? (el as HTMLImageElement).naturalWidth : 0);
}

for (const lang of ['en', 'zh-Hans'] as const) {
  test.describe(`agents' pictures (${lang})`, () => {
    const server = useServer([ANN]);

    test('an agent\'s picture reaches the visitor they answer, and bad files are refused', async ({ actors }, info) => {
      test.setTimeout(120_000);
      const srv = server();
      const ann = await actors.newPage('ann');
      await ann.setViewportSize({ width: 1280, height: 800 });
      await loginAgent(ann, srv.url, ANN.username, ANN.password, lang);
      const mine = ann.getByTestId('my-avatar');
      await expect(mine).toHaveAttribute('data-set', 'false');
      await expect.poll(() => loadedWidth(mine), 'the initial is drawn').toBeGreaterThan(0);
      await expect(ann.getByTestId('my-avatar-remove')).toBeHidden();

      // Not a picture: refused, said so, nothing changes.
      await ann.getByTestId('my-avatar-input').setInputFiles({
        name: 'me.png', mimeType: 'image/png', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      });
      await expect(ann.getByTestId('error-toast')).toHaveAttribute('data-code', 'invalid_field');
      await expect(mine).toHaveAttribute('data-set', 'false');

      const face = await facePng(ann);
      await ann.getByTestId('my-avatar-input').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: face });
      await expect(mine).toHaveAttribute('data-set', 'true');
      await expect.poll(() => loadedWidth(mine)).toBe(96);
      await expect(ann.getByTestId('my-avatar-remove')).toBeVisible();
      await ann.locator('.console-header').screenshot({ path: info.outputPath(`avatar-console-${lang}.png`) });

      // The visitor Ann answers sees her picture beside her name.
      const visitor = await actors.newPage('visitor');
      await visitor.setViewportSize({ width: 1280, height: 800 });
      const frame = await openDemo(visitor, srv.url, '/demo', lang);
      const win = await openWidget(frame, directWindow(frame));
      await expect(frame.getByTestId('widget-avatar')).toHaveCount(0);
      await sendMessage(win, lang === 'en' ? 'Is there a student discount?' : '有学生优惠吗？');
      const id = await conversationId(win);
      const agentWin = await acceptFromQueue(ann, id);
      await sendMessage(agentWin, lang === 'en' ? 'Yes, 40% with a school address.' : '有，凭学校邮箱可享六折。');
      await expect(win.getByTestId('message')).toHaveCount(2);
      await expect(frame.getByTestId('widget-title')).toHaveText(ANN.name);
      const shown = frame.getByTestId('widget-avatar');
      await expect.poll(() => loadedWidth(shown), 'the picture loads in the widget').toBe(96);
      const size = await shown.boundingBox();
      expect(size && Math.round(size.width), 'shown at the header\'s size').toBe(36);
      await visitor.screenshot({ path: info.outputPath(`avatar-widget-${lang}.png`) });

      // On a phone the open window fills the screen, the picture in its header.
      await visitor.setViewportSize({ width: 390, height: 844 });
      await expect(shown).toBeInViewport();
      await visitor.screenshot({ path: info.outputPath(`avatar-widget-phone-${lang}.png`) });

      // Removed: the letter is back in the console.
      await ann.getByTestId('my-avatar-remove').click();
      await expect(mine).toHaveAttribute('data-set', 'false');
      await expect(ann.getByTestId('my-avatar-remove')).toBeHidden();
      await expect.poll(() => loadedWidth(mine)).toBe(64);
    });
  });
}
