// Ratings: when a chat ends the widget asks how it was; the visitor picks good or
// bad, may add a comment, and sends it; the agent sees it below the conversation.
// In Chinese too.
import type { Page } from '@playwright/test';
import {
  conversationId,
  consoleWindow,
  ensureWindowOpen,
  expect,
  loginAgent,
  openDemo,
  sendMessage,
  test,
  useServer,
  widgetFrame,
  type AgentSpec,
} from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };

async function endedChat(agent: Page, visitor: Page, open: () => Promise<void>, first: string) {
  await open();
  const frame = widgetFrame(visitor);
  const vWin = await ensureWindowOpen(frame);
  await sendMessage(vWin, first);
  const id = await conversationId(vWin);
  await agent.locator(`[data-testid="queue-item"][data-conversation-id="${id}"]`).getByTestId('accept-button').click();
  const aWin = consoleWindow(agent, id);
  await expect(aWin).toBeVisible();
  await sendMessage(aWin, 'Happy to help');
  await vWin.getByTestId('leave-button').click();
  await expect(frame.getByTestId('conversation-ended')).toBeVisible();
  return { frame, aWin };
}

test.describe('ratings', () => {
  const server = useServer([ALICE]);

  test('the visitor rates the chat that ended and the agent sees it', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    const { frame, aWin } = await endedChat(agent, visitor, async () => {
      await openDemo(visitor, srv.url);
    }, 'Where is my parcel?');

    const submit = frame.getByTestId('rating-submit');
    await expect(submit).toBeDisabled();
    await frame.getByTestId('rating-bad').click();
    await expect(frame.getByTestId('rating-bad')).toHaveAttribute('aria-pressed', 'true');
    await frame.getByTestId('rating-comment').fill('It took a while');
    await submit.click();
    await expect(frame.getByTestId('rating-thanks')).toHaveText('Thank you for your feedback.');

    const rating = aWin.getByTestId('rating');
    await expect(rating).toHaveAttribute('data-good', 'false');
    await expect(rating).toContainText('rated this chat: bad');
    await expect(rating).toContainText('It took a while');
  });

  test('zh-Hans: asked and shown in Chinese', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await agent.goto(`${srv.url}/console?lang=zh-Hans`);
    await agent.getByTestId('login-username').fill(ALICE.username);
    await agent.getByTestId('login-password').fill(ALICE.password);
    await agent.getByTestId('login-submit').click();
    await expect(agent.getByTestId('status-select')).toBeVisible();
    const visitor = await actors.newPage('visitor');
    const { frame, aWin } = await endedChat(agent, visitor, async () => {
      await visitor.goto(`${srv.url}/demo?lang=zh-Hans`);
    }, '我的包裹在哪里？');
    await expect(frame.getByTestId('rating-good')).toContainText('满意');
    await frame.getByTestId('rating-good').click();
    await frame.getByTestId('rating-submit').click();
    await expect(frame.getByTestId('rating-thanks')).toHaveText('感谢您的反馈。');
    await expect(aWin.getByTestId('rating')).toContainText('评价本次聊天：满意');
  });
});
