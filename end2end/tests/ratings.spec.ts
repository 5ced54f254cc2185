// Ratings: when a chat ends the widget asks how it was; the visitor picks good or
// bad, may add a comment, and sends it; the agent sees it below the conversation.
// In Chinese too.
import type { Page } from '@playwright/test';
import {
  chatAccepted,
  expect,
  loginAgent,
  sendMessage,
  test,
  useServer,
  type AgentSpec,
} from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };

/** Gives the widget a moment to send what it sends as a chat ends; no error shows. */
async function visitorPageSettles(frame: import('@playwright/test').FrameLocator) {
  await new Promise((r) => setTimeout(r, 500));
  await expect(frame.getByTestId('error-toast')).toHaveCount(0);
}

/** A chat `agent` took and answered, which the visitor then left. */
async function endedChat(agent: Page, visitor: Page, url: string, first: string, lang: string) {
  const { frame, vWin, aWin } = await chatAccepted(agent, visitor, url, first, lang);
  await sendMessage(aWin, 'Happy to help');
  await vWin.getByTestId('leave-button').click();
  await expect(frame.getByTestId('conversation-ended')).toBeVisible();
  // Leaving is no error: nothing the window sends as it ends is refused.
  await visitorPageSettles(frame);
  return { frame, aWin };
}

test.describe('ratings', () => {
  const server = useServer([ALICE]);

  test('the visitor rates the chat that ended and the agent sees it', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    const { frame, aWin } = await endedChat(agent, visitor, srv.url, 'Where is my parcel?', 'en');

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
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password, 'zh-Hans');
    const visitor = await actors.newPage('visitor');
    const { frame, aWin } = await endedChat(agent, visitor, srv.url, '我的包裹在哪里？', 'zh-Hans');
    await expect(frame.getByTestId('rating-good')).toContainText('满意');
    await frame.getByTestId('rating-good').click();
    await frame.getByTestId('rating-submit').click();
    await expect(frame.getByTestId('rating-thanks')).toHaveText('感谢您的反馈。');
    await expect(aWin.getByTestId('rating')).toContainText('评价本次聊天：满意');
  });
});
