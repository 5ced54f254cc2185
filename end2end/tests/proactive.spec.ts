// Proactive invitations, automated: an admin keeps a rule in the console (the
// demo site's pricing page, two seconds on it, a greeting); a visitor who stays
// that long on the pricing page sees the widget open by itself with an
// invitation from the online agent and the greeting; accepting opens the chat
// with the greeting as the agent's first message, and the agent's conversation
// names the rule in a note only agents read. The home page invites nobody; a
// bad rule is refused with its field named.
import {
  consoleWindow, conversationTab, expect, loginAgent, openDemo, setStatus, test, useServer, type AgentSpec,
} from './support/ui';

const ADMIN: AgentSpec = { username: 'root', name: 'Rita Admin', password: 'rita-pass-1234', role: 'admin' };
const ANN: AgentSpec = { username: 'ann', name: 'Ann Lee', password: 'ann-pass-1234' };

for (const lang of ['en', 'zh-Hans'] as const) {
  test.describe(`proactive invitations (${lang})`, () => {
    const server = useServer([ADMIN, ANN]);

    test('a rule invites a visitor on its page with a greeting, and agents see which rule', async ({ actors }, info) => {
      test.setTimeout(120_000);
      const srv = server();
      const words = lang === 'en'
        ? { name: 'Pricing page, 2 s', greeting: 'Comparing plans?\nI can help you choose.' }
        : { name: '价格页，2 秒', greeting: '在比较套餐吗？\n我可以帮您选择。' };
      const admin = await actors.newPage('admin');
      await admin.setViewportSize({ width: 1280, height: 900 });
      await loginAgent(admin, srv.url, ADMIN.username, ADMIN.password, lang);
      await admin.getByTestId('admin-toggle').click();
      const panel = admin.getByTestId('rules-panel');
      await expect(panel).toBeVisible();

      // No greeting: refused, the field named.
      await panel.getByTestId('rule-add-id').fill('pricing');
      await panel.getByTestId('rule-add-name').fill(words.name);
      await panel.getByTestId('rule-add-pattern').fill('*/demo/pricing*');
      await panel.getByTestId('rule-add-seconds').fill('2');
      await panel.getByTestId('rule-add-greeting').fill('   ');
      await panel.getByTestId('rule-add-greeting').evaluate((t: HTMLTextAreaElement) => t.removeAttribute('required'));
      await panel.getByTestId('rule-add-submit').click();
      await expect(panel.getByTestId('error-toast')).toHaveAttribute('data-code', 'invalid_field');
      await expect(panel.getByTestId('error-toast')).toContainText('greeting');
      await panel.getByTestId('rule-add-greeting').fill(words.greeting);
      await panel.getByTestId('rule-add-submit').click();
      const row = panel.locator('[data-testid="rule-row"][data-rule="pricing"]');
      await expect(row).toBeVisible();
      await expect(row.getByTestId('rule-pattern')).toHaveValue('*/demo/pricing*');
      await expect(row.getByTestId('rule-seconds')).toHaveValue('2');
      await expect(row.getByTestId('rule-enabled')).toBeChecked();
      await row.scrollIntoViewIfNeeded();
      await admin.screenshot({ path: info.outputPath(`rules-${lang}.png`), fullPage: true });
      await admin.setViewportSize({ width: 390, height: 844 });
      await row.getByTestId('rule-save').scrollIntoViewIfNeeded();
      await expect(row.getByTestId('rule-save')).toBeInViewport();
      await admin.screenshot({ path: info.outputPath(`rules-phone-${lang}.png`) });

      // The admin steps away: Ann, online, sends the rule's invitations.
      await admin.setViewportSize({ width: 1280, height: 900 });
      await setStatus(admin, 'away');
      const ann = await actors.newPage('ann');
      await ann.setViewportSize({ width: 1280, height: 800 });
      await loginAgent(ann, srv.url, ANN.username, ANN.password, lang);

      // The home page matches no rule.
      const browsing = await actors.newPage('visitor at home');
      const home = await openDemo(browsing, srv.url, '/demo', lang);

      // Two seconds on the pricing page: the widget opens with the invitation.
      const visitor = await actors.newPage('visitor');
      await visitor.setViewportSize({ width: 1280, height: 800 });
      const frame = await openDemo(visitor, srv.url, '/demo/pricing', lang);
      const card = frame.getByTestId('invitation');
      await expect(card).toBeVisible({ timeout: 15_000 });
      await expect(card.getByTestId('invitation-greeting')).toHaveText(words.greeting);
      await expect(card).toContainText(ANN.name);
      await visitor.screenshot({ path: info.outputPath(`proactive-invitation-${lang}.png`) });
      const id = await card.getAttribute('data-conversation-id');
      expect(id).toBeTruthy();

      await card.getByTestId('invitation-agree').click();
      const win = frame.locator('[data-testid="chat-window"][data-kind="group"]');
      await expect(win).toBeVisible();
      await expect(win.getByTestId('message').filter({ hasText: words.greeting.split('\n')[0] })).toBeVisible();
      await visitor.screenshot({ path: info.outputPath(`proactive-accepted-${lang}.png`) });

      // Ann's console: the conversation, with the note naming the rule.
      await conversationTab(ann, id!).click();
      const agentWin = consoleWindow(ann, id!);
      await expect(agentWin.getByTestId('internal-note')).toContainText(words.name);
      await ann.screenshot({ path: info.outputPath(`proactive-console-${lang}.png`) });

      // A phone: the invitation fills the screen, readable.
      const phone = await actors.newPage('visitor on a phone');
      await phone.setViewportSize({ width: 390, height: 844 });
      const phoneFrame = await openDemo(phone, srv.url, '/demo/pricing', lang);
      await expect(phoneFrame.getByTestId('invitation-greeting')).toBeVisible({ timeout: 15_000 });
      await expect(phoneFrame.getByTestId('invitation-agree')).toBeInViewport();
      await phone.screenshot({ path: info.outputPath(`proactive-invitation-phone-${lang}.png`) });

      await expect(home.getByTestId('invitation')).toHaveCount(0);
    });
  });
}
