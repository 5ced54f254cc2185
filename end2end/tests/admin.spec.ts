// The team panel: an admin adds an agent in the console, who can then log in and
// is seen by everyone; the admin resets a password and removes the account, and
// that agent's open console is signed out at once. Agents have no team panel.
import { startServer, type ChatServer } from './support/server';
import { expect, loginAgent, test, withLang } from './support/ui';
import type { Page } from '@playwright/test';

const ROOT = { username: 'root', name: 'Rita Root', password: 'root-pass-1234' };
const ANN = { username: 'ann', name: 'Ann Agent', password: 'ann-pass-1234' };
const CARL = { username: 'carl', name: 'Carl Clerk', password: 'carl-pass-1234' };

let server: ChatServer | undefined;
test.beforeAll(async () => {
  server = await startServer({ graceSecs: 2 });
  await server.addAgent(ROOT.username, ROOT.name, ROOT.password, 'admin');
  await server.addAgent(ANN.username, ANN.name, ANN.password, 'agent');
});
test.afterAll(async () => {
  await server?.stop();
});

function srv(): ChatServer {
  if (!server) throw new Error('server not started');
  return server;
}

/** The team panel's row for one account. */
function accountRow(page: Page, username: string) {
  return page.locator(`[data-testid="admin-agent-row"][data-username="${username}"]`);
}

test('an admin adds, resets and removes an agent from the console; agents cannot', async ({ actors }) => {
  const root = await actors.newPage('admin root');
  await loginAgent(root, srv().url, ROOT.username, ROOT.password);
  const ann = await actors.newPage('agent ann');
  await loginAgent(ann, srv().url, ANN.username, ANN.password);

  // Agents have no team panel.
  await expect(ann.getByTestId('admin-toggle')).toHaveCount(0);

  // The admin opens it and sees both accounts.
  await root.getByTestId('admin-toggle').click();
  const panel = root.getByTestId('admin-panel');
  await expect(panel).toBeVisible();
  await expect(accountRow(root, 'root')).toBeVisible();
  await expect(accountRow(root, 'ann')).toBeVisible();
  // No removing oneself.
  await expect(accountRow(root, 'root').getByTestId('admin-remove')).toHaveCount(0);

  // A too-short password is refused with the reason; the form keeps what was typed.
  await root.getByTestId('admin-add-username').fill(CARL.username);
  await root.getByTestId('admin-add-name').fill(CARL.name);
  await root.getByTestId('admin-add-password').fill('short');
  // The browser's own minlength check would stop the form; take it off to see the
  // server's answer.
  await root.getByTestId('admin-add-password').evaluate((el) => el.removeAttribute('minlength'));
  await root.getByTestId('admin-add-submit').click();
  await expect(panel.getByTestId('error-toast')).toHaveAttribute('data-code', 'invalid_field');
  await expect(panel.getByTestId('error-toast')).toContainText('at least 8');
  await expect(root.getByTestId('admin-add-username')).toHaveValue(CARL.username);

  // Now a proper one.
  await root.getByTestId('admin-add-password').fill(CARL.password);
  await root.getByTestId('admin-add-submit').click();
  await expect(accountRow(root, CARL.username)).toBeVisible();
  await expect(accountRow(root, CARL.username)).toContainText(CARL.name);
  await expect(root.getByTestId('admin-add-username')).toHaveValue('');

  // Carl logs in; Ann's console lists him.
  const carl = await actors.newPage('agent carl');
  await loginAgent(carl, srv().url, CARL.username, CARL.password);
  await expect(ann.getByTestId('agent-row').filter({ hasText: CARL.name })).toHaveAttribute('data-status', 'online');

  // A new password signs Carl out; the new one works.
  const fresh = 'carl-new-pass-99';
  await accountRow(root, CARL.username).getByTestId('admin-new-password').fill(fresh);
  await accountRow(root, CARL.username).getByTestId('admin-set-password').click();
  await expect(root.getByTestId('admin-notice')).toBeVisible();
  await expect(carl.getByTestId('connection-status')).toHaveAttribute('data-connected', 'false');
  await carl.goto(`${srv().url}${withLang('/console')}`);
  await expect(carl.getByTestId('login-username')).toBeVisible();
  await loginAgent(carl, srv().url, CARL.username, fresh);

  // Removing takes a second click; then Carl is gone everywhere.
  const remove = accountRow(root, CARL.username).getByTestId('admin-remove');
  await remove.click();
  await expect(accountRow(root, CARL.username)).toBeVisible();
  await remove.click();
  await expect(accountRow(root, CARL.username)).toHaveCount(0);
  await expect(carl.getByTestId('connection-status')).toHaveAttribute('data-connected', 'false');
  await expect(ann.getByTestId('agent-row').filter({ hasText: CARL.name })).toHaveCount(0);
  await carl.goto(`${srv().url}${withLang('/console')}`);
  await carl.getByTestId('login-username').fill(CARL.username);
  await carl.getByTestId('login-password').fill(fresh);
  await carl.getByTestId('login-submit').click();
  await expect(carl.getByTestId('error-toast')).toHaveAttribute('data-code', 'invalid_login');
});
