// Canned replies: an admin keeps a shared reply, an agent adds one of her own;
// typing "/" and a shortcut in the message box offers them, a click (or Enter on
// the exact shortcut) puts the reply in the box with the visitor's and the agent's
// names filled in, and the agent sends it. In Chinese too, with Chinese
// placeholders.
import {
  chatAccepted,
  expect,
  loginAgent,
  messages,
  test,
  useServer,
  type AgentSpec,
} from './support/ui';

const ADA: AgentSpec = { username: 'ada', name: 'Ada Admin', password: 'ada-pass-12345', role: 'admin' };
const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };

test.describe('canned replies', () => {
  const server = useServer([ADA, ALICE]);

  test('shared and personal replies, offered by a slash, names filled in', async ({ actors }) => {
    const srv = server();
    // The admin adds a reply for the whole team.
    const ada = await actors.newPage('ada');
    await loginAgent(ada, srv.url, ADA.username, ADA.password);
    const visitor0 = await actors.newPage('visitor0');
    const first = await chatAccepted(ada, visitor0, srv.url, 'hello');
    await first.aWin.getByTestId('canned-button').click();
    await ada.getByTestId('canned-new-shortcut').fill('thanks');
    await ada.getByTestId('canned-new-text').fill('Thank you for waiting, {visitor}. {agent} here.');
    await ada.getByTestId('canned-new-shared').check();
    await ada.getByTestId('canned-new-save').click();
    await expect(ada.locator('[data-testid="canned-item"][data-shortcut="thanks"]')).toBeVisible();

    // Another agent sees it, and adds her own.
    const alice = await actors.newPage('alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    const { vWin, aWin } = await chatAccepted(alice, visitor, srv.url, 'Where is my refund?');
    await expect(alice.getByTestId('canned-new-shared')).toHaveCount(0);
    await aWin.getByTestId('canned-button').click();
    await expect(alice.locator('[data-testid="canned-item"][data-shortcut="thanks"]')).toContainText('team');
    await alice.getByTestId('canned-new-shortcut').fill('refund');
    await alice.getByTestId('canned-new-text').fill('Refunds reach your card within 3 days.');
    await alice.getByTestId('canned-new-save').click();
    await expect(alice.locator('[data-testid="canned-item"][data-shortcut="refund"]')).toBeVisible();
    await aWin.getByTestId('canned-button').click();
    await expect(alice.getByTestId('canned-panel')).toHaveCount(0);

    // "/th" offers the shared reply; a click fills it in with the names.
    const input = aWin.getByTestId('message-input');
    await input.fill('/th');
    const offered = alice.getByTestId('canned-item');
    await expect(offered).toHaveCount(1);
    await expect(offered).toHaveAttribute('data-shortcut', 'thanks');
    await offered.click();
    const visitorName = (await alice.getByTestId('detail-participant').filter({ hasText: 'Visitor' }).locator('.name').textContent())!.trim();
    await expect(input).toHaveValue(`Thank you for waiting, ${visitorName}. Alice Archer here.`);
    await aWin.getByTestId('send-button').click();
    await expect(messages(vWin).last()).toHaveText(`Thank you for waiting, ${visitorName}. Alice Archer here.`);

    // Enter on an exact shortcut puts the reply in the box; a second Enter sends it.
    await input.fill('/refund');
    await input.press('Enter');
    await expect(input).toHaveValue('Refunds reach your card within 3 days.');
    await input.press('Enter');
    await expect(messages(vWin).last()).toHaveText('Refunds reach your card within 3 days.');
    // Nothing starting so: said so, and sent as typed.
    await input.fill('/nothing');
    await expect(alice.getByText('No canned reply starts so.')).toBeVisible();

    // Her own reply is hers: the admin does not see it.
    await ada.getByTestId('message-input').first().fill('/');
    await expect(ada.locator('[data-testid="canned-item"][data-shortcut="refund"]')).toHaveCount(0);
    await expect(ada.locator('[data-testid="canned-item"][data-shortcut="thanks"]')).toBeVisible();
  });

  test('zh-Hans: the list speaks Chinese and Chinese placeholders work', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password, 'zh-Hans');
    const visitor = await actors.newPage('visitor');
    const { vWin, aWin } = await chatAccepted(alice, visitor, srv.url, '我要退款', 'zh-Hans');
    await aWin.getByTestId('canned-button').click();
    await expect(alice.getByText('添加个人快捷回复')).toBeVisible();
    await alice.getByTestId('canned-new-shortcut').fill('退款');
    await alice.getByTestId('canned-new-text').fill('{访客}您好，我是{客服}，退款将在 3 天内到账。');
    await alice.getByTestId('canned-new-save').click();
    await aWin.getByTestId('canned-button').click();
    const input = aWin.getByTestId('message-input');
    await input.fill('/退');
    await alice.locator('[data-testid="canned-item"][data-shortcut="退款"]').click();
    await expect(input).toHaveValue(/^访客 \d{4}您好，我是Alice Archer，退款将在 3 天内到账。$/);
    await aWin.getByTestId('send-button').click();
    await expect(messages(vWin).last()).toContainText('退款将在 3 天内到账');
  });
});
