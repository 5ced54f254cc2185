// End-to-end tests of the multi-party conversation method (shared/MISSION.md, steps
// a–e): an agent picks visitors and agents in the console and sends them a request;
// visitors get it as a popup (not chatting) or inside their 1:1 window (chatting);
// everyone who agrees joins one group conversation, where messages reach every
// participant and joins, leaves, declines and expiries show as notices.
//
// Every describe block starts its own server (fresh SQLite database, presence grace
// 2 s); every visitor and every agent has its own browser context. Visitor V1 is
// always on /demo/pricing and V2 on /demo/contact, so that the console's visitor
// rows can be told apart by their page.
import {
  type Actors,
  conversationId,
  conversationTab,
  consoleWindow,
  directWindow,
  ensureWindowOpen,
  expect,
  expectIncreasing,
  loginAgent,
  messageSeqs,
  messages,
  openDemo,
  sendMessage,
  setStatus,
  test,
  useServer,
  widgetFrame,
  type AgentSpec,
} from './support/ui';
import type { Locator, Page } from '@playwright/test';

const ALICE: AgentSpec = { username: 'alice', name: 'Alice Archer', password: 'alice-pass-1234' };
const BOB: AgentSpec = { username: 'bob', name: 'Bob Baker', password: 'bob-pass-5678' };

const V1_PAGE = '/demo/pricing';
const V2_PAGE = '/demo/contact';

// ---------------------------------------------------------------------------------
// Helpers for the multi-party hooks (kept here: only this spec uses them).

/** A page or a widget frame: anything that can look up elements. */
interface Scope {
  locator(selector: string): Locator;
}

/** The group window for one conversation, in a console page or a widget frame. */
function groupWindow(scope: Scope, convId: string): Locator {
  return scope.locator(`[data-testid="chat-window"][data-kind="group"][data-conversation-id="${convId}"]`);
}

/** The visible invitation(s) into one conversation, in a page, frame or window. */
function invitation(scope: Scope, convId: string): Locator {
  return scope.locator(`[data-testid="invitation"][data-conversation-id="${convId}"]`).filter({ visible: true });
}

/** The system notices of a window that contain `text`. */
function notice(win: Locator, text: string): Locator {
  return win.getByTestId('system-notice').filter({ hasText: text });
}

/** The console's row for the visitor on `path` (V1_PAGE or V2_PAGE). */
function visitorRow(desk: Page, path: string): Locator {
  return desk.getByTestId('visitor-row').filter({ hasText: path });
}

/** The console's row for another agent, by display name. */
function agentRow(desk: Page, name: string): Locator {
  return desk.getByTestId('agent-row').filter({ hasText: name });
}

/** Waits for the visitor on `path` to be listed in the console and returns its display name. */
async function visitorName(desk: Page, path: string): Promise<string> {
  const row = visitorRow(desk, path);
  await expect(row).toHaveCount(1);
  const nameEl = row.locator('.name');
  await expect(nameEl).toHaveText(/Visitor \d{4}/);
  return ((await nameEl.textContent()) ?? '').trim();
}

/** The conversation ids of a console's tabs. */
async function tabIds(desk: Page): Promise<string[]> {
  return desk
    .getByTestId('conversation-tab')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-conversation-id') ?? ''));
}

/** Ticks the select-checkbox of each row (visitor-row or agent-row). */
async function pick(...rows: Locator[]): Promise<void> {
  for (const row of rows) {
    await expect(row).toHaveCount(1);
    await row.getByTestId('select-checkbox').check();
  }
}

/** No select-checkbox in the console is ticked. */
async function expectNothingPicked(desk: Page): Promise<void> {
  await expect(desk.locator('[data-testid="select-checkbox"]:checked')).toHaveCount(0);
}

/**
 * Steps c–e: picks the rows, clicks invite-button, and waits for the new group
 * conversation's tab to appear and its window to become the active one. Returns
 * the conversation id the server made.
 */
