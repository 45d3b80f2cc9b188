// A shared device in a real browser against the real server on a fresh database: one member's
// unsent words (a reply, a new thread, a chat message in the box, a chat message waiting to be
// sent) are never shown to, or sent as, the next member on the same browser, however the first
// member's session ended: their password changed elsewhere, a request answered 401, a
// suspension closing their socket (1008). Drafts are kept under keys that name neither the
// member nor the forum.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  PASSWORD,
  apiCall,
  checkScreen,
  createAdmin,
  establish,
  launchBrowser,
  makeMember,
  newContext,
  screenshot,
  signInApi,
  signedInContext,
  startServer,
  watchPage,
} from './harness.mjs';

let server;
let browser;
let admin; // { cookie, member }
let boardId;
let roomId;
let threadId;
const problems = [];
const contexts = [];

const NEW_PASSWORD = 'another calm long passphrase';

/** A fresh browser (its own cookies and storage), as a shared device starts out. */
async function freshContext() {
  const context = await newContext(browser, server);
  contexts.push(context);
  return context;
}

/** A tab in `context`, watched for script and CSP errors. */
async function tab(context, { allowSocketErrors = false } = {}) {
  const page = await context.newPage();
  const seen = watchPage(page);
  page.problems = () => seen().filter((p) => !(allowSocketErrors && /WebSocket/i.test(p)));
  return page;
}

function collect(...pages) {
  for (const p of pages) problems.push(...p.problems());
}

