// Quick exit and signing out leave nothing of the forum behind, in a real browser against the
// real server: after quick exit (button or Escape twice, in the app or on a page served without
// it) the session is over on the server,
// Back shows no page of the forum (no handle, no email, no thread title), and every other open
// tab of the site blanks itself and leaves too; signing out in one tab takes the other tabs off
// the members' screens; and search words never go into the address.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  NEUTRAL_SITE,
  apiCall,
  createAdmin,
  launchBrowser,
  makeMember,
  signInApi,
  signedInContext,
  startServer,
  watchPage,
} from './harness.mjs';

let server;
let browser;
let admin;
let boardId;
let threadId;
const problems = [];

const TITLE = 'Evenings are the hardest';
const HANDLE = 'juniper';
const EMAIL = 'juniper@example.org';

/** A signed-in member's browser (a new session each time) and its first tab. */
async function memberBrowser({ phone = false } = {}) {
  const session = await signInApi(server.origin, HANDLE);
  const context = await signedInContext(browser, server, session.cookie, { phone });
  return { context, cookie: session.cookie };
}

async function tab(context) {
  const page = await context.newPage();
  page.problems = watchPage(page);
  return page;
}

/** Whether the server still knows the session behind `cookie`. */
async function stillSignedIn(cookie) {
  const r = await apiCall(server.origin, 'GET', '/api/session', undefined, cookie);
  return r.status === 200;
}

/** Goes Back until there is nowhere further back, checking each page shows nothing of the forum. */
async function backShowsNothing(page, label) {
  const seen = [];
  for (let i = 0; i < 12; i++) {
    const went = await page.goBack({ waitUntil: 'load' }).catch(() => null);
    if (!went && page.url() === seen.at(-1)) break;
    await page.waitForTimeout(300);
    const url = page.url();
    const text = await page.evaluate(() => document.body?.innerText ?? '').catch(() => '');
    seen.push(url);
    assert.ok(!url.startsWith(server.origin), `${label}: Back led to a page of the forum: ${url}`);
    for (const words of [HANDLE, EMAIL, TITLE, 'Welcome back']) {
      assert.ok(!text.includes(words), `${label}: Back shows “${words}” at ${url}:\n${text}`);
    }
    if (!went) break;
  }
  return seen;
}

