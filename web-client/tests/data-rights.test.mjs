// The data rights the privacy notice promises, in the account screen of a real browser against
// the real server: "Download my data" saves a JSON file of everything held about the member, and
// "Erase my account" (explained, confirmed with the password) erases it and signs them out for
// good, with a calm goodbye.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import {
  PASSWORD,
  apiCall,
  checkScreen,
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
let threadId;
const problems = [];

describe('data rights in the account screen', () => {
  before(async () => {
    server = await startServer();
    await createAdmin(server);
    admin = await signInApi(server.origin, 'coordinator');
    browser = await launchBrowser();
    const b = await apiCall(server.origin, 'POST', '/api/admin/boards', { name: 'Talking it through' }, admin.cookie);
    const t = await apiCall(server.origin, 'POST', `/api/boards/${b.body.board.id}/threads`, {
      title: 'Evenings are the hardest',
      body: 'How do you get through the evenings?',
    }, admin.cookie);
    threadId = t.body.thread.id;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    assert.deepEqual(problems, [], `script errors or CSP refusals:\n${problems.join('\n')}`);
  });

  for (const phone of [false, true]) {
    const handle = phone ? 'heron' : 'plover';
    test(`a member downloads their data, then erases their account for good (${phone ? 'phone' : 'desktop'})`, async () => {
      const { cookie } = await makeMember(server, admin.cookie, handle);
      const posted = await apiCall(server.origin, 'POST', `/api/threads/${threadId}/posts`, { body: 'Walking the dog helps me.' }, cookie);
      assert.equal(posted.status, 201, JSON.stringify(posted.body));
      const context = await signedInContext(browser, server, cookie, { phone });
      const page = await context.newPage();
      page.problems = watchPage(page);
      await page.goto('/account');
      await page.getByRole('heading', { name: 'Your data', level: 2 }).waitFor();
      if (!phone) await checkScreen(page, 'account-data-rights');

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download my data' }).click(),
      ]);
      const data = JSON.parse(await readFile(await download.path(), 'utf8'));
      assert.equal(data.account.handle, handle);
      assert.ok(data.posts.some((p) => p.body === 'Walking the dog helps me.'), 'their post is in the file');

      // What erasing does and does not do is said before anything happens.
      const section = page.getByTestId('erase');
      const words = await section.innerText();
      assert.match(words, /cannot be undone/i);
      assert.match(words, /reserved for a year/i);
      assert.match(words, /former member/i);

      // A wrong password erases nothing and says so.
      await section.getByLabel('Delete them').check();
      await section.getByLabel('Your password').fill('not my password at all');
      await section.getByRole('button', { name: 'Erase my account' }).click();
      await section.getByText('The password is not right; nothing was erased.').first().waitFor();
      assert.equal((await apiCall(server.origin, 'GET', '/api/session', undefined, cookie)).status, 200);

      await section.getByLabel('Your password').fill(PASSWORD);
      await section.getByRole('button', { name: 'Erase my account' }).click();
      await page.getByRole('heading', { name: 'Your account has been erased', level: 1 }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/goodbye');
      const goodbye = await page.locator('main').innerText();
      assert.ok(!goodbye.includes(handle), 'the goodbye names nobody');
      if (!phone) await checkScreen(page, 'erase-goodbye');

      // Signed out for good: the session is over and the old password opens nothing.
      assert.equal((await apiCall(server.origin, 'GET', '/api/session', undefined, cookie)).status, 401);
      const again = await apiCall(server.origin, 'POST', '/api/session', { login: handle, password: PASSWORD });
      assert.equal(again.status, 401, JSON.stringify(again.body));
      await page.getByRole('link', { name: 'Sign in' }).first().click();
      await page.getByLabel('Handle or email address').fill(handle);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').first().waitFor();
      assert.equal(new URL(page.url()).pathname, '/sign-in');
      // Their post went with them.
      const posts = await apiCall(server.origin, 'GET', `/api/threads/${threadId}/posts`, undefined, admin.cookie);
      assert.ok(!JSON.stringify(posts.body).includes('Walking the dog helps me.'));
      problems.push(...page.problems());
      await context.close();
    });
  }
});
