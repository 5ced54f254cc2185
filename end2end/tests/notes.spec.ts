// Internal notes: an agent switches the compose box to a note, writes for
// colleagues, and the note shows set apart in the console; the visitor in the same
// conversation never sees it, nor that someone is typing it, not even after a
// reload. In Chinese the switch speaks Chinese.
import {
  acceptFromQueue,
  chatAccepted,
  conversationId,
  ensureWindowOpen,
  expect,
  loginAgent,
  messages,
  sendMessage,
  test,
  useServer,
  widgetFrame,
  directWindow,
  withLang,
  type AgentSpec,
} from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
const NOTE = 'Refund approved by finance, tell her tomorrow';

test.describe('internal notes', () => {
  const server = useServer([ALICE]);

  test('a note shows set apart for agents and never reaches the visitor', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    const visitor = await actors.newPage('visitor');
    const { vWin, aWin } = await chatAccepted(agent, visitor, srv.url, 'I was charged twice');

    const toggle = aWin.getByTestId('note-toggle');
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    const input = aWin.getByTestId('message-input');
    await expect(input).toHaveAttribute('placeholder', 'Internal note: only agents see it');
    await input.pressSequentially(NOTE.slice(0, 12));
    // Typing a note is not announced to the visitor.
    await expect(widgetFrame(visitor).getByTestId('typing-indicator')).toBeHidden();
    await input.fill(NOTE);
    await aWin.getByTestId('send-button').click();

    const note = aWin.getByTestId('internal-note');
    await expect(note).toHaveCount(1);
    await expect(note).toContainText(NOTE);
    await expect(note).toHaveAttribute('data-seq', /^\d+$/);
    await expect(aWin.locator('.entry.note .note-badge')).toHaveText('Internal note');

    // Back to a message: it reaches the visitor, the note before it does not.
    await toggle.click();
    await sendMessage(aWin, 'Let me check that for you');
    await expect(messages(vWin).last()).toHaveText('Let me check that for you');
    await expect(widgetFrame(visitor).getByText(NOTE)).toHaveCount(0);
    await expect(vWin.getByTestId('internal-note')).toHaveCount(0);

    // A reload of either side: the agent reads the note back, the visitor still not.
    await visitor.reload();
    const again = directWindow(widgetFrame(visitor));
    await expect(messages(again).last()).toHaveText('Let me check that for you');
    await expect(widgetFrame(visitor).getByText(NOTE)).toHaveCount(0);
    await agent.reload();
    await expect(agent.getByTestId('internal-note')).toContainText(NOTE);
  });

  test('zh-Hans: the switch and the mark are in Chinese', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password, 'zh-Hans');
    const visitor = await actors.newPage('visitor');
    await visitor.goto(`${srv.url}${withLang('/demo', 'zh-Hans')}`);
    const vWin = await ensureWindowOpen(widgetFrame(visitor));
    await sendMessage(vWin, '我要退款');
    const aWin = await acceptFromQueue(agent, await conversationId(vWin));
    await expect(aWin.getByTestId('note-toggle')).toHaveText('备注');
    await aWin.getByTestId('note-toggle').click();
    await aWin.getByTestId('message-input').fill('财务已批准');
    await aWin.getByTestId('send-button').click();
    await expect(aWin.getByTestId('internal-note')).toContainText('财务已批准');
    await expect(aWin.locator('.entry.note .note-badge')).toHaveText('内部备注');
  });
});
