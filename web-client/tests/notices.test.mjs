// The notices of issue 14, item 6, in real browsers against the real server on a fresh
// database: a moderator's edit is told to its author and shown to readers; a room that needs a
// moderator closes on screen when its moderator leaves; a suspended member's open tab says so
// instead of reconnecting for ever.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  apiCall,
  checkScreen,
  createAdmin,
  establish,
  launchBrowser,
  makeMember,
  PASSWORD,
  signInApi,
  signedInContext,
  startServer,
  watchPage,
} from './harness.mjs';

let server;
let browser;
let admin;
let threadId;
const contexts = [];
const problems = [];

async function pageFor(session, options = {}) {
  const context = await signedInContext(browser, server, session.cookie, options);
  contexts.push(context);
  const page = await context.newPage();
  const errors = watchPage(page);
  page.collect = () => problems.push(...errors());
  return page;
}

describe('notices', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await createAdmin(server);
    admin = await signInApi(server.origin, 'coordinator');
    const board = await apiCall(server.origin, 'POST', '/api/admin/boards', { name: 'Partners' }, admin.cookie);
    const thread = await apiCall(
      server.origin,
      'POST',
      `/api/boards/${board.body.board.id}/threads`,
      { title: 'Court dates', body: 'Share how you are getting through.' },
      admin.cookie,
    );
    threadId = thread.body.thread.id;
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    assert.deepEqual(problems, [], `script errors or CSP refusals:\n${problems.join('\n')}`);
  });

  test('a moderator edits a held post; the author is told why, and readers see it was edited by a moderator', async () => {
    const moderator = await makeMember(server, admin.cookie, 'evening_mod', { role: 'moderator' });
    const author = await makeMember(server, admin.cookie, 'hopeful_mum');
    await establish(server, admin.cookie, author.cookie, threadId);
    const r = await apiCall(server.origin, 'POST', `/api/threads/${threadId}/posts`, { body: 'His hearing is at Leeds Crown Court on Monday.' }, author.cookie);
    assert.equal(r.body.moderation.status, 'held', JSON.stringify(r.body));

    const mod = await pageFor(moderator);
    await mod.goto('/mod/queue');
    const card = mod.getByTestId('queue-item').filter({ hasText: 'Leeds Crown Court' });
    await card.getByRole('button', { name: /Edit, then/ }).click();
    await card.getByLabel('The post as it will be published').fill('His hearing is at [court removed] on Monday.');
    await card.getByLabel(/Why you changed it/).fill('We took out the court so nobody can be identified.');
    await card.getByRole('button', { name: /with these changes/ }).click();
    await mod.getByText(/hopeful_mum is told a moderator edited it/).waitFor();
    mod.collect();

    const page = await pageFor(author, { phone: true });
    await page.goto('/notifications');
    await page.getByText('A moderator edited your post.', { exact: false }).waitFor();
    await page.getByText('We took out the court so nobody can be identified.').waitFor();
    // The newest notice is the edit (the three before it approved the member's first posts).
    const newest = await page.locator('main li').first().innerText();
    assert.match(newest, /A moderator edited your post/);
    assert.doesNotMatch(newest, /approved/);
    await checkScreen(page, 'notice-moderator-edit');
    await page.goto(`/threads/${threadId}`);
    const post = page.getByTestId('post').filter({ hasText: '[court removed]' });
    await post.getByTestId('edited-by-moderator').waitFor();
    assert.match(await post.innerText(), /edited by a moderator/);
    page.collect();
  });

  test('a suspended member’s open tab says so, with the reason and until when, and stops reconnecting', async () => {
    const member = await makeMember(server, admin.cookie, 'restless_dad');
    const page = await pageFor(member);
    await page.goto(`/threads/${threadId}`);
    await page.locator('[data-testid="posts"][data-live="on"]').waitFor();
    const suspended = await apiCall(
      server.origin,
      'POST',
      `/api/mod/members/${member.member.id}/suspend`,
      { hours: 48, reason: 'Please take a break after the argument in the evening thread.' },
      admin.cookie,
    );
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    const notice = page.getByTestId('account-suspended');
    await notice.waitFor({ timeout: 5000 });
    const text = await notice.innerText();
    assert.match(text, /Your account is suspended/);
    const until = new Date(Date.now() + 48 * 3600_000).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
    assert.match(text, new RegExp(`until ${until}`));
    // The moderators' words are not on the open screen (a passer-by may see it): behind the password.
    assert.doesNotMatch(text, /Please take a break/);
    // It stays: no "Reconnecting…" and no new socket attempts.
    await page.waitForTimeout(3000);
    assert.doesNotMatch(await page.getByTestId('connection').innerText(), /Reconnecting/);
    await notice.waitFor();
    await checkScreen(page, 'notice-suspended-tab');
    await page.getByLabel('Handle or email address').fill('restless_dad');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/Please take a break after the argument/).waitFor();
    page.collect();
  });

  test('a suspended tab says so even when a 401 reaches it before its socket’s close', async () => {
    // The race seen in CI: the suspension is stored (every request of the member answers 401
    // from then on) and the server then closes the member's sockets with the reason. A request
    // that crosses the close ends the session in the app first, and the app lets its socket go;
    // the close that follows still says why, and the tab must show it.
    const member = await makeMember(server, admin.cookie, 'late_close');
    const page = await pageFor(member);
    await page.routeWebSocket('**/api/ws', (ws) => {
      const upstream = ws.connectToServer();
      // The page closing its side waits for the server's close, as a real socket does.
      ws.onClose(() => {});
      upstream.onClose(async (code, reason) => {
        // The session ended as far as the app knows (as after a 401), and only then does the
        // server's close reach the page.
        await page.evaluate(() => window.dispatchEvent(new Event('hearth:session-ended'))).catch(() => {});
        await page.waitForTimeout(200);
        ws.close({ code, reason });
      });
    });
    await page.goto(`/threads/${threadId}`);
    await page.locator('[data-testid="posts"][data-live="on"]').waitFor();
    const suspended = await apiCall(
      server.origin,
      'POST',
      `/api/mod/members/${member.member.id}/suspend`,
      { hours: 24, reason: 'A pause.' },
      admin.cookie,
    );
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    const notice = page.getByTestId('account-suspended');
    await notice.waitFor({ timeout: 5000 });
    assert.match(await notice.innerText(), /Your account is suspended/);
    page.collect();
  });

  test('a moderator leaves a room that needs one; the member sees it close at once', async () => {
    const room = await apiCall(server.origin, 'POST', '/api/admin/rooms', { name: 'Supported hour', needs_moderator: true, new_member_slow_mode_seconds: 0 }, admin.cookie);
    assert.equal(room.status, 201, JSON.stringify(room.body));
    const roomId = room.body.room.id;
    const moderator = await makeMember(server, admin.cookie, 'volunteer_sam', { role: 'moderator' });
    const member = await makeMember(server, admin.cookie, 'waiting_sister');

    const mod = await pageFor(moderator);
    await mod.goto(`/rooms/${roomId}`);
    await mod.locator('[data-testid="chat"][data-live="on"]').waitFor({ state: 'attached' });

    const page = await pageFor(member, { phone: true });
    await page.goto(`/rooms/${roomId}`);
    await page.locator('[data-testid="chat"][data-live="on"]').waitFor({ state: 'attached' });
    await page.getByTestId('moderator-here').waitFor();
    await page.getByLabel('Your message').waitFor();

    // The moderator closes their tab.
    mod.collect();
    const left = Date.now();
    await mod.close();
    const notice = page.getByTestId('room-closed');
    await notice.waitFor({ timeout: 5000 });
    assert.ok(Date.now() - left < 5000, 'closed on screen within 5 seconds');
    assert.match(await notice.innerText(), /The moderator has left, so this room is now closed/);
    assert.equal(await page.getByTestId('moderator-here').count(), 0, 'the moderator is no longer shown as here');
    assert.equal(await page.getByLabel('Your message').count(), 0, 'no message box in a closed room');
    await checkScreen(page, 'notice-room-closed');
    page.collect();
  });

  test('the application form says every problem at once, a swapped day and month in words, and a used invite as the page opens', async () => {
    const context = await browser.newContext({ baseURL: server.origin, viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    const errors = watchPage(page);
    await page.goto('/apply');
    await page.getByLabel('Handle').fill('x');
    await page.getByLabel('Email address').fill('not-an-email');
    await page.getByLabel('Password').fill('short');
    await page.getByLabel('Day').fill('12');
    await page.getByLabel('Month').fill('31');
    await page.getByLabel('Year').fill('1980');
    await page.getByRole('button', { name: 'Send my application' }).click();
    const summary = page.locator('.error-summary');
    await summary.getByText('There are problems').waitFor();
    const text = await summary.innerText();
    assert.match(text, /There is no month 31: the day and month may be the wrong way round/);
    assert.doesNotMatch(text, /YYYY|date_of_birth/);
    // Every field at fault, at once: handle, email, password, date, rules, statement.
    assert.ok((await summary.locator('li').count()) >= 6, text);
    assert.match(await page.locator('#dob-error').innerText(), /day first, then the month/);
    await checkScreen(page, 'notice-apply-errors');

    // An invite already used: said as the page opens, before anything is typed.
    const inv = await apiCall(server.origin, 'POST', '/api/admin/invites', { confirm_adult: true }, admin.cookie);
    const used = await apiCall(server.origin, 'POST', '/api/applications', {
      handle: 'first_invitee', email: 'first_invitee@example.org', password: PASSWORD,
      date_of_birth: '1970-03-03', statement: '', accept_rules: true, invite: inv.body.token,
    });
    assert.equal(used.status, 201, JSON.stringify(used.body));
    await page.goto(`/apply?invite=${encodeURIComponent(inv.body.token)}`);
    await page.getByTestId('invite-invalid').waitFor({ timeout: 5000 });
    assert.match(await page.getByTestId('invite-invalid').innerText(), /already been used, it has expired, or it was withdrawn/);
    await checkScreen(page, 'notice-apply-invite-used');
    problems.push(...errors().filter((e) => !/status of 400/.test(e)));
  });
});
