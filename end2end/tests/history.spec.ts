// History and search: a chat that ended stays findable. The agent opens the
// history, finds last week's conversation by a word in it (退款 finds 我要退款,
// "refund" finds "refunds"), reads it back with its notes and rating, narrows the
// list by rating and visitor, and sees the visitor's earlier conversations beside
// the next chat. Visitors cannot search. In Chinese too.
import type { Page } from '@playwright/test';
import {
  chatAccepted,
  consoleWindow,
  conversationId,
  expect,
  loginAgent,
  sendMessage,
  test,
  useServer,
  acceptFromQueue,
  type AgentSpec,
} from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };

/** A chat the visitor ended and rated good: their words, a reply and a note. */
async function pastChat(agent: Page, visitor: Page, url: string, lang = 'en') {
  const { frame, vWin, aWin, id } = await chatAccepted(agent, visitor, url, '我要退款，订单 8812', lang);
  await sendMessage(aWin, 'Two refunds are on their way');
  await aWin.getByTestId('note-toggle').click();
  await aWin.getByTestId('message-input').fill('Finance approved order 8812');
  await aWin.getByTestId('send-button').click();
  await expect(aWin.getByTestId('internal-note')).toHaveCount(1);
  await aWin.getByTestId('note-toggle').click();
  await vWin.getByTestId('leave-button').click();
  await frame.getByTestId('rating-good').click();
  await frame.getByTestId('rating-comment').fill('Very quick');
  await frame.getByTestId('rating-submit').click();
  await expect(frame.getByTestId('rating-thanks')).toBeVisible();
  await expect(aWin.getByTestId('rating')).toBeVisible();
  return { frame, id };
}

test.describe('history and search', () => {
  const server = useServer([ALICE]);

  test('a past chat is found by a word in it and read back with its note and rating', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    const { frame, id } = await pastChat(agent, visitor, srv.url);

    await agent.getByTestId('history-open').click();
    const item = agent.locator(`[data-testid="history-item"][data-conversation-id="${id}"]`);
    await expect(item).toContainText('我要退款');
    await expect(item).toContainText('Rated good');

    // Chinese by its characters: two of them find the visitor's sentence.
    const search = agent.getByTestId('search-input');
    await search.fill('退款');
    const results = agent.locator(`[data-testid="search-result"][data-conversation-id="${id}"]`);
    await expect(results).toHaveCount(1);
    await expect(results.first()).toHaveAttribute('data-seq', '1');
    await expect(results.first()).toContainText('我要退款');

    // English by the start of a word; notes are found by agents, marked as notes.
    await search.fill('refund');
    await expect(results).toHaveCount(1);
    await expect(results.first()).toContainText('Two refunds are on their way');
    await search.fill('8812');
    await expect(results).toHaveCount(2);
    const noteHit = agent.locator('[data-testid="search-result"].note');
    await expect(noteHit).toContainText('Finance approved');
    await noteHit.click();

    const past = agent.getByTestId('past-conversation');
    await expect(past).toHaveAttribute('data-conversation-id', id);
    await expect(past.getByTestId('message')).toHaveCount(2);
    await expect(past.getByTestId('internal-note')).toContainText('Finance approved order 8812');
    await expect(past.locator('li[data-found="true"]')).toContainText('Finance approved');
    await expect(past.getByTestId('rating')).toContainText('Very quick');

    await search.fill('nothing like this');
    await expect(agent.getByTestId('search-result')).toHaveCount(0);
    await expect(agent.getByText('No messages match.')).toBeVisible();

    // Filters: by rating, and by part of the visitor's name.
    await search.fill('');
    await agent.getByTestId('history-rating').selectOption('bad');
    await expect(agent.getByText('No conversations match.')).toBeVisible();
    await agent.getByTestId('history-rating').selectOption('good');
    await expect(item).toBeVisible();
    await agent.getByTestId('history-visitor').fill('nobody by that name');
    await expect(item).toBeHidden();
    await agent.getByTestId('history-visitor').fill('');
    await expect(item).toBeVisible();

    // The visitor's next chat: the first one is listed beside it, and opens.
    await frame.getByTestId('start-new-chat').click();
    const vWin = frame.getByTestId('chat-window');
    await sendMessage(vWin, 'Me again');
    const second = await conversationId(vWin);
    await agent.getByTestId('view-chats').click();
    const aWin = await acceptFromQueue(agent, second);
    await expect(aWin).toBeVisible();
    const earlier = agent.locator(`[data-testid="earlier-chat"][data-conversation-id="${id}"]`);
    await expect(earlier).toContainText('我要退款');
    await expect(agent.locator(`[data-testid="earlier-chat"][data-conversation-id="${second}"]`)).toHaveCount(0);
    await earlier.click();
    await expect(agent.getByTestId('past-conversation')).toHaveAttribute('data-conversation-id', id);
    await agent.getByTestId('view-chats').click();
    await expect(consoleWindow(agent, second)).toBeVisible();

    // Visitors search nothing: from a page of the server but without an agent's
    // session, the server refuses.
    const answer = await visitor.request.post(`${srv.url}/api/search`, {
      data: { query: '退款', filter: {} },
      headers: { origin: srv.url },
    });
    expect(answer.status(), await answer.text()).toBe(401);
    expect(await answer.text()).not.toContain('退款');
  });

  test('zh-Hans: the history speaks Chinese', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password, 'zh-Hans');
    const visitor = await actors.newPage('visitor');
    const { id } = await pastChat(agent, visitor, srv.url, 'zh-Hans');
    await expect(agent.getByTestId('history-open')).toHaveText('历史记录');
    await agent.getByTestId('history-open').click();
    await expect(agent.getByTestId('search-input')).toHaveAttribute('placeholder', /退款/);
    const item = agent.locator(`[data-testid="history-item"][data-conversation-id="${id}"]`);
    await expect(item).toContainText('已结束');
    await expect(item).toContainText('好评');
    await agent.getByTestId('search-input').fill('退款');
    // The server is shared with the other test: look for this chat's result.
    await expect(agent.locator(`[data-testid="search-result"][data-conversation-id="${id}"]`)).toHaveCount(1);
    await agent.getByTestId('search-input').fill('没有这个');
    await expect(agent.getByText('没有符合的消息。')).toBeVisible();
  });
});
