// First run in a real browser: the operator opens the setup link the server printed, fills the
// form and submits it. Every page is sent with `Referrer-Policy: no-referrer`, so Chromium posts
// the form with `Origin: null`; the server must know the form is its own (by Sec-Fetch-Site)
// and create the admin, not answer with a raw `cross_origin` error.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { PASSWORD, apiCall, launchBrowser, newContext, screenshot, startServer, totpCode, watchPage } from './harness.mjs';

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

test('the first admin signs in and sets up an authenticator app before anything of staff', async () => {
  const context = await newContext(browser, server);
  const page = await context.newPage();
  const problems = watchPage(page);
  // The setup page's last link leads here.
  await page.goto('/account/security');
  await page.getByLabel('Handle or email address').fill('coordinator');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sign-in security' }).waitFor();
  await page.getByText('Your staff account needs a second factor').waitFor();
  // Nothing of staff works yet.
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const refused = await apiCall(server.origin, 'GET', '/api/admin/applications', undefined, cookie);
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 'second_factor_required');
  await page.getByTestId('totp-begin').click();
  await page.locator('.qr-code svg').waitFor();
  const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s/g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await screenshot(page, 'totp-enrol');
  await page.getByLabel('The six-digit code your app shows').fill(totpCode(secret, Math.floor(Date.now() / 30_000)));
  await page.getByRole('button', { name: 'Finish setting up' }).click();
  const codes = page.getByTestId('recovery-codes');
  await codes.waitFor();
  assert.equal(await codes.locator('li').count(), 10);
  await screenshot(page, 'recovery-codes');
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await page.getByTestId('totp-enrolled').waitFor();
  const allowed = await apiCall(server.origin, 'GET', '/api/admin/applications', undefined, cookie);
  assert.equal(allowed.status, 200, JSON.stringify(allowed.body));

  // Signing in again asks for the second step; a code from the app finishes it.
  await page.getByRole('button', { name: 'Sign out' }).click();
  // Signed out for sure before going on: a navigation while the sign-out is in flight would
  // cancel it, and the still-signed-in page would leave the sign-in screen at once.
  await page.getByText('You have signed out.').waitFor();
  await page.getByLabel('Handle or email address').fill('coordinator');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('second-step').waitFor();
  await page.getByLabel('The six-digit code your authenticator app shows').fill('000000' === totpCode(secret, Math.floor(Date.now() / 30_000) + 1) ? '111111' : '000000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That code did not work').waitFor();
  await screenshot(page, 'second-step-wrong');
  await page.getByLabel('The six-digit code your authenticator app shows').fill(totpCode(secret, Math.floor(Date.now() / 30_000) + 1));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Account' }).first().waitFor();
  const who = await page.evaluate(async () => (await fetch('/api/session')).json());
  assert.equal(who.member.role, 'admin');
  assert.deepEqual(problems(), []);
  await context.close();
});
