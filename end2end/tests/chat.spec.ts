// End-to-end tests of the visitor widget and the agent console, driven through the
// hooks in shared/E2E-HOOKS.md. Every describe block starts its own server (fresh
// SQLite database, presence grace 2 s) so that no queue item, visitor or agent
// status leaks from one scenario into another; each visitor and each agent gets
// its own browser context.
import {
  agentStatusIn,
  clickTogether,
  consoleWindow,
  conversationId,
  conversationTab,
  directWindow,
  ensureWindowClosed,
  ensureWindowOpen,
  expect,
  expectIncreasing,
  loginAgent,
  messageSeqs,
  messages,
  openDemo,
  openWidget,
  sendMessage,
  setStatus,
  test,
  useServer,
  type AgentSpec,
} from './support/ui';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
const BOB: AgentSpec = { username: 'bob', name: 'Bob Baker', password: 'bob-pass-5678', role: 'admin' };

test.describe('a visitor chats with an agent', () => {
  const server = useServer([ALICE]);

  test('visitor starts a chat, the agent accepts it, messages and typing go both ways', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent alice');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    await expect(agent.getByTestId('status-select')).toHaveValue('online');

    const visitor = await actors.newPage('visitor');
    const frame = await openDemo(visitor, srv.url);
    const vWin = await ensureWindowOpen(frame);
    await expect(vWin).toHaveAttribute('data-kind', 'direct');
    await expect(frame.getByTestId('offline-form')).toHaveCount(0);

    const first = 'Hello, I have a question about order 1234';
    await sendMessage(vWin, first);
    const convId = await conversationId(vWin);

    // The chat waits in the queue until the agent accepts it.
    const queue = agent.getByTestId('queue-item');
    await expect(queue).toHaveCount(1);
    await queue.getByTestId('accept-button').click();
    await expect(queue).toHaveCount(0);
    await expect(conversationTab(agent, convId)).toBeVisible();
    const aWin = consoleWindow(agent, convId);
    await expect(aWin).toBeVisible();
    await expect(aWin).toHaveAttribute('data-kind', 'direct');
    await expect(messages(aWin)).toHaveText([first]);

    // Agent types (the visitor sees it), then sends.
    const reply = 'Hi! Let me look that up for you.';
    await aWin.getByTestId('message-input').pressSequentially('Hi! Let me', { delay: 30 });
    await expect(vWin.getByTestId('typing-indicator')).toBeVisible();
    await aWin.getByTestId('message-input').fill(reply);
    await aWin.getByTestId('send-button').click();
    await expect(messages(vWin)).toHaveText([first, reply]);
    await expect(vWin.getByTestId('typing-indicator')).toBeHidden();

    // Visitor types (the agent sees it), then sends.
    const second = 'Thanks, I ordered it last Tuesday.';
    await vWin.getByTestId('message-input').pressSequentially('Thanks, I', { delay: 30 });
    await expect(aWin.getByTestId('typing-indicator')).toBeVisible();
    await vWin.getByTestId('message-input').fill(second);
    await vWin.getByTestId('send-button').click();
    await expect(messages(aWin)).toHaveText([first, reply, second]);
    await expect(messages(vWin)).toHaveText([first, reply, second]);
    await expect(aWin.getByTestId('typing-indicator')).toBeHidden();

    // Both sides number the messages the same way, in increasing order.
    const vSeqs = await messageSeqs(vWin);
    expectIncreasing(vSeqs);
    expect(await messageSeqs(aWin)).toEqual(vSeqs);

    // A message arriving while the widget is closed shows an unread badge.
    await ensureWindowClosed(frame);
    await expect(frame.getByTestId('unread-badge')).toBeHidden();
    const third = 'Found it: your parcel ships tomorrow.';
    await sendMessage(aWin, third);
    await expect(frame.getByTestId('unread-badge')).toBeVisible();
    await ensureWindowOpen(frame);
    await expect(messages(vWin)).toHaveText([first, reply, second, third]);
    await expect(frame.getByTestId('unread-badge')).toBeHidden();
  });
});

