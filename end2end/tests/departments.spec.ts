// A team of agents in two departments with routing on and nobody watching the
// queue: an admin sets the departments up in the console, a visitor on the demo
// site's pricing page (whose widget tag says data-department="sales") starts a
// chat, it is offered to one sales agent, who passes it on; the other takes it.
// A chat from the contact page goes to support, whose agent going away loses the
// offer. Each agent's queue filter shows their departments only. Outside its
// opening hours a department's widget offers the leave-a-message form under its
// away message, and can chat again as soon as the admin opens it.
import {
  consoleWindow, conversationId, directWindow, ensureWindowOpen, expect, loginAgent, messages, openDemo,
  openWidget, sendMessage, setStatus, test, useServer, type AgentSpec,
} from './support/ui';
import type { Locator, Page } from '@playwright/test';

const ADMIN: AgentSpec = { username: 'root', name: 'Rita Admin', password: 'rita-pass-1234', role: 'admin' };
const ANN: AgentSpec = { username: 'ann', name: 'Ann Sales', password: 'ann-pass-1234' };
const BOB: AgentSpec = { username: 'bob', name: 'Bob Sales', password: 'bob-pass-1234' };
const CY: AgentSpec = { username: 'cy', name: 'Cy Support', password: 'cy-pass-1234' };

/** Adds a department in the console's team view and gives it its agents. */
async function addDepartment(admin: Page, id: string, name: string, routing: string, agents: string[]): Promise<void> {
  const panel = admin.getByTestId('departments-panel');
  await panel.getByTestId('department-add-id').fill(id);
  await panel.getByTestId('department-add-name').fill(name);
  await panel.getByTestId('department-add-routing').selectOption(routing);
  await panel.getByTestId('department-add-submit').click();
  const row = panel.locator(`[data-testid="department-row"][data-department="${id}"]`);
  await expect(row).toBeVisible();
  for (const username of agents) {
    await row.locator(`[data-testid="department-agent"][data-username="${username}"]`).check();
  }
  await row.getByTestId('department-offer-seconds').fill('60');
  await row.getByTestId('department-save').click();
  // Saved: the server has the agents and the offer time.
  await expect.poll(async () => {
    const all = await admin.evaluate(async () => {
      const response = await fetch('/api/departments', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
      });
      return response.json();
    }) as Array<{ id: string; agents: string[]; offer_seconds: number }>;
    const saved = all.find((d) => d.id === id);
    return saved ? `${saved.agents.length} agents, ${saved.offer_seconds} s` : 'missing';
  }).toBe(`${agents.length} agents, 60 s`);
}

function queueItem(agent: Page, id: string): Locator {
  return agent.locator(`[data-testid="queue-item"][data-conversation-id="${id}"]`);
}

