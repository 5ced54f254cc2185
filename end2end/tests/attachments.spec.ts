// Attachments: visitor and agent send files from the compose box; pictures show
// as thumbnails on both sides (the visitor's through a signed link, the agent's
// with the session), other files as links; a renamed page with script is refused
// with a clear error and nothing shows. In Chinese too.
import { chatAccepted, expect, loginAgent, test, useServer, type AgentSpec } from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

test.describe('attachments', () => {
  const server = useServer([ALICE]);

  test('pictures and files both ways; a disguised page is refused', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    const { frame, vWin, aWin } = await chatAccepted(alice, visitor, srv.url, 'The checkout shows an error');

    // The visitor sends a screenshot: a thumbnail on both sides.
    await vWin.getByTestId('attach-input').setInputFiles({ name: '截图 1.png', mimeType: 'image/png', buffer: PNG });
    const seenByAgent = aWin.locator('[data-testid="attachment"][data-name="截图 1.png"] img');
    await expect(seenByAgent).toBeVisible();
    await expect.poll(() => seenByAgent.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
    const mine = vWin.locator('[data-testid="attachment"][data-name="截图 1.png"] img');
    await expect.poll(() => mine.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);

    // The agent sends a PDF: a link on the visitor's side that fetches it.
    await aWin.getByTestId('attach-input').setInputFiles({ name: 'invoice-8812.pdf', mimeType: 'application/pdf', buffer: PDF });
    const link = vWin.locator('[data-testid="attachment"][data-name="invoice-8812.pdf"] a');
    await expect(link).toBeVisible();
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^\/files\/[0-9a-f-]+\?v=/);
    const fetched = await visitor.request.get(`${srv.url}${href}`);
    expect(fetched.status()).toBe(200);
    expect(fetched.headers()['content-disposition']).toContain('attachment');
    expect((await fetched.body()).toString()).toContain('%PDF-1.4');

    // A page with script dressed as a picture: refused, said so, nothing shown.
    await vWin.getByTestId('attach-input').setInputFiles({
      name: 'cute-cat.png',
      mimeType: 'image/png',
      buffer: Buffer.from('<html><script>alert(document.cookie)</script></html>'),
    });
    await expect(frame.getByTestId('error-toast')).toBeVisible();
    await expect(vWin.locator('[data-testid="attachment"][data-name="cute-cat.png"]')).toHaveCount(0);
    await expect(aWin.locator('[data-testid="attachment"][data-name="cute-cat.png"]')).toHaveCount(0);
  });

  test('zh-Hans: the file button speaks Chinese', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password, 'zh-Hans');
    const visitor = await actors.newPage('visitor');
    const { vWin, aWin } = await chatAccepted(alice, visitor, srv.url, '付款页面报错', 'zh-Hans');
    await expect(vWin.locator('.attach')).toContainText('文件');
    await expect(aWin.locator('.attach')).toContainText('文件');
    await vWin.getByTestId('attach-input').setInputFiles({ name: '报错.png', mimeType: 'image/png', buffer: PNG });
    await expect(aWin.locator('[data-testid="attachment"][data-name="报错.png"] img')).toBeVisible();
  });
});