test.describe('a conversation survives navigation', () => {
  const server = useServer([ALICE]);

  test('going to another page and reloading keep the conversation and its history', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent alice');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);

    const visitor = await actors.newPage('visitor');
    let frame = await openDemo(visitor, srv.url, '/demo');
    let vWin = await ensureWindowOpen(frame);
    const history = ['Hi, I am on your home page.'];
    await sendMessage(vWin, history[0]);
    const convId = await conversationId(vWin);

    const queue = agent.getByTestId('queue-item');
    await expect(queue).toHaveCount(1);
    await queue.getByTestId('accept-button').click();
    const aWin = consoleWindow(agent, convId);
    await expect(aWin).toBeVisible();
    history.push('Welcome! How can I help?');
    await sendMessage(aWin, history[1]);
    await expect(messages(vWin)).toHaveText(history);

    // The console shows the visitor, in a chat, on /demo.
    const row = agent.getByTestId('visitor-row');
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-in-chat', 'true');
    await expect(row).toContainText('/demo');

    // Another page of the site: same conversation, same history.
    frame = await openDemo(visitor, srv.url, '/demo/pricing');
    vWin = await ensureWindowOpen(frame);
    await expect(vWin).toHaveAttribute('data-conversation-id', convId);
    await expect(messages(vWin)).toHaveText(history);
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('/demo/pricing');
    await expect(row).toHaveAttribute('data-in-chat', 'true');

    history.push('Now I am looking at your prices.');
    await sendMessage(vWin, history[2]);
    await expect(messages(aWin)).toHaveText(history);

    // A reload: same conversation, same history, and it still works both ways.
    await visitor.reload();
    vWin = await ensureWindowOpen(frame);
    await expect(vWin).toHaveAttribute('data-conversation-id', convId);
    await expect(messages(vWin)).toHaveText(history);

    history.push('The yearly plan is 20% cheaper.');
    await sendMessage(aWin, history[3]);
    await expect(messages(vWin)).toHaveText(history);
    history.push('Great, thank you!');
    await sendMessage(vWin, history[4]);
    await expect(messages(aWin)).toHaveText(history);

    const vSeqs = await messageSeqs(vWin);
    expectIncreasing(vSeqs);
    expect(await messageSeqs(aWin)).toEqual(vSeqs);
  });
});

test.describe('visitor presence', () => {
  const server = useServer([ALICE], { graceSecs: 2 });

  test('a visitor appears with the current page and disappears after the grace period', async ({ actors }) => {
    const srv = server();
    const agent = await actors.newPage('agent alice');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    const rows = agent.getByTestId('visitor-row');
    await expect(rows).toHaveCount(0);

    const visitor = await actors.newPage('visitor');
    await openDemo(visitor, srv.url, '/demo/pricing');
    const pricingTitle = await visitor.title();
    await expect(rows).toHaveCount(1);
    await expect(rows).toContainText('/demo/pricing');
    if (pricingTitle) await expect(rows).toContainText(pricingTitle);
    await expect(rows).toHaveAttribute('data-in-chat', 'false');

    // The row follows the visitor to another page (one row, not two).
    await openDemo(visitor, srv.url, '/demo/contact');
    const contactTitle = await visitor.title();
    await expect(rows.first()).toContainText('/demo/contact');
    if (contactTitle) await expect(rows.first()).toContainText(contactTitle);
    await expect(rows).toHaveCount(1);

    // A single-page site changes its URL without a reload and tells the loader.
    await visitor.evaluate(() => {
      history.pushState({}, '', '/demo/contact/step-2');
      document.title = 'Contact: step 2';
      (window as unknown as { LiveChat: { pageView(): void } }).LiveChat.pageView();
    });
    await expect(rows.first().locator('.page-url')).toHaveText(/\/demo\/contact\/step-2$/);
    await expect(rows.first().locator('.page-title')).toHaveText('Contact: step 2');
    await expect(rows).toHaveCount(1);

    // Closing the page: still listed right away (grace period), gone after it.
    await visitor.context().close();
    expect(await rows.count()).toBe(1);
    await expect(rows).toHaveCount(0, { timeout: 15_000 });
  });
});

