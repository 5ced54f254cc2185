// End-to-end test of the clients' behaviour across a server crash: the server is
// killed with SIGKILL mid-conversation and started again on the same port with the
// same database. Messages sent while it is down stay pending in the sender's window
// and are delivered exactly once, to both sides, once the clients have reconnected.
//
// One server per describe block (fresh SQLite database, presence grace 2 s); the
// visitor and the agent each have their own browser context.
import type { Locator } from '@playwright/test';
import {
  consoleWindow,
  conversationId,
  conversationTab,
  ensureWindowOpen,
  expect,
  expectIncreasing,
  loginAgent,
  messageSeqs,
  messages,
  openDemo,
  sendMessage,
  test,
  useServer,
  type AgentSpec,
} from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };

/**
 * How long the clients may take to reconnect after the restart: their back-off
 * grows from 0.5 s up to 15 s (with jitter), so a retry can be up to 15 s away
 * even after the server is back, plus the time to resume.
 */
const RECONNECT_TIMEOUT = 30_000;

/** The window's `pending-message` elements. */
function pendingMessages(win: Locator): Locator {
  return win.getByTestId('pending-message');
}

/** The window's `message` elements whose text is exactly `text`. */
function messageWithText(win: Locator, text: string): Locator {
  return messages(win).filter({ hasText: new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) });
}

/** Types a message and presses send, without waiting for it to be delivered. */
async function typeAndSend(win: Locator, text: string): Promise<void> {
  await win.getByTestId('message-input').fill(text);
  await win.getByTestId('send-button').click();
}

test.describe('the server crashes and comes back', () => {
  const server = useServer([ALICE], { graceSecs: 2 });

  test('messages typed while the server is down stay pending and are delivered exactly once after it comes back', async ({
    actors,
  }) => {
    test.setTimeout(120_000);
    const srv = server();

    // A visitor starts a chat and Alice accepts it.
    const agent = await actors.newPage('agent alice');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    const status = agent.getByTestId('connection-status');
    await expect(status).toHaveAttribute('data-connected', 'true');

    const visitor = await actors.newPage('visitor');
    const frame = await openDemo(visitor, srv.url);
    const vWin = await ensureWindowOpen(frame);
    const reconnecting = frame.getByTestId('reconnecting');

    const first = 'Hi, is my order on its way?';
    await sendMessage(vWin, first);
    const convId = await conversationId(vWin);
    const queue = agent.getByTestId('queue-item');
    await expect(queue).toHaveCount(1);
    await queue.getByTestId('accept-button').click();
    await expect(conversationTab(agent, convId)).toBeVisible();
    const aWin = consoleWindow(agent, convId);
    await expect(aWin).toBeVisible();
    await expect(messages(aWin)).toHaveText([first]);

    // One message each way while everything is up.
    const reply = 'Let me check that for you.';
    await sendMessage(aWin, reply);
    await expect(messages(vWin)).toHaveText([first, reply]);
    await expect(messages(aWin)).toHaveText([first, reply]);
    await expect(reconnecting).toBeHidden();
    await expect(pendingMessages(vWin)).toHaveCount(0);
    await expect(pendingMessages(aWin)).toHaveCount(0);

    // The server dies without a shutdown: both clients notice.
    await srv.crash();
    await expect(reconnecting).toBeVisible();
    await expect(status).toHaveAttribute('data-connected', 'false');

    // While it is down, each side sends a message: it stays pending in its own window.
    const fromVisitor = 'Hello? Are you still there?';
    const fromAgent = 'Sorry, my connection dropped for a moment.';
    await typeAndSend(vWin, fromVisitor);
    await typeAndSend(aWin, fromAgent);
    await expect(pendingMessages(vWin)).toHaveText([fromVisitor]);
    await expect(pendingMessages(aWin)).toHaveText([fromAgent]);
    await expect(messageWithText(vWin, fromVisitor)).toHaveCount(0);
    await expect(messageWithText(aWin, fromAgent)).toHaveCount(0);
    // Nothing reached the other side either.
    await expect(messages(vWin)).toHaveText([first, reply]);
    await expect(messages(aWin)).toHaveText([first, reply]);
    await expect(reconnecting).toBeVisible();
    await expect(status).toHaveAttribute('data-connected', 'false');

    // The server comes back (same port, same database): both sides reconnect.
    await srv.restart();
    await expect(reconnecting).toBeHidden({ timeout: RECONNECT_TIMEOUT });
    await expect(status).toHaveAttribute('data-connected', 'true', { timeout: RECONNECT_TIMEOUT });

    // The pending items go, and each message shows exactly once on both sides.
    await expect(pendingMessages(vWin)).toHaveCount(0, { timeout: RECONNECT_TIMEOUT });
    await expect(pendingMessages(aWin)).toHaveCount(0, { timeout: RECONNECT_TIMEOUT });
    for (const win of [vWin, aWin]) {
      for (const text of [fromVisitor, fromAgent]) {
        await expect(messageWithText(win, text)).toHaveCount(1, { timeout: RECONNECT_TIMEOUT });
      }
      for (const text of [first, reply]) await expect(messageWithText(win, text)).toHaveCount(1);
      await expect(messages(win)).toHaveCount(4);
      await expect(pendingMessages(win)).toHaveCount(0);
    }
    // The two earlier messages come first; both sides show the same order and numbers.
    await expect(messages(vWin).nth(0)).toHaveText(first);
    await expect(messages(vWin).nth(1)).toHaveText(reply);
    const vTexts = await messages(vWin).allTextContents();
    await expect(messages(aWin)).toHaveText(vTexts);
    const vSeqs = await messageSeqs(vWin);
    expectIncreasing(vSeqs);
    expect(await messageSeqs(aWin)).toEqual(vSeqs);

    // The conversation goes on in both directions.
    const after = 'Your parcel ships tomorrow.';
    await sendMessage(aWin, after);
    await expect(messages(vWin)).toHaveText([...vTexts, after]);
    const thanks = 'Great, thank you!';
    await sendMessage(vWin, thanks);
    await expect(messages(aWin)).toHaveText([...vTexts, after, thanks]);
    await expect(messages(vWin)).toHaveText([...vTexts, after, thanks]);
    for (const win of [vWin, aWin]) {
      for (const text of [first, reply, fromVisitor, fromAgent, after, thanks]) {
        await expect(messageWithText(win, text)).toHaveCount(1);
      }
      await expect(pendingMessages(win)).toHaveCount(0);
    }
    expectIncreasing(await messageSeqs(vWin));
    expect(await messageSeqs(aWin)).toEqual(await messageSeqs(vWin));
  });
});
