// E-mail, with CHAT_SMTP_URL set and a real SMTP server on loopback (aiosmtpd):
// a visitor whose chat ended has the transcript mailed (their part, never a
// note), in their language; an admin gives an agent an address in the team
// panel, and a message left while nobody is online reaches that mailbox.
import { startSmtp, type Mail, type SmtpServer } from './support/smtp';
import { chatAccepted, expect, loginAgent, openDemo, openWidget, sendMessage, test, useServer, type AgentSpec } from './support/ui';

const ROOT: AgentSpec = { username: 'root', name: 'Rita Root', password: 'root-pass-1234', role: 'admin' };
const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
const NOTE = 'Refund approved, tell her tomorrow';

// Filled before the server starts (file-level hooks run before the describe's).
const env: Record<string, string> = {};
let smtp: SmtpServer | undefined;
test.beforeAll(async () => {
  smtp = await startSmtp();
  env.CHAT_SMTP_URL = smtp.url;
  env.CHAT_MAIL_FROM = 'Demo Support <support@example.com>';
});
test.afterAll(async () => {
  await smtp?.stop();
});

/** Waits for the mail to `address`. */
async function mailTo(address: string): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(() => {
      found = smtp!.mails().find((m) => m.rcptTo.includes(address));
      return found !== undefined;
    })
    .toBe(true);
  return found!;
}

test.describe('mail', () => {
  const server = useServer([ROOT, ALICE], { env });

  for (const lang of ['en', 'zh-Hans']) {
    test(`a visitor has the transcript mailed, without the note (${lang})`, async ({ actors }, testInfo) => {
      const srv = server();
      const alice = await actors.newPage('alice');
      await loginAgent(alice, srv.url, ALICE.username, ALICE.password, lang);
      const visitor = await actors.newPage('visitor');
      const { frame, vWin, aWin } = await chatAccepted(alice, visitor, srv.url, '我要退款，订单 8812', lang);
      await sendMessage(aWin, 'Two refunds are on their way');
      await aWin.getByTestId('note-toggle').click();
      await aWin.getByTestId('message-input').fill(NOTE);
      await aWin.getByTestId('send-button').click();
      await expect(aWin.getByTestId('internal-note')).toHaveCount(1);
      await vWin.getByTestId('leave-button').click();

      const address = `vic.${lang.toLowerCase()}@example.org`;
      const form = frame.getByTestId('transcript-email-form');
      await expect(form).toBeVisible();
      await form.getByTestId('transcript-email').fill(address);
      await visitor.screenshot({ path: testInfo.outputPath(`mail-form-${lang}.png`) });
      await form.getByTestId('transcript-email-send').click();
      await expect(frame.getByTestId('transcript-emailed')).toContainText(address);
      await expect(form).toHaveCount(0);
      await visitor.screenshot({ path: testInfo.outputPath(`mail-sent-${lang}.png`) });
      await visitor.setViewportSize({ width: 390, height: 844 });
      await expect(frame.getByTestId('transcript-emailed')).toBeInViewport();
      await visitor.screenshot({ path: testInfo.outputPath(`mail-sent-phone-${lang}.png`) });

      const mail = await mailTo(address);
      expect(mail.subject).toBe(lang === 'en' ? 'Your chat transcript' : '您的聊天记录');
      expect(mail.body).toContain('我要退款，订单 8812');
      expect(mail.body).toContain('Alice Archer: Two refunds are on their way');
      expect(mail.body).not.toContain(NOTE);
    });
  }

  test('an admin gives an agent an address; an offline message is mailed to it', async ({ actors }, testInfo) => {
    const srv = server();
    const root = await actors.newPage('admin root');
    await loginAgent(root, srv.url, ROOT.username, ROOT.password);
    await root.getByTestId('admin-toggle').click();
    const row = root.locator('[data-testid="admin-agent-row"][data-username="alice"]');
    // Not an address: refused with the reason.
    await row.getByTestId('admin-email').fill('alice at example');
    await row.getByTestId('admin-email').evaluate((el) => el.setAttribute('type', 'text'));
    await row.getByTestId('admin-set-email').click();
    await expect(root.getByTestId('error-toast')).toHaveAttribute('data-code', 'invalid_field');
    await row.getByTestId('admin-email').fill('alice@example.com');
    await row.getByTestId('admin-set-email').click();
    await expect(root.getByTestId('admin-notice')).toBeVisible();
    // Kept: the panel shows it after a reload.
    await root.reload();
    await root.getByTestId('admin-toggle').click();
    await expect(row.getByTestId('admin-email')).toHaveValue('alice@example.com');
    await root.screenshot({ path: testInfo.outputPath('mail-team.png') });
    // Nobody online any more: the widget offers the form.
    await root.close();

    const visitor = await actors.newPage('visitor');
    const frame = await openDemo(visitor, srv.url, '/demo/contact');
    const form = await openWidget(frame, frame.getByTestId('offline-form'));
    await form.getByTestId('offline-name').fill('Olivia Offline');
    await form.getByTestId('offline-email').fill('olivia@example.com');
    await form.getByTestId('offline-message').fill('Please call me back about the enterprise plan.');
    await form.getByTestId('offline-submit').click();
    await expect(frame.getByTestId('offline-sent')).toBeVisible();

    const mail = await mailTo('alice@example.com');
    expect(mail.subject).toBe('Offline message from Olivia Offline');
    expect(mail.replyTo).toContain('olivia@example.com');
    expect(mail.body).toContain('Please call me back about the enterprise plan.');
    expect(mail.body).toContain('/demo/contact');
  });
});