test.describe('two agents accept the same chat', () => {
  const server = useServer([ALICE, BOB]);

  test('exactly one agent gets the conversation, the other sees an error', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('agent alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password);
    const bob = await actors.newPage('agent bob');
    await loginAgent(bob, srv.url, BOB.username, BOB.password);

    const visitor = await actors.newPage('visitor');
    const frame = await openDemo(visitor, srv.url);
    const vWin = await ensureWindowOpen(frame);
    const first = 'Can somebody help me with an invoice?';
    await sendMessage(vWin, first);
    const convId = await conversationId(vWin);

    const queueA = alice.getByTestId('queue-item');
    const queueB = bob.getByTestId('queue-item');
    await expect(queueA).toHaveCount(1);
    await expect(queueB).toHaveCount(1);

    await clickTogether(queueA.getByTestId('accept-button'), queueB.getByTestId('accept-button'));

    const tabA = conversationTab(alice, convId);
    const tabB = conversationTab(bob, convId);
    await expect.poll(async () => (await tabA.count()) + (await tabB.count())).toBe(1);
    const aliceWon = (await tabA.count()) === 1;
    const [winner, loser] = aliceWon ? [alice, bob] : [bob, alice];
    const winnerName = aliceWon ? ALICE.name : BOB.name;

    await expect(loser.getByTestId('error-toast')).toBeVisible();
    await expect(conversationTab(loser, convId)).toHaveCount(0);
    await expect(consoleWindow(loser, convId)).toHaveCount(0);
    await expect(conversationTab(winner, convId)).toHaveCount(1);
    await expect(winner.getByTestId('error-toast')).toHaveCount(0);
    await expect(queueA).toHaveCount(0);
    await expect(queueB).toHaveCount(0);

    // The winner talks with the visitor.
    const wWin = consoleWindow(winner, convId);
    await expect(messages(wWin)).toHaveText([first]);
    const reply = `Hello, this is ${winnerName}. Which invoice?`;
    await sendMessage(wWin, reply);
    await expect(messages(vWin)).toHaveText([first, reply]);
  });
});

test.describe('agent status', () => {
  const server = useServer([ALICE, BOB]);

  test('other agents see online, away and offline', async ({ actors }) => {
    const srv = server();
    const alice = await actors.newPage('agent alice');
    await loginAgent(alice, srv.url, ALICE.username, ALICE.password);
    const bob = await actors.newPage('agent bob');
    await loginAgent(bob, srv.url, BOB.username, BOB.password);

    await expect.poll(() => agentStatusIn(bob, ALICE.name)).toBe('online');
    await expect.poll(() => agentStatusIn(alice, BOB.name)).toBe('online');

    await setStatus(alice, 'away');
    await expect.poll(() => agentStatusIn(bob, ALICE.name)).toBe('away');
    await setStatus(alice, 'online');
    await expect.poll(() => agentStatusIn(bob, ALICE.name)).toBe('online');

    // Alice closes the console: offline once her presence grace has passed.
    await alice.context().close();
    await expect.poll(() => agentStatusIn(bob, ALICE.name), { timeout: 15_000 }).toBe('offline');
  });
});

test.describe('offline form', () => {
  const server = useServer([ALICE]);

  test('with no agent online a visitor leaves a message that an agent sees later', async ({ actors }) => {
    const srv = server();
    const visitor = await actors.newPage('visitor');
    const frame = await openDemo(visitor, srv.url, '/demo/contact');
    const form = await openWidget(frame, frame.getByTestId('offline-form'));
    await expect(directWindow(frame)).toHaveCount(0);

    const name = 'Olivia Offline';
    const email = 'olivia@example.com';
    const text = 'Please call me back about the enterprise plan.';
    await form.getByTestId('offline-name').fill(name);
    await form.getByTestId('offline-email').fill(email);
    await form.getByTestId('offline-message').fill(text);
    await form.getByTestId('offline-submit').click();
    await expect(frame.getByTestId('offline-sent')).toBeVisible();
    await visitor.context().close();

    const agent = await actors.newPage('agent alice');
    await loginAgent(agent, srv.url, ALICE.username, ALICE.password);
    await agent.getByTestId('view-offline').click();
    const row = agent.getByTestId('offline-message').filter({ hasText: text });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(name);
    await expect(row).toContainText(email);
  });
});
