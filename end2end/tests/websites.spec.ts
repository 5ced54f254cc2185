// Widget settings per website, kept by an admin in the console and applied on
// the site's next page without touching the site: the admin adds the demo site
// as a website, gives its widget a colour, the left corner, launcher text, a
// greeting, and a header that names the team rather than the agent. A visitor
// of the demo site sees all of it, at desktop and phone sizes; the website's
// language is the widget's when the tag names none; a bad address is refused;
// removed, the widget looks as it did.
import {
  acceptFromQueue, conversationId, directWindow, expect, loginAgent, openDemo, openWidget, sendMessage,
  test, useServer, widgetFrame, type AgentSpec,
} from './support/ui';
import type { Page } from '@playwright/test';

const ADMIN: AgentSpec = { username: 'root', name: 'Rita Admin', password: 'rita-pass-1234', role: 'admin' };
const ANN: AgentSpec = { username: 'ann', name: 'Ann Lee', password: 'ann-pass-1234' };

/** The saved websites, as the admin's console reads them. */
async function savedWebsites(admin: Page): Promise<Array<{ id: string; origins: string[]; settings: Record<string, unknown> }>> {
  return admin.evaluate(async () => {
    const response = await fetch('/api/websites', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
    });
    return response.json();
  });
}

for (const lang of ['en', 'zh-Hans'] as const) {
  test.describe(`widget settings per website (${lang})`, () => {
    const server = useServer([ADMIN, ANN]);

    test('a website\'s colour, corner, launcher text, greeting and header reach its visitors', async ({ actors }, info) => {
      test.setTimeout(120_000);
      const srv = server();
      const words = lang === 'en'
        ? { launcher: 'Questions? Ask us', greeting: 'Hello from Acme!\nWe answer within minutes.' }
        : { launcher: '有问题？问我们', greeting: 'Acme 欢迎您！\n我们几分钟内回复。' };
      const admin = await actors.newPage('admin');
      await admin.setViewportSize({ width: 1280, height: 900 });
      await loginAgent(admin, srv.url, ADMIN.username, ADMIN.password, lang);
      await admin.getByTestId('admin-toggle').click();
      const panel = admin.getByTestId('websites-panel');
      await expect(panel).toBeVisible();

      // An address with a path is not an origin: refused, the field named.
      await panel.getByTestId('website-add-id').fill('acme');
      await panel.getByTestId('website-add-name').fill('Acme Cloud');
      await panel.getByTestId('website-add-origins').fill(`${srv.url}/demo`);
      await panel.getByTestId('website-add-submit').click();
      await expect(panel.getByTestId('error-toast')).toHaveAttribute('data-code', 'invalid_field');
      await expect(panel.getByTestId('error-toast')).toContainText('origins');
      await panel.getByTestId('website-add-origins').fill(srv.url);
      await panel.getByTestId('website-add-submit').click();
      const row = panel.locator('[data-testid="website-row"][data-website="acme"]');
      await expect(row).toBeVisible();
      await expect(row.getByTestId('website-origins')).toHaveValue(srv.url);

      await row.getByTestId('website-colour-on').check();
      await row.getByTestId('website-colour').fill('#0a7c55');
      await row.getByTestId('website-position').selectOption('left');
      await row.getByTestId('website-launcher-text').fill(words.launcher);
      await row.getByTestId('website-greeting').fill(words.greeting);
      await row.getByTestId('website-show-agents').uncheck();
      await row.getByTestId('website-save').click();
      await expect(panel.getByTestId('website-notice')).toBeVisible();
      await expect.poll(async () => JSON.stringify((await savedWebsites(admin))[0]?.settings)).toBe(JSON.stringify({
        colour: '#0a7c55', position: 'left', launcher_text: words.launcher, greeting: words.greeting,
        show_agents: false, language: '', pre_chat: { name: false, email: false, department: false, consent: '' },
      }));
      await panel.scrollIntoViewIfNeeded();
      await admin.screenshot({ path: info.outputPath(`websites-${lang}.png`), fullPage: true });
      await admin.setViewportSize({ width: 390, height: 844 });
      await row.getByTestId('website-save').scrollIntoViewIfNeeded();
      await expect(row.getByTestId('website-save')).toBeInViewport();
      await admin.screenshot({ path: info.outputPath(`websites-phone-${lang}.png`) });
      await admin.setViewportSize({ width: 1280, height: 900 });

      // The visitor's next page: the widget sits bottom left, in the colour,
      // with the launcher text.
      const ann = await actors.newPage('ann');
      await ann.setViewportSize({ width: 1280, height: 800 });
      await loginAgent(ann, srv.url, ANN.username, ANN.password, lang);
      const visitor = await actors.newPage('visitor');
      await visitor.setViewportSize({ width: 1280, height: 800 });
      const frame = await openDemo(visitor, srv.url, '/demo', lang);
      const launcher = frame.getByTestId('chat-launcher');
      await expect(frame.getByTestId('launcher-text')).toHaveText(words.launcher);
      await expect(launcher).toHaveAccessibleName(words.launcher);
      await expect(launcher).toHaveCSS('background-color', 'rgb(10, 124, 85)');
      const box = await visitor.locator('#livechat-frame').boundingBox();
      expect(box && box.x, 'the frame sits at the left').toBeLessThan(20);
      await visitor.screenshot({ path: info.outputPath(`website-launcher-${lang}.png`) });

      // Opened: the greeting above the first message; the header names the team.
      const win = await openWidget(frame, directWindow(frame));
      await expect(win.locator('.intro')).toHaveText(words.greeting);
      await sendMessage(win, lang === 'en' ? 'Do you host in Europe?' : '你们在欧洲有机房吗？');
      const id = await conversationId(win);
      const agentWin = await acceptFromQueue(ann, id);
      await sendMessage(agentWin, lang === 'en' ? 'Yes: Frankfurt and Dublin.' : '有：法兰克福和都柏林。');
      await expect(win.getByTestId('message')).toHaveCount(2);
      await expect(frame.getByTestId('widget-title')).toHaveAttribute('data-answering', 'false');
      await expect(frame.getByTestId('widget-title')).not.toContainText(ANN.name);
      await expect(frame.getByTestId('widget-avatar'), 'nor shows her picture').toHaveCount(0);
      await expect(frame.getByTestId('send-button')).toHaveCSS('background-color', 'rgb(10, 124, 85)');
      const open = await visitor.locator('#livechat-frame').boundingBox();
      expect(open && open.x, 'the open window sits at the left').toBeLessThan(20);
      await visitor.screenshot({ path: info.outputPath(`website-open-${lang}.png`) });

      // On a phone the open window fills the screen, in the website's colour.
      const phone = await actors.newPage('visitor on a phone');
      await phone.setViewportSize({ width: 390, height: 844 });
      const phoneFrame = await openDemo(phone, srv.url, '/demo/pricing', lang);
      await expect(phoneFrame.getByTestId('launcher-text')).toBeVisible();
      await phone.screenshot({ path: info.outputPath(`website-launcher-phone-${lang}.png`) });
      await openWidget(phoneFrame, directWindow(phoneFrame));
      await expect(phoneFrame.locator('.widget-header')).toHaveCSS('background-color', 'rgb(10, 124, 85)');
      await phone.screenshot({ path: info.outputPath(`website-open-phone-${lang}.png`) });

      if (lang === 'en') {
        // The website's language is the widget's on a page whose tag names none
        // (the visitor's browser prefers English).
        await row.getByTestId('website-language').selectOption('zh-Hant');
        await row.getByTestId('website-save').click();
        await expect.poll(async () => (await savedWebsites(admin))[0]?.settings.language).toBe('zh-Hant');
        const other = await actors.newPage('visitor in Taipei');
        await other.goto(`${srv.url}/demo`);
        const otherFrame = widgetFrame(other);
        await expect(otherFrame.locator('html')).toHaveAttribute('lang', 'zh-Hant');
        await expect(otherFrame.getByTestId('launcher-text')).toHaveText(words.launcher);
      }

      // Removed: the widget looks as it did, round and on the right.
      await row.getByTestId('website-remove').click();
      await row.getByTestId('website-remove').click();
      await expect(panel.getByTestId('website-row')).toHaveCount(0);
      const after = await actors.newPage('visitor after');
      await after.setViewportSize({ width: 1280, height: 800 });
      const afterFrame = await openDemo(after, srv.url, '/demo', lang);
      await expect(afterFrame.getByTestId('launcher-text')).toHaveCount(0);
      const right = await after.locator('#livechat-frame').boundingBox();
      expect(right && right.x + right.width, 'back at the right').toBeGreaterThan(1200);

      // The audit log has who saved and removed the website, newest first.
      const audit = admin.getByTestId('audit-panel');
      await audit.getByTestId('audit-refresh').click();
      const entries = audit.getByTestId('audit-entry');
      await expect(entries.first()).toHaveAttribute('data-action', 'website_removed');
      await expect(entries.first()).toContainText(ADMIN.username);
      await expect(audit.locator('[data-action="website_saved"]').first().getByTestId('audit-subject')).toHaveText('acme');
      await audit.locator('[data-action="website_saved"] summary').first().click();
      await expect(audit.locator('[data-action="website_saved"] pre').first()).toContainText('#0a7c55');
      await audit.scrollIntoViewIfNeeded();
      await admin.screenshot({ path: info.outputPath(`audit-${lang}.png`) });
    });

    test('a pre-chat form asks for the name, address, department and consent before the first message', async ({ actors }, info) => {
      test.setTimeout(120_000);
      const srv = server();
      const consent = lang === 'en'
        ? 'I agree that Acme keeps this chat for a year.'
        : '我同意 Acme 将本次聊天保存一年。';
      const admin = await actors.newPage('admin');
      await admin.setViewportSize({ width: 1280, height: 900 });
      await loginAgent(admin, srv.url, ADMIN.username, ADMIN.password, lang);
      await admin.getByTestId('admin-toggle').click();
      const departments = admin.getByTestId('departments-panel');
      await departments.getByTestId('department-add-id').fill('billing');
      await departments.getByTestId('department-add-name').fill(lang === 'en' ? 'Billing' : '账单');
      await departments.getByTestId('department-add-routing').selectOption('manual');
      await departments.getByTestId('department-add-submit').click();
      await expect(departments.locator('[data-testid="department-row"][data-department="billing"]')).toBeVisible();
      const panel = admin.getByTestId('websites-panel');
      await panel.getByTestId('website-add-id').fill('acme');
      await panel.getByTestId('website-add-name').fill('Acme Cloud');
      await panel.getByTestId('website-add-origins').fill(srv.url);
      await panel.getByTestId('website-add-submit').click();
      const row = panel.locator('[data-testid="website-row"][data-website="acme"]');
      await row.getByTestId('website-ask-name').check();
      await row.getByTestId('website-ask-email').check();
      await row.getByTestId('website-ask-department').check();
      await row.getByTestId('website-consent').fill(consent);
      await row.getByTestId('website-save').click();
      await expect.poll(async () => JSON.stringify((await savedWebsites(admin))[0]?.settings.pre_chat)).toBe(JSON.stringify({
        name: true, email: true, department: true, consent,
      }));
      await row.getByTestId('website-consent').scrollIntoViewIfNeeded();
      await admin.screenshot({ path: info.outputPath(`website-pre-chat-settings-${lang}.png`) });

      const ann = await actors.newPage('ann');
      await loginAgent(ann, srv.url, ANN.username, ANN.password, lang);
      const visitor = await actors.newPage('visitor');
      await visitor.setViewportSize({ width: 1280, height: 800 });
      const frame = await openDemo(visitor, srv.url, '/demo', lang);
      const form = await openWidget(frame, frame.getByTestId('pre-chat-form'));
      await expect(form.getByTestId('pre-chat-consent')).toBeVisible();
      await expect(form).toContainText(consent);
      await form.getByTestId('pre-chat-name').fill('Mia Wong');
      await form.getByTestId('pre-chat-email').fill('mia@example.com');
      await form.getByTestId('pre-chat-department').selectOption('billing');
      // Without the consent box ticked, the form does not go.
      await form.getByTestId('pre-chat-submit').click();
      await expect(frame.getByTestId('pre-chat-form')).toBeVisible();
      await visitor.screenshot({ path: info.outputPath(`website-pre-chat-${lang}.png`) });
      await form.getByTestId('pre-chat-consent').check();
      await form.getByTestId('pre-chat-submit').click();
      const win = directWindow(frame);
      await expect(win.getByTestId('message-input')).toBeVisible();
      await expect(frame.getByTestId('my-name')).toHaveText('Mia Wong');
      await sendMessage(win, lang === 'en' ? 'My invoice shows the wrong plan.' : '我的账单套餐不对。');
      const item = ann.getByTestId('queue-item').filter({ hasText: 'Mia Wong' });
      await expect(item).toBeVisible();
      await expect(item.getByTestId('queue-department')).toContainText(lang === 'en' ? 'Billing' : '账单');

      // On a phone the form fits the screen.
      const phone = await actors.newPage('visitor on a phone');
      await phone.setViewportSize({ width: 390, height: 844 });
      const phoneFrame = await openDemo(phone, srv.url, '/demo', lang);
      const phoneForm = await openWidget(phoneFrame, phoneFrame.getByTestId('pre-chat-form'));
      await expect(phoneForm.getByTestId('pre-chat-submit')).toBeInViewport();
      await phone.screenshot({ path: info.outputPath(`website-pre-chat-phone-${lang}.png`) });
    });
  });
}