describe('leaving nothing behind', () => {
  before(async () => {
    server = await startServer();
    await createAdmin(server);
    admin = await signInApi(server.origin, 'coordinator');
    browser = await launchBrowser();
    const b = await apiCall(server.origin, 'POST', '/api/admin/boards', { name: 'Talking it through' }, admin.cookie);
    assert.equal(b.status, 201, JSON.stringify(b.body));
    boardId = b.body.board.id;
    const t = await apiCall(server.origin, 'POST', `/api/boards/${boardId}/threads`, {
      title: TITLE,
      body: 'How do you get through the evenings? Share what helps, even small things.',
    }, admin.cookie);
    assert.equal(t.status, 201, JSON.stringify(t.body));
    threadId = t.body.thread.id;
    await makeMember(server, admin.cookie, HANDLE);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    assert.deepEqual(problems, [], `script errors or CSP refusals:\n${problems.join('\n')}`);
  });

  for (const phone of [false, true]) {
    const how = phone ? 'Escape twice' : 'the button';
    test(`quick exit by ${how} ends the session, leaves nothing behind Back, and empties the other tab (${phone ? 'phone' : 'desktop'})`, async () => {
      const { context, cookie } = await memberBrowser({ phone });
      const page = await tab(context);
      await page.goto('/');
      await page.getByRole('heading', { name: new RegExp(`^Welcome( back)?, ${HANDLE}$`) }).waitFor();
      // Reads a thread, then the account and the profile, all by the app's own links.
      await page.getByRole('link', { name: 'Talking it through' }).first().click();
      await page.getByRole('link', { name: TITLE }).click();
      await page.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
      await page.getByText(EMAIL).waitFor();
      await page.getByRole('link', { name: 'See your profile as others see it' }).click();
      await page.getByRole('heading', { name: HANDLE, level: 1 }).waitFor();

      // A second tab of the same browser, left on the thread.
      const other = await tab(context);
      await other.goto(`/threads/${threadId}`);
      await other.getByRole('heading', { name: TITLE, level: 1 }).waitFor();

      await page.bringToFront();
      if (phone) {
        await page.keyboard.press('Escape');
        await page.keyboard.press('Escape');
      } else {
        await page.getByRole('button', { name: /Quick exit/ }).click();
      }
      await page.waitForURL(NEUTRAL_SITE);
      await other.waitForURL(NEUTRAL_SITE, { timeout: 10_000 });

      // The session is over on the server, not just on this screen.
      for (let i = 0; i < 20 && (await stillSignedIn(cookie)); i++) await page.waitForTimeout(100);
      assert.equal(await stillSignedIn(cookie), false, 'quick exit ended the session on the server');

      await backShowsNothing(page, 'the tab that left');
      await backShowsNothing(other, 'the other tab');

      problems.push(...page.problems(), ...other.problems());
      await context.close();
    });
  }

  test('quick exit on a page served without the app (a reset link) ends the session and empties the app’s tabs', async () => {
    const { context, cookie } = await memberBrowser();
    const app = await tab(context);
    await app.goto(`/threads/${threadId}`);
    await app.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    const plain = await tab(context);
    await plain.goto('/reset?token=not-a-real-token');
    await plain.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await plain.getByRole('link', { name: 'Quick exit' }).click();
    await plain.waitForURL(NEUTRAL_SITE);
    await app.waitForURL(NEUTRAL_SITE, { timeout: 10_000 });
    for (let i = 0; i < 20 && (await stillSignedIn(cookie)); i++) await app.waitForTimeout(100);
    assert.equal(await stillSignedIn(cookie), false, 'the session ended');
    await backShowsNothing(app, 'the app’s tab');
    problems.push(...app.problems(), ...plain.problems());
    await context.close();
  });

  test('signing out in one tab takes the other tabs off the members’ screens', async () => {
    const { context } = await memberBrowser();
    const one = await tab(context);
    await one.goto('/account');
    await one.getByText(EMAIL).waitFor();
    const two = await tab(context);
    await two.goto(`/threads/${threadId}`);
    await two.getByRole('heading', { name: TITLE, level: 1 }).waitFor();

    await one.bringToFront();
    await one.getByRole('button', { name: 'Sign out' }).click();
    await one.getByText('You have signed out.').waitFor();

    await two.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor({ timeout: 10_000 });
    assert.equal(new URL(two.url()).pathname, '/sign-in');
    const text = await two.locator('body').innerText();
    assert.ok(!text.includes(TITLE), `the other tab still shows the thread:\n${text}`);
    assert.ok(!text.includes(HANDLE), `the other tab still shows the handle:\n${text}`);
    problems.push(...one.problems(), ...two.problems());
    await context.close();
  });

  for (const phone of [false, true]) {
    test(`search words never go into the address (${phone ? 'phone' : 'desktop'})`, async () => {
      const { context } = await memberBrowser({ phone });
      const page = await tab(context);
      await page.goto('/search');
      await page.getByRole('heading', { name: 'Search', level: 1 }).waitFor();
      const entries = await page.evaluate(() => history.length);
      await page.getByLabel('Words to find').fill('hardest evenings');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByTestId('search-result').first().waitFor();
      assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/search');
      assert.ok(!/hardest|evenings/i.test(page.url()), page.url());
      assert.equal(await page.evaluate(() => history.length), entries, 'no history entry added');
      // Nothing of the search is kept in the browser's storage either.
      const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
      assert.ok(!/hardest/i.test(stored), stored);

      // Off to a result and back by the app's links: the search is still there, still not in the address.
      await page.getByTestId('search-result').first().getByRole('link').first().click();
      await page.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
      assert.ok(!/hardest|evenings/i.test(page.url()), page.url());
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click();
      await page.getByRole('heading', { name: 'Search', level: 1 }).waitFor();
      assert.equal(await page.getByLabel('Words to find').inputValue(), 'hardest evenings');
      await page.getByTestId('search-result').first().waitFor();
      assert.ok(!/hardest|evenings/i.test(page.url()), page.url());

      // An old address with words in it runs once and loses them at once.
      await page.goto('/search?q=evenings');
      await page.getByTestId('search-result').first().waitFor();
      assert.equal(new URL(page.url()).search, '');
      problems.push(...page.problems());
      await context.close();
    });
  }
});
