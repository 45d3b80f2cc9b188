// Members' everyday comforts (issue 14 item 8) in a real browser against the real server on a
// fresh database, with one server and few browser contexts (this file should run in well under
// a minute):
//
// - applying says when to expect an answer (the server's figure);
// - the first sign-in shows a welcome (what the group is, the rules in brief, where to start,
//   quick exit) once: put away, it stays away after a reload and on another device, and
//   nothing of it is kept in the browser;
// - the home page shows each board's unread threads and latest activity, never a held post's
//   nor a staff-only board's;
// - times read "just now", "5 minutes ago", with the exact time on hover and on keyboard focus;
// - "jump to the first new post" in a thread scrolls to and focuses the first post newer than
//   the member's read marker;
// - quoting a post puts it in the reply as a Markdown quote with the author's handle; held
//   posts offer no quote;
// - typing @Ke in the post box and in the chat box offers matching members' handles, chosen
//   with the arrow keys and Enter, closed with Escape (never an applicant's);
// - a chat room opens at its newest message with the message box in view on a 360x740 phone,
//   and members see a moderator's messages marked "Moderator".
// Each screen is checked with axe-core and photographed at 1280 and 360 px.

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
  signInApi,
  signedInContext,
  startServer,
  watchPage,
} from './harness.mjs';

let server;
let browser;
let admin; // the coordinator: an admin, so a moderator in chat
let ann; // Kettle_On: writes what others read and quote
let bo; // Quiet_Owl: reads, jumps, quotes, mentions, chats
let boardId;
let staffBoardId;
let roomId;
let threadId;
const problems = [];
const contexts = [];

const ANN = 'Kettle_On';
const BO = 'Quiet_Owl';
const FERN = 'Fresh_Fern';

async function pageFor(session, { phone = false } = {}) {
  const context = await signedInContext(browser, server, session.cookie, { phone });
  contexts.push(context);
  const page = await context.newPage();
  page.problems = watchPage(page);
  return page;
}

function collect(...pages) {
  for (const p of pages) problems.push(...p.problems());
}

const post = (cookie, thread, body) => apiCall(server.origin, 'POST', `/api/threads/${thread}/posts`, { body }, cookie);

/** Whether `locator`'s box lies within the page's viewport. */
async function inView(page, locator) {
  const box = await locator.boundingBox();
  const vp = page.viewportSize();
  return !!box && box.y >= 0 && box.y + box.height <= vp.height + 1 && box.height > 0;
}