async function requestConversation(desk: Page, ...rows: Locator[]): Promise<string> {
  const before = await tabIds(desk);
  await pick(...rows);
  await desk.getByTestId('invite-button').click();
  // A new tab appears ...
  let convId = '';
  await expect
    .poll(async () => {
      const fresh = (await tabIds(desk)).filter((id) => id !== '' && !before.includes(id));
      convId = fresh[0] ?? '';
      return fresh.length;
    })
    .toBe(1);
  await expect(conversationTab(desk, convId)).toBeVisible();
  // ... and becomes active: its group window shows.
  const win = consoleWindow(desk, convId);
  await expect(win).toBeVisible();
  await expect(win).toHaveAttribute('data-kind', 'group');
  // Picking is cleared after a successful request.
  await expectNothingPicked(desk);
  return convId;
}

/** An agent agrees to an invitation and gets the conversation's tab and group window. */
async function agentAgrees(agent: Page, convId: string, inviterName: string): Promise<Locator> {
  const inv = invitation(agent, convId);
  await expect(inv).toBeVisible();
  await expect(inv).toContainText(inviterName);
  await inv.getByTestId('invitation-agree').click();
  await expect(conversationTab(agent, convId)).toBeVisible();
  const win = consoleWindow(agent, convId);
  await expect(win).toBeVisible();
  await expect(win).toHaveAttribute('data-kind', 'group');
  await expect(invitation(agent, convId)).toHaveCount(0);
  return win;
}

/** A visitor agrees to the popup invitation and gets the group window. */
async function visitorAgrees(visitor: Page, convId: string, inviterName: string): Promise<Locator> {
  const frame = widgetFrame(visitor);
  const inv = invitation(frame, convId);
  // The widget opened by itself: nobody clicked the launcher.
  await expect(inv).toBeVisible();
  await expect(inv).toContainText(inviterName);
  await inv.getByTestId('invitation-agree').click();
  const win = groupWindow(frame, convId);
  await expect(win).toBeVisible();
  await expect(invitation(frame, convId)).toHaveCount(0);
  return win;
}

const joined = (name: string) => `${name} joined the conversation`;
const left = (name: string) => `${name} left the conversation`;
const moved = (name: string) => `${name} accepted an invitation to a group conversation and left this chat`;
const invited = (name: string) => `${name} was invited`;
const declined = (name: string) => `${name} declined the invitation`;
const expired = (name: string) => `${name}'s invitation expired`;
const owns = (name: string) => `${name} now owns the conversation`;
const ENDED = 'The conversation has ended';

/** Logs Alice and Bob in, each in a context of their own. */
async function twoAgents(actors: Actors, url: string): Promise<[Page, Page]> {
  const alice = await actors.newPage('agent alice');
  await loginAgent(alice, url, ALICE.username, ALICE.password);
  const bob = await actors.newPage('agent bob');
  await loginAgent(bob, url, BOB.username, BOB.password);
  // Each sees the other online (only then can they be picked).
  await expect(agentRow(alice, BOB.name)).toHaveAttribute('data-status', 'online');
  await expect(agentRow(bob, ALICE.name)).toHaveAttribute('data-status', 'online');
  return [alice, bob];
}

// ---------------------------------------------------------------------------------