for (const lang of ['en', 'zh-Hans'] as const) {
  test.describe(`departments and routing (${lang})`, () => {
    const server = useServer([ADMIN, ANN, BOB, CY]);

    test('chats reach their department\'s agents one at a time, and move on when passed', async ({ actors }, info) => {
      test.setTimeout(120_000);
      const srv = server();
      const admin = await actors.newPage('admin');
      await admin.setViewportSize({ width: 1280, height: 900 });
      await loginAgent(admin, srv.url, ADMIN.username, ADMIN.password, lang);
      await admin.getByTestId('admin-toggle').click();
      await expect(admin.getByTestId('departments-panel')).toBeVisible();
      await addDepartment(admin, 'sales', 'Sales', 'round_robin', ['ann', 'bob']);
      await addDepartment(admin, 'support', 'Support', 'least_busy', ['cy']);
      // A bad id is refused, with the field named.
      await admin.getByTestId('department-add-id').fill('Sales Team');
      await admin.getByTestId('department-add-id').evaluate((input: HTMLInputElement) => input.removeAttribute('pattern'));
      await admin.getByTestId('department-add-name').fill('Wrong');
      await admin.getByTestId('department-add-submit').click();
      await expect(admin.getByTestId('error-toast')).toHaveAttribute('data-code', 'invalid_field');
      await admin.getByTestId('departments-panel').scrollIntoViewIfNeeded();
      await admin.screenshot({ path: info.outputPath(`departments-${lang}.png`), fullPage: true });

      const agents: Record<string, Page> = {};
      for (const a of [ANN, BOB, CY]) {
        agents[a.username] = await actors.newPage(`agent ${a.username}`);
        await agents[a.username].setViewportSize({ width: 1280, height: 800 });
        await loginAgent(agents[a.username], srv.url, a.username, a.password, lang);
      }

      // A visitor asks about prices: the chat is offered to one sales agent.
      const visitor = await actors.newPage('visitor');
      const frame = await openDemo(visitor, srv.url, '/demo/pricing', lang);
      const vWin = await ensureWindowOpen(frame);
      await sendMessage(vWin, 'How much is the team plan for 12 people?');
      const id = await conversationId(vWin);
      const offeredTo = async (): Promise<string | null> => {
        for (const name of ['ann', 'bob']) {
          if ((await queueItem(agents[name], id).getAttribute('data-offered', { timeout: 500 }).catch(() => null)) === 'me') return name;
        }
        return null;
      };
      await expect.poll(offeredTo, { timeout: 10_000 }).not.toBeNull();
      const first = (await offeredTo())!;
      const second = first === 'ann' ? 'bob' : 'ann';
      const offered = queueItem(agents[first], id);
      await expect(offered.getByTestId('offered-to-me')).toBeVisible();
      await expect(offered.getByTestId('queue-department')).toHaveText('Sales');
      // Cy sees whom it is offered to, and Cy's "my departments" hides it.
      await expect(queueItem(agents.cy, id)).toHaveAttribute('data-offered', 'other');
      await agents.cy.getByTestId('queue-department-filter').selectOption('MINE');
      await expect(queueItem(agents.cy, id)).toHaveCount(0);
      // The visitor list names the department of the visitor's page.
      await expect(agents[first].getByTestId('visitor-department')).toHaveText('Sales');
      await agents[first].screenshot({ path: info.outputPath(`queue-offered-${lang}.png`) });

      // Passed on: offered to the other sales agent at once, who takes it.
      await offered.getByTestId('decline-button').click();
      await expect(queueItem(agents[second], id)).toHaveAttribute('data-offered', 'me');
      await expect(queueItem(agents[first], id)).toHaveAttribute('data-offered', 'other');
      await queueItem(agents[second], id).getByTestId('accept-button').click();
      const aWin = consoleWindow(agents[second], id);
      await expect(aWin).toBeVisible();
      await sendMessage(aWin, 'Hello! For 12 people the Team plan is $49 a month.');
      await expect(messages(vWin).last()).toContainText('$49');
      await expect(queueItem(agents[first], id)).toHaveCount(0);

      // The contact page's chat goes to support; Cy going away loses the offer.
      const other = await actors.newPage('visitor 2');
      const frame2 = await openDemo(other, srv.url, '/demo/contact', lang);
      const vWin2 = await ensureWindowOpen(frame2);
      await sendMessage(vWin2, 'I cannot log in');
      const id2 = await conversationId(vWin2);
      await expect(queueItem(agents.cy, id2)).toHaveAttribute('data-offered', 'me');
      await expect(queueItem(agents.ann, id2).getByTestId('queue-department')).toHaveText('Support');
      await setStatus(agents.cy, 'away');
      await expect(queueItem(agents.cy, id2)).toHaveAttribute('data-offered', '');
      await setStatus(agents.cy, 'online');
      await expect(queueItem(agents.cy, id2)).toHaveAttribute('data-offered', 'me');

      // On a phone, the offered chat and its buttons fit.
      await agents.cy.setViewportSize({ width: 390, height: 844 });
      await expect(queueItem(agents.cy, id2).getByTestId('decline-button')).toBeInViewport();
      await agents.cy.screenshot({ path: info.outputPath(`queue-offered-phone-${lang}.png`) });
      await queueItem(agents.cy, id2).getByTestId('accept-button').click();
      await expect(consoleWindow(agents.cy, id2)).toBeVisible();
    });

    test('outside its hours a department offers the leave-a-message form under its away message', async ({ actors }, info) => {
      test.setTimeout(90_000);
      const srv = server();
      const away = lang === 'en'
        ? 'Sales is closed this week.\nLeave us a message and we answer on Monday.'
        : '销售部本周休息。\n请留言，我们周一回复。';
      const admin = await actors.newPage('admin');
      await admin.setViewportSize({ width: 1280, height: 900 });
      await loginAgent(admin, srv.url, ADMIN.username, ADMIN.password, lang);
      await admin.getByTestId('admin-toggle').click();
      await addDepartment(admin, 'sales', 'Sales', 'manual', ['ann']);
      const row = admin.locator('[data-testid="department-row"][data-department="sales"]');
      // Hours on: Monday to Friday, 9 to 5, in the browser's time zone; closing
      // every day makes it closed whatever the time of the test.
      await row.getByTestId('department-hours-on').check();
      await expect(row.getByTestId('department-time-zone')).not.toHaveValue('');
      await expect(row.getByTestId('department-day-opens')).toHaveCount(5);
      await expect(row.getByTestId('department-day-opens').first()).toHaveValue('09:00');
      await row.getByTestId('department-time-zone').fill('Europe/Berlin');
      for (const day of await row.getByTestId('department-day-open').all()) await day.uncheck();
      await expect(row.getByTestId('department-day-opens')).toHaveCount(0);
      // A day opened again shows its times; set them, then close it again.
      await row.locator('[data-testid="department-day"][data-day="5"]').getByTestId('department-day-open').check();
      await row.getByTestId('department-day-closes').fill('13:30');
      await row.getByTestId('department-away-message').fill(away);
      await row.scrollIntoViewIfNeeded();
      await admin.screenshot({ path: info.outputPath(`department-hours-${lang}.png`), fullPage: true });
      await admin.setViewportSize({ width: 390, height: 844 });
      await row.getByTestId('department-day-closes').scrollIntoViewIfNeeded();
      await expect(row.getByTestId('department-day-closes')).toBeInViewport();
      await admin.screenshot({ path: info.outputPath(`department-hours-phone-${lang}.png`) });
      await admin.setViewportSize({ width: 1280, height: 900 });
      await row.locator('[data-testid="department-day"][data-day="5"]').getByTestId('department-day-open').uncheck();
      await row.getByTestId('department-save').click();
      await expect.poll(async () => admin.evaluate(async () => {
        const response = await fetch('/api/departments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        const all = await response.json() as Array<{ id: string; hours: { time_zone: string; days: unknown[] } | null; away_message: string }>;
        const sales = all.find((d) => d.id === 'sales');
        return sales?.hours ? `${sales.hours.time_zone}, ${sales.hours.days.filter((d) => d !== null).length} days, ${sales.away_message.length} chars` : 'always open';
      })).toBe(`Europe/Berlin, 0 days, ${away.length} chars`);

      // Ann of sales is online, yet the sales page's widget offers the form.
      const ann = await actors.newPage('ann');
      await loginAgent(ann, srv.url, ANN.username, ANN.password, lang);
      const visitor = await actors.newPage('visitor');
      const frame = await openDemo(visitor, srv.url, '/demo/pricing', lang);
      const form = await openWidget(frame, frame.getByTestId('offline-form'));
      await expect(form.getByTestId('offline-intro')).toHaveText(away);
      await visitor.screenshot({ path: info.outputPath(`away-message-${lang}.png`) });
      // Another page of the site, no department: chats as usual.
      const other = await actors.newPage('visitor 2');
      const otherFrame = await openDemo(other, srv.url, '/demo', lang);
      await ensureWindowOpen(otherFrame);
      await expect(otherFrame.getByTestId('offline-form')).toHaveCount(0);

      // Always open again: the sales visitor can chat at once, no reload.
      await row.getByTestId('department-hours-on').uncheck();
      await row.getByTestId('department-save').click();
      const win = directWindow(frame);
      await expect(frame.getByTestId('offline-form')).toHaveCount(0);
      await expect(win.getByTestId('message-input')).toBeVisible();
      await sendMessage(win, 'Now you are open: what does the team plan cost?');
      await expect(ann.getByTestId('queue-item')).toHaveCount(1);
    });
  });
}