/** Signs in on the sign-in form the page shows (at /sign-in, or in place of a members' page). */
async function signInHere(page, login, password = PASSWORD) {
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  await page.getByLabel('Handle or email address').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Every key and value in the page's localStorage, as one string. */
const storageText = (page) =>
  page.evaluate(() => Object.entries(localStorage).map(([k, v]) => `${k}=${v}`).join('\n'));

/** Waits until localStorage holds `words` (the draft was kept, so the test is not vacuous). */
async function draftKept(page, words) {
  await page.waitForFunction((w) => Object.values(localStorage).some((v) => v.includes(w)), words, { timeout: 5000 });
}

/** Ends the member's browser session from elsewhere: they change their password on another device. */
async function changePasswordElsewhere(handle) {
  const other = await signInApi(server.origin, handle);
  const r = await apiCall(server.origin, 'POST', '/api/me/password', { current_password: PASSWORD, new_password: NEW_PASSWORD }, other.cookie);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(r.body.other_sessions_ended >= 1, 'the browser’s session was ended');
}

/** Whether any text box on the page, or the page's text, holds `words`. */
const pageShows = (page, words) =>
  page.evaluate(
    (w) =>
      [...document.querySelectorAll('textarea, input')].some((el) => el.value.includes(w)) ||
      document.body.innerText.includes(w),
    words,
  );

describe('a shared device in the browser', () => {
  before(async () => {
    server = await startServer();
    await createAdmin(server);
    admin = await signInApi(server.origin, 'coordinator');
    browser = await launchBrowser();
    const b = await apiCall(server.origin, 'POST', '/api/admin/boards', { name: 'Talking it through', description: 'Anything on your mind.' }, admin.cookie);
    assert.equal(b.status, 201, JSON.stringify(b.body));
    boardId = b.body.board.id;
    const r = await apiCall(server.origin, 'POST', '/api/admin/rooms', { name: 'Evening chat', slow_mode_seconds: 0, new_member_slow_mode_seconds: 0 }, admin.cookie);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    roomId = r.body.room.id;
    const t = await apiCall(server.origin, 'POST', `/api/boards/${boardId}/threads`, {
      title: 'Evenings are the hardest',
      body: 'How do you get through the evenings?',
    }, admin.cookie);
    assert.equal(t.status, 201, JSON.stringify(t.body));
    threadId = t.body.thread.id;
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    assert.deepEqual(problems, [], `script errors or CSP refusals:\n${problems.join('\n')}`);
  });

  test('a reply draft is not shown to the next member after the session ended elsewhere', async () => {
    const a = await makeMember(server, admin.cookie, 'Hidden_Fern');
    await makeMember(server, admin.cookie, 'Next_Person');
    const words = 'He checks my phone every night and I am scared';
    const device = await freshContext();

    // Member A signs in, opens the thread and starts a reply, but does not send it.
    const first = await tab(device);
    await first.goto('/sign-in');
    await signInHere(first, 'Hidden_Fern');
    await first.getByTestId('home').waitFor();
    await first.goto(`/threads/${threadId}`);
    await first.getByRole('heading', { name: 'Evenings are the hardest', level: 1 }).waitFor();
    await first.getByLabel('Your reply').fill(words);
    await draftKept(first, words);
    // The key names neither the member nor the forum.
    const keys = await first.evaluate(() => Object.keys(localStorage));
    assert.equal(keys.length, 1, keys.join(', '));
    assert.match(keys[0], /^notes-draft:/);
    for (const secret of ['Hidden_Fern', 'hidden_fern', a.member.id, 'hearth', 'forum']) {
      assert.ok(!keys[0].toLowerCase().includes(secret.toLowerCase()), `the key ${keys[0]} holds ${secret}`);
    }

    // A's session ends elsewhere (their password changed on another device); the tab stays open.
    await changePasswordElsewhere('Hidden_Fern');

    // The next person on this browser opens the same thread and signs in as member B.
    const next = await tab(device);
    await next.goto(`/threads/${threadId}`);
    await signInHere(next, 'Next_Person');
    await next.getByRole('heading', { name: 'Evenings are the hardest', level: 1 }).waitFor();
    await next.getByLabel('Your reply').waitFor();
    await next.waitForTimeout(300);
    assert.equal(await next.getByLabel('Your reply').inputValue(), '', 'B’s reply box is empty');
    assert.equal(await pageShows(next, words), false, 'B’s page shows none of A’s words');
    const stored = await storageText(next);
    assert.ok(!stored.includes('scared'), `localStorage still holds A’s words:\n${stored}`);

    // A's tab, still open in the same browser, no longer shows A's words either.
    await first.waitForFunction((w) => ![...document.querySelectorAll('textarea')].some((t) => t.value.includes(w)), words, { timeout: 5000 });
    assert.equal(await pageShows(first, words), false, 'the first tab shows none of A’s words');
    await screenshot(next, 'shared-device-next-member');
    await screenshot(first, 'shared-device-first-tab');
    collect(first, next);
  });

  test('a request answered 401 ends the session on screen and takes the new-thread draft with it', async () => {
    const a = await makeMember(server, admin.cookie, 'Tired_Wren');
    await makeMember(server, admin.cookie, 'Second_Member');
    const title = 'Nobody at home knows I am here';
    const words = 'I am writing this while he is out at work';
    const device = await signedInContext(browser, server, a.cookie);
    contexts.push(device);
    const page = await tab(device);
    await page.goto(`/boards/${boardId}`);
    await page.getByRole('button', { name: 'Start a new thread' }).click();
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Your first post').fill(words);
    await draftKept(page, words);

    await changePasswordElsewhere('Tired_Wren');
    // The server closes this session's socket at once (1008), which may already have ended the
    // session on screen; if not, the next request finds the session gone (401).
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Chat' })
      .click({ timeout: 2_000 })
      .catch(() => {});
    await page.getByText('Your session has ended.').waitFor();
    const stored = await storageText(page);
    assert.ok(!stored.includes('he is out') && !stored.includes('Nobody at home'), `localStorage still holds the draft:\n${stored}`);
    await checkScreen(page, 'sign-in-session-ended');

    // The next member signs in here and starts a thread on the same board: an empty composer.
    await signInHere(page, 'Second_Member');
    // Signed in: the sign-in form is gone (the page it returns to depends on how the session
    // ended, by the socket's close or by a 401).
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor({ state: 'detached' });
    await page.goto(`/boards/${boardId}`);
    await page.getByRole('button', { name: 'Start a new thread' }).click();
    await page.getByLabel('Your first post').waitFor();
    assert.equal(await page.getByLabel('Title').inputValue(), '');
    assert.equal(await page.getByLabel('Your first post').inputValue(), '');
    collect(page);
  });

  test('a suspension closes the socket, and the chat box’s words go at once', async () => {
    const a = await makeMember(server, admin.cookie, 'Night_Owl');
    await establish(server, admin.cookie, a.cookie, threadId);
    const device = await signedInContext(browser, server, a.cookie);
    contexts.push(device);
    const page = await tab(device, { allowSocketErrors: true });
    await page.goto(`/rooms/${roomId}`);
    await page.locator('[data-testid="chat"][data-live="on"]').waitFor({ state: 'attached' });
    const words = 'I might leave on Friday when he is at his mother';
    await page.getByLabel('Your message').fill(words);
    await draftKept(page, words);

    const r = await apiCall(server.origin, 'POST', `/api/mod/members/${a.member.id}/suspend`, { hours: 2, reason: 'A short break' }, admin.cookie);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // Nobody touches the page: the socket's close (1008) is enough, and says why.
    await page.getByTestId('account-suspended').getByText('Your account is suspended').waitFor({ timeout: 10_000 });
    assert.equal(await pageShows(page, words), false);
    const stored = await storageText(page);
    assert.ok(!stored.includes('Friday'), `localStorage still holds the chat draft:\n${stored}`);
    await screenshot(page, 'shared-device-suspended');
    collect(page);
  });

  test('a chat message still waiting to be sent is never sent under the next member’s name', async () => {
    const a = await makeMember(server, admin.cookie, 'Quiet_Fox');
    const b = await makeMember(server, admin.cookie, 'Other_Fox');
    await establish(server, admin.cookie, a.cookie, threadId);
    await establish(server, admin.cookie, b.cookie, threadId);
    const device = await freshContext();
    const first = await tab(device, { allowSocketErrors: true });
    // While `blocked`, this tab's sockets are cut as soon as they open (a lost connection).
    let blocked = false;
    await first.routeWebSocket(/\/api\/ws$/, (ws) => {
      if (blocked) ws.close();
      else ws.connectToServer();
    });
    await first.goto('/sign-in');
    await signInHere(first, 'Quiet_Fox');
    await first.getByTestId('home').waitFor();
    await first.goto(`/rooms/${roomId}`);
    await first.locator('[data-testid="chat"][data-live="on"]').waitFor({ state: 'attached' });

    // The connection drops; A sends a message, which waits for the connection to come back.
    blocked = true;
    await first.evaluate(() => window.__hearthSocket.kill());
    const words = 'Please do not tell anyone I wrote this tonight';
    await first.getByLabel('Your message').fill(words);
    await first.getByLabel('Your message').press('Enter');
    await first.locator('[data-testid="message"][data-status="sending"]').waitFor();

    // A's session ends elsewhere, and member B signs in on this browser in another tab.
    await changePasswordElsewhere('Quiet_Fox');
    const next = await tab(device);
    await next.goto('/sign-in');
    await signInHere(next, 'Other_Fox');
    await next.getByTestId('home').waitFor();

    // The connection comes back (with B's session cookie now).
    blocked = false;
    await first.waitForFunction(
      () => window.__hearthSocket.state() === 'open' || !!document.querySelector('#main h1')?.textContent?.includes('Sign in'),
      undefined,
      { timeout: 20_000 },
    );
    await first.waitForTimeout(1500);
    const history = await apiCall(server.origin, 'GET', `/api/rooms/${roomId}/messages?limit=50`, undefined, admin.cookie);
    assert.equal(history.status, 200);
    const sent = history.body.messages.filter((m) => m.body_html.includes('do not tell anyone'));
    assert.deepEqual(sent.map((m) => m.author), [], 'A’s unsent message was not sent by anyone');
    assert.equal(await pageShows(first, words), false, 'the first tab shows none of A’s words');
    await screenshot(first, 'shared-device-outbox');
    collect(first, next);
  });
});