test.describe('multi-party: a visitor who is not chatting gets a popup', () => {
  const server = useServer([ALICE, BOB]);

  test('agent picks a visitor and an agent; both agree; messages reach everyone', async ({ actors }) => {
    const srv = server();
    const [alice, bob] = await twoAgents(actors, srv.url);

    // Two visitors browse the site; only V1 will be invited.
    const v1 = await actors.newPage('visitor 1');
    const f1 = await openDemo(v1, srv.url, V1_PAGE);
    const v2 = await actors.newPage('visitor 2');
    const f2 = await openDemo(v2, srv.url, V2_PAGE);
    const v1Name = await visitorName(alice, V1_PAGE);
    await visitorName(alice, V2_PAGE);
    // Neither widget is open yet.
    await expect(directWindow(f1)).toBeHidden();

    // Alice picks V1 and Bob, and sends the request: a new group conversation.
    const gid = await requestConversation(alice, visitorRow(alice, V1_PAGE), agentRow(alice, BOB.name));
    const aWin = consoleWindow(alice, gid);
    await expect(notice(aWin, joined(ALICE.name))).toHaveCount(1);
    await expect(notice(aWin, invited(v1Name))).toHaveCount(1);
    await expect(notice(aWin, invited(BOB.name))).toHaveCount(1);

    // V1's widget opens by itself with the invitation naming Alice; V1 agrees.
    const v1Win = await visitorAgrees(v1, gid, ALICE.name);
    await expect(notice(aWin, joined(v1Name))).toHaveCount(1);

    // Bob gets the invitation in his console and agrees.
    const bWin = await agentAgrees(bob, gid, ALICE.name);

    // Everyone sees the joins (agents all of them; V1 those from its own join on).
    for (const win of [aWin, bWin]) {
      await expect(notice(win, joined(ALICE.name))).toHaveCount(1);
      await expect(notice(win, joined(v1Name))).toHaveCount(1);
      await expect(notice(win, joined(BOB.name))).toHaveCount(1);
    }
    await expect(notice(v1Win, joined(v1Name))).toHaveCount(1);
    await expect(notice(v1Win, joined(BOB.name))).toHaveCount(1);

    // V1 chooses the name the others see; Alice's visitor list follows.
    const chosen = 'Marie from Lyon';
    await expect(f1.getByTestId('my-name')).toHaveText(v1Name);
    await f1.getByTestId('my-name').click();
    await f1.getByTestId('name-input').fill(chosen);
    await f1.getByTestId('name-save').click();
    await expect(f1.getByTestId('my-name')).toHaveText(chosen);
    await expect(visitorRow(alice, V1_PAGE).locator('.name')).toHaveText(chosen);

    // A message from V1 reaches Alice and Bob, under the chosen name.
    const fromV1 = 'Hello both, I am comparing the plans.';
    await sendMessage(v1Win, fromV1);
    await expect(messages(aWin)).toHaveText([fromV1]);
    await expect(messages(bWin)).toHaveText([fromV1]);
    for (const win of [aWin, bWin]) {
      await expect(win.locator('.entry .author')).toHaveText([chosen]);
    }

    // A message from Alice reaches V1 and Bob.
    const fromAlice = 'Welcome! Bob knows the enterprise plan best.';
    await sendMessage(aWin, fromAlice);
    await expect(messages(v1Win)).toHaveText([fromV1, fromAlice]);
    await expect(messages(bWin)).toHaveText([fromV1, fromAlice]);

    // And one from Bob reaches both others.
    const fromBob = 'Happy to help: what size is your team?';
    await sendMessage(bWin, fromBob);
    await expect(messages(v1Win)).toHaveText([fromV1, fromAlice, fromBob]);
    await expect(messages(aWin)).toHaveText([fromV1, fromAlice, fromBob]);

    // One ordered sequence, the same for all three.
    const seqs = await messageSeqs(aWin);
    expectIncreasing(seqs);
    expect(await messageSeqs(bWin)).toEqual(seqs);
    expect(await messageSeqs(v1Win)).toEqual(seqs);

    // V2 was not invited: no invitation, no group window, widget still closed.
    await expect(f2.getByTestId('invitation')).toHaveCount(0);
    await expect(groupWindow(f2, gid)).toHaveCount(0);
    await expect(directWindow(f2)).toBeHidden();
  });
});

