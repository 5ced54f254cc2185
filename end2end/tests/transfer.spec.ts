// Transfer: Alice hands a chat to Bob with a note of why; Bob gets it with its
// whole history, the visitor sees who answers now and never the note, Alice is
// out of it. Agents who are not online are not offered. Bob then passes it back
// to the queue, where the next agent takes it. In Chinese too.
import type { Page } from '@playwright/test';
import {
  chatAccepted,
  consoleWindow,
  conversationTab,
  expect,
  loginAgent,
  messages,
  sendMessage,
  setStatus,
  test,
  useServer,
  widgetFrame,
  type AgentSpec,
} from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
const BOB: AgentSpec = { username: 'bob', name: 'Bob Baker', password: 'bob-pass-5678' };
const CAROL: AgentSpec = { username: 'carol', name: 'Carol Chen', password: 'carol-pass-9012' };
const WHY = 'Invoice question: Bob handles billing';

async function agentId(page: Page, name: string): Promise<string> {
  const row = page.getByTestId('agent-row').filter({ hasText: name });
  await expect(row).toBeVisible();
  return (await row.getAttribute('data-agent-id'))!;
}

test.describe('transfer', () => {
  const server = useServer([ALICE, BOB, CAROL]);

  test('a chat handed to a colleague keeps its history, and goes back to the queue', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password);
    const bob = await actors.newPage('bob');
    await loginAgent(bob, srv.url, BOB.username, BOB.password);
    const carol = await actors.newPage('carol');
    await loginAgent(carol, srv.url, CAROL.username, CAROL.password);
    await setStatus(carol, 'away');
    const visitor = await actors.newPage('visitor');
    const { frame, vWin, aWin, id } = await chatAccepted(alice, visitor, srv.url, 'My invoice shows the wrong address');
    await sendMessage(aWin, 'Let me find the right person');

    const bobId = await agentId(alice, BOB.name);
    const carolId = await agentId(alice, CAROL.name);
    await expect(alice.locator(`[data-testid="agent-row"][data-agent-id="${carolId}"]`)).toHaveAttribute('data-status', 'away');
    // The button opens the panel and closes it again.
    const transferButton = aWin.locator('..').getByTestId('transfer-button');
    await transferButton.click();
    await expect(alice.locator('.transfer-panel')).toBeVisible();
    await transferButton.click();
    await expect(alice.locator('.transfer-panel')).toHaveCount(0);
    await transferButton.click();
    await expect(alice.locator(`[data-testid="transfer-option"][data-agent-id="${carolId}"]`)).toHaveCount(0);
    await alice.getByTestId('transfer-reason').fill(WHY);
    await alice.locator(`[data-testid="transfer-option"][data-agent-id="${bobId}"]`).click();

    // The visitor is told who answers now; the note of why never reaches them.
    const notice = vWin.getByTestId('system-notice').filter({ hasText: 'Bob Baker' });
    await expect(notice).toHaveText('Alice Archer passed the conversation to Bob Baker, who answers from now on');
    await expect(frame.getByText(WHY)).toHaveCount(0);
    // Alice is out of it.
    await expect(consoleWindow(alice, id)).toHaveAttribute('data-ended', 'true');

    // Bob has it, with everything before and the note.
    await conversationTab(bob, id).click();
    const bWin = consoleWindow(bob, id);
    await expect(messages(bWin).first()).toHaveText('My invoice shows the wrong address');
    await expect(bWin.getByTestId('internal-note')).toContainText(WHY);
    await sendMessage(bWin, 'Bob here: which address should it be?');
    await expect(messages(vWin).last()).toHaveText('Bob here: which address should it be?');

    // Back to the queue: every console sees it waiting, the visitor too.
    await bob.getByTestId('transfer-button').click();
    await bob.locator('[data-testid="transfer-option"][data-queue="true"]').click();
    await expect(frame.getByTestId('queue-status')).toBeVisible();
    const waiting = alice.locator(`[data-testid="queue-item"][data-conversation-id="${id}"]`);
    await expect(waiting).toBeVisible();
    await expect(consoleWindow(bob, id)).toHaveAttribute('data-ended', 'true');
    await waiting.getByTestId('accept-button').click();
    await expect(consoleWindow(alice, id)).toHaveAttribute('data-ended', 'false');
    await sendMessage(consoleWindow(alice, id), 'Back with you');
    await expect(messages(vWin).last()).toHaveText('Back with you');
    await expect(widgetFrame(visitor).getByTestId('queue-status')).toBeHidden();
  });

  test('zh-Hans: the panel and the notice are in Chinese', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password, 'zh-Hans');
    const bob = await actors.newPage('bob');
    await loginAgent(bob, srv.url, BOB.username, BOB.password, 'zh-Hans');
    const visitor = await actors.newPage('visitor');
    const { vWin, aWin } = await chatAccepted(alice, visitor, srv.url, '发票地址错了', 'zh-Hans');
    const bobId = await agentId(alice, BOB.name);
    await expect(alice.getByTestId('transfer-button')).toHaveText('转接');
    await aWin.locator('..').getByTestId('transfer-button').click();
    await expect(alice.getByText('原因（仅客服可见）')).toBeVisible();
    await expect(alice.getByText('放回等待队列')).toBeVisible();
    await alice.locator(`[data-testid="transfer-option"][data-agent-id="${bobId}"]`).click();
    await expect(vWin.getByTestId('system-notice').filter({ hasText: 'Bob Baker' })).toHaveText(
      'Alice Archer 已将会话转给 Bob Baker，由其继续为您服务',
    );
  });
});
