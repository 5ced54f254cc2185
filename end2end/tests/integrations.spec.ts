// An admin connects the company's systems from the console: makes an API token
// (shown once, then working, then revoked), registers a webhook endpoint (a
// real receiver on loopback, which fails the first delivery on purpose), sees
// the deliveries with every attempt, and sends one again.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  chatAccepted, expect, loginAgent, sendMessage, test, useServer, type AgentSpec,
} from './support/ui';

const ADMIN: AgentSpec = { username: 'root', name: 'Rita Admin', password: 'rita-pass-1234', role: 'admin' };
const ANN: AgentSpec = { username: 'ann', name: 'Ann Answer', password: 'ann-pass-1234' };
const SECRET = 'whsec_e2e_0123456789abcdef';

interface Received { event: string; id: string; signed: boolean }

/** A webhook receiver on loopback that checks signatures and fails its first request. */
async function receiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  let failFirst = true;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const header = String(req.headers['x-chat-signature'] ?? '');
      const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2)));
      const expected = crypto.createHmac('sha256', SECRET).update(`${parts.t}.${body}`).digest('hex');
      received.push({
        event: String(req.headers['x-chat-event'] ?? ''),
        id: String(req.headers['x-chat-event-id'] ?? ''),
        signed: parts.v1 === expected,
      });
      res.statusCode = failFirst ? 500 : 204;
      failFirst = false;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

for (const lang of ['en', 'zh-Hans'] as const) {
  test.describe(`integrations in the console (${lang})`, () => {
    const server = useServer([ADMIN, ANN], { env: { CHAT_WEBHOOK_FIRST_RETRY_MS: '300' } });

    test('an admin makes and revokes a token, registers a webhook and redelivers an event', async ({ actors }, info) => {
      const srv = server();
      const hooks = await receiver();
      try {
        const admin = await actors.newPage('admin');
        await admin.setViewportSize({ width: 1280, height: 900 });
        await loginAgent(admin, srv.url, ADMIN.username, ADMIN.password, lang);
        await admin.getByTestId('admin-toggle').click();
        const panel = admin.getByTestId('integrations-panel');
        await expect(panel).toBeVisible();

        // A token, shown once, works until it is revoked.
        await panel.getByTestId('api-token-name').fill('crm');
        await panel.getByTestId('api-token-write').check();
        await panel.getByTestId('api-token-add').click();
        const token = (await panel.getByTestId('api-token-made').locator('code').innerText()).trim();
        expect(token).toMatch(/^lcapi_[0-9a-f]{64}$/);
        const row = panel.locator('[data-testid="api-token-row"][data-name="crm"]');
        await expect(row).toHaveAttribute('data-revoked', 'false');
        await expect(row).not.toContainText(token.slice(6, 20));
        const agents = () => fetch(`${srv.url}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } });
        expect((await agents()).status).toBe(200);
        // A token's name is unique among live ones: a second "crm" is refused.
        await panel.getByTestId('api-token-name').fill('crm');
        await panel.getByTestId('api-token-add').click();
        await expect(admin.getByTestId('error-toast')).toHaveAttribute('data-code', 'invalid_field');

        // A webhook endpoint on loopback (an admin's explicit leave).
        await panel.getByTestId('webhook-url').fill(hooks.url);
        await panel.getByTestId('webhook-secret').fill(SECRET);
        await panel.locator('[data-testid="webhook-event"][value="message.created"]').check();
        await panel.locator('[data-testid="webhook-event"][value="conversation.created"]').check();
        await panel.getByTestId('webhook-allow-private').check();
        await panel.getByTestId('webhook-add').click();
        const endpoint = panel.locator(`[data-testid="webhook-row"][data-url="${hooks.url}"]`);
        await expect(endpoint).toBeVisible();

        // Something happens: a visitor's chat, answered by an agent.
        const agentTab = await actors.newPage('agent ann');
        await loginAgent(agentTab, srv.url, ANN.username, ANN.password, lang);
        const visitor = await actors.newPage('visitor');
        const { aWin } = await chatAccepted(agentTab, visitor, srv.url, 'Hello, is anyone there?');
        await sendMessage(aWin, 'Yes, how can I help?');

        // Every event arrives, signed, the first after a failure on purpose.
        await expect.poll(() => new Set(hooks.received.filter((r) => r.signed).map((r) => r.id)).size, { timeout: 15_000 })
          .toBeGreaterThanOrEqual(3);
        expect(hooks.received.every((r) => r.signed)).toBe(true);
        await expect(async () => {
          await endpoint.getByTestId('webhook-deliveries').click();
          await expect(endpoint.locator('[data-testid="webhook-delivery"][data-state="delivered"]')).toHaveCount(3, { timeout: 1_000 });
        }).toPass({ intervals: [500, 1_000] });
        const first = endpoint.getByTestId('webhook-delivery').filter({ has: admin.getByTestId('webhook-attempt').nth(1) });
        await expect(first).toHaveCount(1);
        await expect(first.getByTestId('webhook-attempt').first()).toContainText('500');
        await admin.screenshot({ path: info.outputPath(`integrations-${lang}.png`), fullPage: true });

        // Sending one again: the receiver gets the same event id once more.
        const before = hooks.received.length;
        await endpoint.getByTestId('webhook-redeliver').first().click();
        await expect.poll(() => hooks.received.length).toBeGreaterThan(before);
        const again = hooks.received[hooks.received.length - 1];
        expect(hooks.received.filter((r) => r.id === again.id).length).toBeGreaterThanOrEqual(2);

        // The token, revoked, opens nothing.
        await row.getByTestId('api-token-revoke').click();
        await expect(row).toHaveAttribute('data-revoked', 'true');
        expect((await agents()).status).toBe(401);

        await admin.setViewportSize({ width: 390, height: 844 });
        await panel.scrollIntoViewIfNeeded();
        await admin.screenshot({ path: info.outputPath(`integrations-phone-${lang}.png`) });
      } finally {
        await hooks.close();
      }
    });
  });
}