test.describe('multi-party: a visitor in a 1:1 chat gets the invitation in its window', () => {
  const server = useServer([ALICE, BOB]);

  test('the 1:1 window is replaced by the group window; visitors see only their part and no private details', async ({
    actors,
  }) => {
    const srv = server();
    const [alice, bob] = await twoAgents(actors, srv.url);

    // V1 only browses the pricing page.
    const v1 = await actors.newPage('visitor 1');
    const f1 = await openDemo(v1, srv.url, V1_PAGE);

    // V2 starts a 1:1 chat from the contact page; Bob accepts it from the queue.
    const v2 = await actors.newPage('visitor 2');
    const f2 = await openDemo(v2, srv.url, V2_PAGE);
    const v2Direct = await ensureWindowOpen(f2);
    const question = 'Hi, can I change the address on my account?';
    await sendMessage(v2Direct, question);
    const directId = await conversationId(v2Direct);
    const bobQueue = bob.getByTestId('queue-item');
    await expect(bobQueue).toHaveCount(1);
    await bobQueue.getByTestId('accept-button').click();
    const bDirect = consoleWindow(bob, directId);
    await expect(bDirect).toBeVisible();
    await expect(bDirect).toHaveAttribute('data-kind', 'direct');
    const answer = 'Sure, which address should we use?';
    await sendMessage(bDirect, answer);
    await expect(messages(v2Direct)).toHaveText([question, answer]);
    // Alice is not in that chat.
    await expect(alice.getByTestId('queue-item')).toHaveCount(0);
    await expect(conversationTab(alice, directId)).toHaveCount(0);

    const v1Name = await visitorName(alice, V1_PAGE);
    const v2Name = await visitorName(alice, V2_PAGE);
    await expect(visitorRow(alice, V2_PAGE)).toHaveAttribute('data-in-chat', 'true');
    expect(v1Name, 'the two visitors have different display names').not.toBe(v2Name);

    // Alice invites V2 (chatting with Bob) and V1 (browsing) into a new group conversation.
    const gid = await requestConversation(alice, visitorRow(alice, V2_PAGE), visitorRow(alice, V1_PAGE));
    const aWin = consoleWindow(alice, gid);

    // V2's invitation shows inside its 1:1 window, naming Alice.
    const v2Inv = invitation(directWindow(f2), gid);
    await expect(v2Inv).toBeVisible();
    await expect(v2Inv).toContainText(ALICE.name);
    // V1 gets the popup.
    await expect(invitation(f1, gid)).toBeVisible();

    // V2 agrees: the 1:1 window closes by itself, the group window opens instead.
    await v2Inv.getByTestId('invitation-agree').click();
    const v2Win = groupWindow(f2, gid);
    await expect(v2Win).toBeVisible();
    await expect(directWindow(f2)).toHaveCount(0);
    await expect(notice(aWin, joined(v2Name))).toHaveCount(1);
    // Bob's 1:1 chat shows that V2 left it.
    await expect(notice(bDirect, moved(v2Name))).toHaveCount(1);
    // The group window does not carry the 1:1 history.
    await expect(messages(v2Win)).toHaveCount(0);

    // A message sent before V1 joins reaches V2 ...
    const early = 'V2, thanks for joining. We are waiting for one more guest.';
    await sendMessage(aWin, early);
    await expect(messages(v2Win)).toHaveText([early]);

    // ... but V1, joining later, sees only what comes after its join.
    const v1Win = await visitorAgrees(v1, gid, ALICE.name);
    await expect(notice(aWin, joined(v1Name))).toHaveCount(1);
    await expect(notice(v2Win, joined(v1Name))).toHaveCount(1);
    const late = 'Now that everybody is here: welcome!';
    await sendMessage(aWin, late);
    const fromV1 = 'Hello from the pricing page.';
    await sendMessage(v1Win, fromV1);
    await expect(messages(v1Win)).toHaveText([late, fromV1]);
    await expect(messages(v2Win)).toHaveText([early, late, fromV1]);
    await expect(messages(aWin)).toHaveText([early, late, fromV1]);
    const fromV2 = 'Hello from the contact page.';
    await sendMessage(v2Win, fromV2);
    await expect(messages(v1Win)).toHaveText([late, fromV1, fromV2]);
    await expect(messages(aWin)).toHaveText([early, late, fromV1, fromV2]);

    // Privacy: visitors know each other by display name only, never by page.
    await expect(f2.locator('body')).toContainText(v1Name);
    await expect(f2.locator('body')).not.toContainText(V1_PAGE);
    await expect(f1.locator('body')).not.toContainText(V2_PAGE);
    expect(await f2.locator('body').innerHTML(), "V2's widget markup has no trace of V1's page").not.toContain(V1_PAGE);
    expect(await f1.locator('body').innerHTML(), "V1's widget markup has no trace of V2's page").not.toContain(V2_PAGE);
  });
});

