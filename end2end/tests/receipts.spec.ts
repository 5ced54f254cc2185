// Read receipts: each participant's "seen up to" position is stored and shown. In
// a chat the visitor sees that the agent read the message and the agent that the
// visitor did; in a group the writer sees who of the group has read. Kept across
// a reload. In Chinese too.
import {
  chatAccepted,
  consoleWindow,
  expect,
  loginAgent,
  messages,
  openDemo,
  sendMessage,
  test,
  useServer,
  widgetFrame,
  type AgentSpec,
} from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
const BOB: AgentSpec = { username: 'bob', name: 'Bob Baker', password: 'bob-pass-5678' };

async function lastSeq(win: import('@playwright/test').Locator): Promise<number> {
  return Number(await messages(win).last().getAttribute('data-seq'));
}

test.describe('read receipts', () => {
  const server = useServer([ALICE, BOB]);

  test('in a chat each side sees that the other read it, after a reload too', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    const { frame, vWin, aWin } = await chatAccepted(alice, visitor, srv.url, 'Is the Team plan monthly?');

    // Alice's window shows the message: the visitor sees it was read.
    const vSeen = vWin.getByTestId('seen-indicator');
    await expect(vSeen).toHaveText('Seen');
    expect(Number(await vSeen.getAttribute('data-seq'))).toBeGreaterThanOrEqual(await lastSeq(vWin));

    // Alice answers; the visitor's open window shows it: Alice sees it was read.
    await sendMessage(aWin, 'Monthly or yearly, as you like.');
    const aSeen = aWin.getByTestId('seen-indicator');
    await expect(aSeen).toHaveText('Seen');
    await expect(aSeen).toHaveAttribute('data-seq', String(await lastSeq(aWin)));
    // The visitor's newest message is older than what Alice saw: still seen.
    await expect(vSeen).toHaveText('Seen');

    // A new message the agent has not seen yet: no receipt for it until she has.
    await alice.getByTestId('history-open').click();
    await sendMessage(vWin, 'And is there a discount?');
    await expect(vSeen).toHaveCount(0);
    await alice.getByTestId('view-chats').click();
    await expect(vSeen).toHaveText('Seen');

    // Kept: a reload of either side shows the receipts again.
    await alice.reload();
    await expect(consoleWindow(alice, await vWin.getAttribute('data-conversation-id') ?? '').getByTestId('seen-indicator')).toBeVisible();
    await visitor.reload();
    await expect(widgetFrame(visitor).getByTestId('chat-window').getByTestId('seen-indicator')).toHaveText('Seen');
    void frame;
  });

  test('in a group the writer sees who has read; in Chinese', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password, 'zh-Hans');
    const bob = await actors.newPage('bob');
    await loginAgent(bob, srv.url, BOB.username, BOB.password);
    const visitor = await actors.newPage('visitor');
    const frame = await openDemo(visitor, srv.url, '/demo/pricing', 'zh-Hans');
    await expect(frame.getByTestId('chat-launcher')).toBeVisible();

    // Alice asks the visitor and Bob into one conversation; both agree.
    await alice.getByTestId('visitor-row').filter({ hasText: '/demo/pricing' }).getByTestId('select-checkbox').check();
    await alice.getByTestId('agent-row').filter({ hasText: BOB.name }).getByTestId('select-checkbox').check();
    await alice.getByTestId('invite-button').click();
    await frame.getByTestId('invitation-agree').click();
    await bob.getByTestId('invitation-agree').click();
    const vWin = frame.getByTestId('chat-window');
    const bWin = bob.getByTestId('chat-window');
    await expect(vWin).toHaveAttribute('data-kind', 'group');
    const id = (await vWin.getAttribute('data-conversation-id'))!;
    const aWin = consoleWindow(alice, id);
    await expect(aWin).toBeVisible();

    await sendMessage(aWin, '两位好！');
    await expect(messages(vWin).last()).toHaveText('两位好！');
    await expect(messages(bWin).last()).toHaveText('两位好！');
    const seen = aWin.getByTestId('seen-indicator');
    await expect(seen).toContainText('已读');
    await expect(seen).toContainText('Bob Baker');
    await expect(seen).toContainText('访客');
  });
});
