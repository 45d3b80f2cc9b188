// First run in a real browser: the operator opens the setup link the server printed, fills the
// form and submits it. Every page is sent with `Referrer-Policy: no-referrer`, so Chromium posts
// the form with `Origin: null`; the server must know the form is its own (by Sec-Fetch-Site)
// and create the admin, not answer with a raw `cross_origin` error.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { PASSWORD, apiCall, launchBrowser, newContext, screenshot, startServer, watchPage } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the printed setup link creates the first admin in the browser', async () => {
  const context = await newContext(browser, server);
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`/setup?token=${server.setupToken}`);
  await page.getByLabel(/handle/i).fill('coordinator');
  await page.getByLabel(/email/i).fill('coordinator@example.org');
  await page.getByLabel(/password/i).fill(PASSWORD);
  await page.locator('form').getByRole('button').click();
  await page.getByRole('heading', { name: 'Done' }).waitFor();
  assert.ok(!(await page.locator('body').innerText()).includes('cross_origin'));
  await screenshot(page, 'first-run-done');
  // The admin exists: signing in works.
  const r = await apiCall(server.origin, 'POST', '/api/session', { login: 'coordinator', password: PASSWORD });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(problems(), []);
  await context.close();
});