test.describe('multi-party: decline and re-invite', () => {
  const server = useServer([ALICE, BOB]);

  test('a visitor declines, the members see it, a second invitation works', async ({ actors }) => {
    const srv = server();
    const [alice, bob] = await twoAgents(actors, srv.url);
    const v1 = await actors.newPage('visitor 1');
    await openDemo(v1, srv.url, V1_PAGE);
    const v2 = await actors.newPage('visitor 2');
    const f2 = await openDemo(v2, srv.url, V2_PAGE);
    const v1Name = await visitorName(alice, V1_PAGE);
    const v2Name = await visitorName(alice, V2_PAGE);
    expect(v1Name, 'the two visitors have different display names').not.toBe(v2Name);

    // Alice invites both visitors and Bob; V1 and Bob agree.
    const gid = await requestConversation(
      alice,
      visitorRow(alice, V1_PAGE),
      visitorRow(alice, V2_PAGE),
      agentRow(alice, BOB.name),
    );
    const aWin = consoleWindow(alice, gid);
    const v1Win = await visitorAgrees(v1, gid, ALICE.name);
    const bWin = await agentAgrees(bob, gid, ALICE.name);

    // V2 declines: its invitation goes away and it does not join.
    const v2Inv = invitation(f2, gid);
    await expect(v2Inv).toBeVisible();
    await expect(v2Inv).toContainText(ALICE.name);
    await v2Inv.getByTestId('invitation-decline').click();
    await expect(invitation(f2, gid)).toHaveCount(0);
    await expect(groupWindow(f2, gid)).toHaveCount(0);

    // Every member sees that V2 declined.
    for (const win of [aWin, bWin, v1Win]) await expect(notice(win, declined(v2Name))).toHaveCount(1);
    await expect(notice(aWin, joined(v2Name))).toHaveCount(0);

    // Alice picks V2 again and invites it into the open conversation.
    await pick(visitorRow(alice, V2_PAGE));
    await alice.getByTestId('invite-to-conversation-button').click();
    await expectNothingPicked(alice);
    await expect(notice(aWin, invited(v2Name))).toHaveCount(2);
    await expect(notice(bWin, invited(v2Name))).toHaveCount(2);

    // This time V2 agrees and joins.
    const v2Win = await visitorAgrees(v2, gid, ALICE.name);
    for (const win of [aWin, bWin, v1Win, v2Win]) await expect(notice(win, joined(v2Name))).toHaveCount(1);

    // V2 now talks with everyone.
    const fromV2 = 'Sorry, I clicked too fast. Here I am!';
    await sendMessage(v2Win, fromV2);
    for (const win of [aWin, bWin, v1Win]) await expect(messages(win)).toHaveText([fromV2]);
    const fromBob = 'No problem, welcome.';
    await sendMessage(bWin, fromBob);
    for (const win of [aWin, v1Win, v2Win]) await expect(messages(win)).toHaveText([fromV2, fromBob]);
  });
});