describe('everyday comforts in the browser', () => {
  before(async () => {
    // Chat limits raised so the test can fill a room quickly.
    server = await startServer({ env: { HEARTH_LIMITS_CHAT: '200/10s' } });
    await createAdmin(server);
    admin = await signInApi(server.origin, 'coordinator');
    // The coordinator has been here a while: no welcome for them.
    await apiCall(server.origin, 'DELETE', '/api/me/welcome', undefined, admin.cookie);
    browser = await launchBrowser();
    for (const [name, visibility] of [['Day to day', 'members'], ['Volunteers only', 'moderators']]) {
      const b = await apiCall(server.origin, 'POST', '/api/admin/boards', { name, description: 'Somewhere to talk.', visibility }, admin.cookie);
      assert.ok(b.status === 201, JSON.stringify(b.body));
    }
    const boards = (await apiCall(server.origin, 'GET', '/api/boards', undefined, admin.cookie)).body.boards;
    boardId = boards.find((x) => x.name === 'Day to day').id;
    staffBoardId = boards.find((x) => x.name === 'Volunteers only').id;
    const r = await apiCall(server.origin, 'POST', '/api/admin/rooms', { name: 'Tea break', slow_mode_seconds: 0 }, admin.cookie);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    roomId = (await apiCall(server.origin, 'GET', '/api/rooms', undefined, admin.cookie)).body.rooms.find((x) => x.name === 'Tea break').id;
    const t = await apiCall(server.origin, 'POST', `/api/boards/${boardId}/threads`, {
      title: 'Getting through the evenings',
      body: 'Share anything that helps, however small.',
    }, admin.cookie);
    assert.equal(t.status, 201, JSON.stringify(t.body));
    threadId = t.body.thread.id;
    ann = await makeMember(server, admin.cookie, ANN);
    bo = await makeMember(server, admin.cookie, BO);
    await establish(server, admin.cookie, ann.cookie, threadId);
    await establish(server, admin.cookie, bo.cookie, threadId);
    for (const s of [ann, bo]) await apiCall(server.origin, 'DELETE', '/api/me/welcome', undefined, s.cookie);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    assert.deepEqual(problems, [], `script errors or CSP refusals:\n${problems.join('\n')}`);
  });

  test('applying says when to expect an answer; the first sign-in welcomes once; home shows unread threads and latest activity', async () => {
    const context = await newContext(browser, server, { phone: true });
    contexts.push(context);
    const page = await context.newPage();
    page.problems = watchPage(page);
    await page.goto('/apply');
    await page.getByLabel('Handle', { exact: true }).fill(FERN);
    await page.getByLabel('Email address').fill('fern@example.org');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Day').fill('14');
    await page.getByLabel('Month').fill('6');
    await page.getByLabel('Year').fill('1982');
    await page.getByLabel(/why you would like to join/).fill('My son was charged last year and I feel so alone with it.');
    await page.getByLabel(/I have read the group's rules/).check();
    await page.getByRole('button', { name: 'Send my application' }).click();
    await page.getByRole('heading', { name: 'Thank you for applying' }).waitFor();
    assert.match(await page.getByTestId('answer-timescale').innerText(), /usually within 3 days/);
    await checkScreen(page, 'apply-timescale');

    // An applicant is never offered for a mention.
    const offered = await apiCall(server.origin, 'GET', '/api/mentions?prefix=Fre', undefined, bo.cookie);
    assert.deepEqual(offered.body.handles, []);

    // Meanwhile: a staff-only thread and a held reply, which members never count.
    await apiCall(server.origin, 'POST', `/api/boards/${staffBoardId}/threads`, { title: 'Rota', body: 'Who is on this weekend?' }, admin.cookie);
    const list = await apiCall(server.origin, 'GET', '/api/admin/applications', undefined, admin.cookie);
    const application = list.body.applications.find((a) => a.handle === FERN);
    const ok = await apiCall(server.origin, 'POST', `/api/admin/applications/${application.id}/approve`, { confirm_adult: true }, admin.cookie);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));

    // First sign-in: the welcome.
    await page.goto('/sign-in');
    await page.getByLabel('Handle or email address').fill(FERN);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const welcome = page.getByTestId('welcome');
    await welcome.waitFor();
    const words = await welcome.innerText();
    for (const want of [/private group for adults/, /rules in brief/i, /anonymous/, /Where to start/, /Quick exit/, /Esc/]) assert.match(words, want);
    await page.getByRole('heading', { name: `Welcome, ${FERN}`, level: 1 }).waitFor();
    // Home: the one thread is unread (established members' posts and the admin's), the staff
    // board is not there, and the latest activity reads as a relative time.
    const boards = page.getByTestId('boards');
    await boards.getByTestId('board-unread').first().waitFor();
    assert.equal(await boards.getByTestId('board-unread').innerText(), '1 thread with new posts');
    assert.equal(await page.getByText('Volunteers only').count(), 0);
    assert.match(await boards.getByTestId('board-activity').innerText(), /^Latest: (just now|a minute ago|\d+ minutes ago)/);
    await checkScreen(page, 'home-first-welcome');

    // Put away: gone after a reload and on another device; nothing about it kept in the browser.
    await page.getByTestId('welcome-done').click();
    await welcome.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'boards-heading');
    await page.reload();
    await page.getByTestId('boards').waitFor();
    await page.waitForTimeout(300);
    assert.equal(await page.getByTestId('welcome').count(), 0);
    const kept = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.doesNotMatch(kept, /welcome/i);
    const fern = await signInApi(server.origin, FERN);
    assert.equal((await apiCall(server.origin, 'GET', '/api/me/welcome', undefined, fern.cookie)).body.due, false);

    // A held reply (Fern is new, so hers wait for a moderator) does not count for Bo, nor
    // move the time; the thread is read by Bo first.
    await apiCall(server.origin, 'GET', `/api/threads/${threadId}/posts`, undefined, bo.cookie);
    const held = await post(fern.cookie, threadId, 'Hello everyone, this is my first post.');
    assert.equal(held.body.moderation.status, 'held');
    const activity = await apiCall(server.origin, 'GET', '/api/boards/activity', undefined, bo.cookie);
    assert.deepEqual(activity.body.boards.map((b) => [b.board_id, b.unread_threads]), [[boardId, 0]]);
    collect(page);
  });

  test('times read as relative, with the exact time on hover and on keyboard focus', async () => {
    const page = await pageFor(bo);
    await page.goto(`/threads/${threadId}`);
    await page.locator('[data-testid="posts"][data-live="on"]').waitFor();
    const when = page.locator('article time.when').first();
    assert.match(await when.innerText(), /^(just now|a minute ago|\d+ minutes ago)/);
    assert.match(await when.getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
    const exact = when.locator('.when__exact');
    const hidden = await exact.boundingBox();
    assert.ok(!hidden || hidden.width <= 1, 'the exact time is hidden until asked for');
    // Keyboard: Tab reaches the time, and focus shows the exact time.
    await when.focus();
    const shown = await exact.boundingBox();
    assert.ok(shown && shown.width > 40, `focus shows the exact time (${JSON.stringify(shown)})`);
    assert.match(await exact.innerText(), /\d{1,2} \w{3} \d{4}, \d\d:\d\d/);
    await page.locator('h1').focus();
    // Hover does the same.
    await when.hover();
    const hovered = await exact.boundingBox();
    assert.ok(hovered && hovered.width > 40, 'hover shows the exact time');
    collect(page);
  });

  test('jump to the first new post; quote a post into the reply; held posts offer no quote', async () => {
    // Bo has read the thread (above); Ann writes three replies since.
    const newIds = [];
    for (const body of ['A walk round the block after tea.', 'Writing three good things down before bed.', 'Calling my sister on Sundays.']) {
      const r = await post(ann.cookie, threadId, body);
      assert.equal(r.body.moderation.status, 'published');
      newIds.push(r.body.post.id);
    }
    const page = await pageFor(bo);
    await page.goto('/');
    await page.getByTestId('board-unread').waitFor();
    await page.getByRole('link', { name: /Day to day/ }).click();
    await page.getByRole('link', { name: 'Getting through the evenings' }).click();
    const jump = page.getByTestId('jump-unread');
    await jump.waitFor();
    await page.getByTestId('unread-divider').waitFor();
    await checkScreen(page, 'thread-first-new');
    await jump.click();
    await page.waitForFunction((id) => document.activeElement?.id === `p-${id}`, newIds[0]);
    assert.ok(await inView(page, page.locator(`#p-${newIds[0]}`).locator('header')), 'the first new post is in view');

    // Quote the second new post: the reply box gets a Markdown quote with Ann's handle.
    await page.locator(`#p-${newIds[1]}`).getByTestId('quote').click();
    const box = page.getByLabel('Your reply', { exact: true });
    await page.waitForFunction(() => document.activeElement?.id === 'field-reply-body');
    const quoted = await box.inputValue();
    assert.equal(quoted, `> @${ANN} wrote:\n>\n> Writing three good things down before bed.\n\n`);
    await box.press('End');
    await box.pressSequentially('Same here, it really helps.');
    await page.getByRole('button', { name: 'Post reply' }).click();
    const mine = page.locator('article.post--mine').filter({ hasText: 'it really helps' });
    await mine.waitFor();
    assert.match(await mine.locator('blockquote').innerText(), /Writing three good things down before bed/);

    // A moderator sees Fern's held post, with no way to quote it.
    const modPage = await pageFor(admin);
    await modPage.goto(`/threads/${threadId}`);
    const heldPost = modPage.locator('article[data-status="held"]').filter({ hasText: 'my first post' });
    await heldPost.waitFor();
    assert.equal(await heldPost.getByTestId('quote').count(), 0);
    assert.ok((await modPage.getByTestId('quote').count()) > 0, 'published posts offer it');
    collect(page, modPage);
  });

  test('@mention completion in the post box: arrow keys, Enter and Escape', async () => {
    const page = await pageFor(bo);
    await page.goto(`/threads/${threadId}`);
    const box = page.getByLabel('Your reply', { exact: true });
    await box.click();
    await box.pressSequentially('Thank you @Ke');
    const list = page.getByRole('listbox', { name: 'Members to mention' });
    await list.waitFor();
    assert.deepEqual(await list.getByRole('option').allInnerTexts(), [`@${ANN}`]);
    assert.equal(await box.getAttribute('aria-autocomplete'), 'list');
    assert.equal(await box.getAttribute('aria-activedescendant'), `${await list.getAttribute('id')}-0`);
    await checkScreen(page, 'mention-completion', { settle: () => box.focus() });
    await box.press('ArrowDown');
    await box.press('Enter');
    await list.waitFor({ state: 'hidden' });
    assert.equal(await box.inputValue(), `Thank you @${ANN} `);
    // Escape closes the list and leaves the words.
    await box.pressSequentially('and @qu');
    await list.waitFor();
    assert.deepEqual(await list.getByRole('option').allInnerTexts(), [`@${BO}`]);
    await box.press('Escape');
    await list.waitFor({ state: 'hidden' });
    assert.equal(await box.inputValue(), `Thank you @${ANN} and @qu`);
    assert.equal(new URL(page.url()).pathname, `/threads/${threadId}`, 'one Escape is not quick exit');
    await box.fill('');
    collect(page);
  });

  test('a chat room opens at the newest message with the box in view on a phone; moderators are marked; completion works in chat', async () => {
    const modPage = await pageFor(admin);
    await modPage.goto(`/rooms/${roomId}`);
    await modPage.locator('[data-testid="chat"][data-live="on"]').waitFor({ state: 'attached' });
    const modBox = modPage.getByLabel('Your message');
    for (let i = 1; i <= 24; i++) {
      await modBox.fill(`Evening all, message number ${i}.`);
      await modBox.press('Enter');
    }
    await modPage.getByTestId('message').filter({ hasText: 'message number 24.' }).waitFor();
    // (What the moderator's page shows may still be their own copy, waiting for its answer.)
    let last;
    for (let i = 0; i < 50 && !last; i++) {
      const bos = await apiCall(server.origin, 'GET', `/api/rooms/${roomId}/messages`, undefined, bo.cookie);
      last = bos.body.messages.find((m) => m.body_html.includes('number 24.'));
      if (!last) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(last.moderator, true);
    assert.deepEqual(Object.keys(last).sort(), ['author', 'body_html', 'created_at', 'id', 'mine', 'moderator', 'room_id', 'status']);

    const page = await pageFor(bo, { phone: true });
    await page.goto(`/rooms/${roomId}`);
    const newest = page.getByTestId('message').filter({ hasText: 'message number 24.' });
    await newest.waitFor();
    const box = page.getByLabel('Your message');
    await page
      .waitForFunction(() => {
        const f = document.querySelector('.chat-form')?.getBoundingClientRect();
        return !!f && f.bottom <= window.innerHeight + 1 && f.top >= 0;
      }, undefined, { timeout: 5000 })
      .catch(async (e) => {
        // What the member saw, to look at when this fails.
        await page.screenshot({ path: 'screenshots/chat-newest-failed-phone.png' });
        throw e;
      });
    assert.ok(await inView(page, box), 'the message box is in view');
    assert.ok(await inView(page, newest), 'the newest message is in view');
    // The moderator's messages carry the badge; nothing more about them.
    assert.equal(await newest.getByTestId('moderator-badge').innerText(), 'Moderator');
    await box.fill('Evening! Lovely to see you here.');
    await box.press('Enter');
    const own = page.getByTestId('message').filter({ hasText: 'Lovely to see you' });
    await own.waitFor();
    assert.equal(await own.getByTestId('moderator-badge').count(), 0);
    await page.waitForFunction(() => {
      const log = document.querySelector('.chat-log');
      return !!log && log.scrollHeight - log.scrollTop - log.clientHeight < 2;
    });
    assert.ok(await inView(page, own), 'a new message stays in view');

    // Completion in the chat box; Enter chooses, the next Enter sends.
    await box.pressSequentially('@kett');
    const list = page.getByRole('listbox', { name: 'Members to mention' });
    await list.waitFor();
    await box.press('Enter');
    await list.waitFor({ state: 'hidden' });
    assert.equal(await box.inputValue(), `@${ANN} `);
    await box.pressSequentially('the kettle is on!');
    await box.press('Enter');
    await page.getByTestId('message').filter({ hasText: 'the kettle is on' }).waitFor();
    // Reporting a message: the moderator sees its text in the queue and removes it; it leaves
    // the room for the member at once.
    const third = page.getByTestId('message').filter({ hasText: 'message number 3.' });
    await third.scrollIntoViewIfNeeded();
    await third.locator('summary').click();
    await third.getByLabel('It is unkind or hurtful').check();
    await third.getByRole('button', { name: 'Send report' }).click();
    await third.getByRole('status').waitFor();
    assert.match(await third.getByRole('status').innerText(), /moderators will look at this message/);
    await modPage.goto('/mod/queue');
    const card = modPage.getByTestId('reported-message');
    await card.waitFor();
    assert.match(await card.innerText(), /Evening all, message number 3\./);
    assert.doesNotMatch(await card.innerText(), new RegExp(BO));
    await checkScreen(modPage, 'queue-reported-chat');
    await card.getByLabel(/Reason, if you remove it/).fill('Off topic for this room.');
    await card.getByRole('button', { name: 'Remove the message' }).click();
    await card.waitFor({ state: 'detached' });
    await third.waitFor({ state: 'detached' });

    await checkScreen(page, 'chat-newest', {
      settle: async () => {
        await page.evaluate(() => {
          const log = document.querySelector('.chat-log');
          if (log) log.scrollTop = log.scrollHeight;
        });
      },
    });
    collect(page, modPage);
  });
});