test.describe('multi-party: leaving', () => {
  const server = useServer([ALICE, BOB]);

  test('a visitor leaves and gets nothing more; the conversation outlives its starter and ends with the last agent', async ({
    actors,
  }) => {
    const srv = server();
    const [alice, bob] = await twoAgents(actors, srv.url);
    const v1 = await actors.newPage('visitor 1');
    const f1 = await openDemo(v1, srv.url, V1_PAGE);
    const v2 = await actors.newPage('visitor 2');
    await openDemo(v2, srv.url, V2_PAGE);
    const v1Name = await visitorName(alice, V1_PAGE);
    const v2Name = await visitorName(alice, V2_PAGE);
    expect(v1Name, 'the two visitors have different display names').not.toBe(v2Name);

    // Everyone in one conversation.
    const gid = await requestConversation(
      alice,
      visitorRow(alice, V1_PAGE),
      visitorRow(alice, V2_PAGE),
      agentRow(alice, BOB.name),
    );
    const aWin = consoleWindow(alice, gid);
    const v1Win = await visitorAgrees(v1, gid, ALICE.name);
    const v2Win = await visitorAgrees(v2, gid, ALICE.name);
    const bWin = await agentAgrees(bob, gid, ALICE.name);
    const hello = 'Hello everyone!';
    await sendMessage(v1Win, hello);
    for (const win of [aWin, bWin, v2Win]) await expect(messages(win)).toHaveText([hello]);

    // V1 leaves: the others see it.
    await v1Win.getByTestId('leave-button').click();
    for (const win of [aWin, bWin, v2Win]) await expect(notice(win, left(v1Name))).toHaveCount(1);

    // A message sent after that reaches the others, not V1.
    const after = 'V1 has gone; let us go on.';
    await sendMessage(aWin, after);
    await expect(messages(bWin)).toHaveText([hello, after]);
    await expect(messages(v2Win)).toHaveText([hello, after]);
    await expect(f1.getByTestId('message').filter({ hasText: after })).toHaveCount(0);

    // Alice, who started it, leaves: Bob now owns the conversation, which goes on.
    await aWin.getByTestId('leave-button').click();
    for (const win of [bWin, v2Win]) {
      await expect(notice(win, left(ALICE.name))).toHaveCount(1);
      await expect(notice(win, owns(BOB.name))).toHaveCount(1);
    }
    const stillHere = 'I am still here for you.';
    await sendMessage(bWin, stillHere);
    await expect(messages(v2Win)).toHaveText([hello, after, stillHere]);
    await expect(f1.getByTestId('message').filter({ hasText: stillHere })).toHaveCount(0);

    // Bob, the last agent, leaves: the conversation ends for V2.
    await bWin.getByTestId('leave-button').click();
    await expect(notice(v2Win, left(BOB.name))).toHaveCount(1);
    await expect(notice(v2Win, ENDED)).toHaveCount(1);
  });
});

test.describe('multi-party: invitations are gated on presence', () => {
  const server = useServer([ALICE, BOB]);

  test('only online agents can be picked; pending invitations expire when the invitee goes offline or leaves', async ({
    actors,
  }) => {
    const srv = server();
    const [alice, bob] = await twoAgents(actors, srv.url);
    const v1 = await actors.newPage('visitor 1');
    const f1 = await openDemo(v1, srv.url, V1_PAGE);
    const v2 = await actors.newPage('visitor 2');
    await openDemo(v2, srv.url, V2_PAGE);
    const v1Name = await visitorName(alice, V1_PAGE);
    await visitorName(alice, V2_PAGE);

    // Every visitor on the site can be picked.
    for (const path of [V1_PAGE, V2_PAGE]) {
      await expect(visitorRow(alice, path).getByTestId('select-checkbox')).toHaveCount(1);
    }

    // Bob can be picked only while he is online.
    const bobRow = agentRow(alice, BOB.name);
    await expect(bobRow.getByTestId('select-checkbox')).toHaveCount(1);
    await setStatus(bob, 'away');
    await expect(bobRow).toHaveAttribute('data-status', 'away');
    await expect(bobRow.getByTestId('select-checkbox')).toHaveCount(0);
    await setStatus(bob, 'online');
    await expect(bobRow).toHaveAttribute('data-status', 'online');
    await expect(bobRow.getByTestId('select-checkbox')).toHaveCount(1);

    // Alice invites V1 and Bob; neither answers yet.
    const gid = await requestConversation(alice, visitorRow(alice, V1_PAGE), bobRow);
    const aWin = consoleWindow(alice, gid);
    await expect(invitation(bob, gid)).toBeVisible();
    await expect(invitation(f1, gid)).toBeVisible();

    // Bob goes offline: his invitation expires at once.
    await setStatus(bob, 'offline');
    await expect(notice(aWin, expired(BOB.name))).toHaveCount(1);
    await expect(invitation(bob, gid)).toHaveCount(0);

    // V1 leaves the site: its invitation expires once the presence grace (2 s) has passed.
    await v1.context().close();
    await expect(notice(aWin, expired(v1Name))).toHaveCount(1, { timeout: 15_000 });
    await expect(visitorRow(alice, V1_PAGE)).toHaveCount(0);
    await expect(notice(aWin, joined(v1Name))).toHaveCount(0);
    await expect(notice(aWin, joined(BOB.name))).toHaveCount(0);
  });
});
