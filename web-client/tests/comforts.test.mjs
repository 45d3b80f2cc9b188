// Member comforts in a real browser against the real server on a fresh database: search finds a
// published post by a word and marks it (and keeps the search in the address); a supportive
// reaction left by one member appears live, without a reload, in other members' open thread
// windows (the author sees counts and who reacted, never buttons on their own post); following
// a thread from its page lists it on the Following screen with an unread count once someone
// replies, with "new reply" and "mentioned" notifications; a mention opens the profile in the
// app; muting from a profile collapses that member's posts and chat messages (moderators cannot
// be muted), and the Account screen unmutes; the profile's "about" text is saved, and refused
// with the rules' reasons when it holds contact details. Each new screen is checked with axe-core
// and photographed at desktop and phone width.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  apiCall,
  checkScreen,
  createAdmin,
  establish,
  launchBrowser,
  makeMember,
  signInApi,
  signedInContext,
  startServer,
  watchPage,
} from './harness.mjs';

let server;
let browser;
let admin; // { cookie, member }
let ann; // Kettle_On: writes the posts others react to, reply to and mute
let bo; // Quiet_Owl: reads, searches, reacts, follows and mutes
let boardId;
let roomId;
let threadId;
let annPostId;
const problems = [];
const contexts = [];

const ANN = 'Kettle_On';
const BO = 'Quiet_Owl';

/** A page for a signed-in member (cookie from signInApi), watched for script and CSP errors. */
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

/** Opens a thread and waits until its live subscription is confirmed. */
async function openThread(page, id) {
  await page.goto(`/threads/${id}`);
  await page.locator('[data-testid="posts"][data-live="on"]').waitFor();
}

/** Marks the page so a reload would show: `stillHere(page)` is true only without one. */
async function markPage(page) {
  await page.evaluate(() => {
    window.stillHere = true;
  });
}
const stillHere = (page) => page.evaluate(() => window.stillHere === true);

const nav = (page) => page.getByRole('navigation', { name: 'Main' });

describe('comforts in the browser', () => {
  before(async () => {
    server = await startServer();
    await createAdmin(server);
    admin = await signInApi(server.origin, 'coordinator');
    browser = await launchBrowser();
    const b = await apiCall(server.origin, 'POST', '/api/admin/boards', {
      name: 'Day to day',
      description: 'The ordinary and the hard parts of each day.',
    }, admin.cookie);
    assert.ok(b.status === 200 || b.status === 201, JSON.stringify(b.body));
    const boards = await apiCall(server.origin, 'GET', '/api/boards', undefined, admin.cookie);
    boardId = boards.body.boards.find((x) => x.name === 'Day to day').id;
    const r = await apiCall(server.origin, 'POST', '/api/admin/rooms', { name: 'Tea break', slow_mode_seconds: 0 }, admin.cookie);
    assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
    const rooms = await apiCall(server.origin, 'GET', '/api/rooms', undefined, admin.cookie);
    roomId = rooms.body.rooms.find((x) => x.name === 'Tea break').id;
    const t = await apiCall(server.origin, 'POST', `/api/boards/${boardId}/threads`, {
      title: 'What gets you through the evening',
      body: 'Share anything that helps, however small.',
    }, admin.cookie);
    assert.equal(t.status, 201, JSON.stringify(t.body));
    threadId = t.body.thread.id;
    ann = await makeMember(server, admin.cookie, ANN);
    bo = await makeMember(server, admin.cookie, BO);
    // Three approved posts each, so the new-member rule no longer holds what they write.
    await establish(server, admin.cookie, ann.cookie, threadId);
    await establish(server, admin.cookie, bo.cookie, threadId);
    const p = await apiCall(server.origin, 'POST', `/api/threads/${threadId}/posts`, {
      body: 'Walking past the old lighthouse at dusk helps me breathe again.',
    }, ann.cookie);
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.equal(p.body.moderation.status, 'published');
    annPostId = p.body.post.id;
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    assert.deepEqual(problems, [], `script errors or CSP refusals:\n${problems.join('\n')}`);
  });

  test('search finds a published post by a word, marks the word, and keeps the search words out of the address', async () => {
    // A held post is never found.
    const fresh = await makeMember(server, admin.cookie, 'Brand_New');
    const held = await apiCall(server.origin, 'POST', `/api/threads/${threadId}/posts`, {
      body: 'I also love the lighthouse, first post here.',
    }, fresh.cookie);
    assert.equal(held.body.moderation.status, 'held');

    const page = await pageFor(bo);
    await page.goto('/');
    await nav(page).getByRole('link', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'Search', level: 1 }).waitFor();

    // Nothing to search for: the server's own words, tied to the box.
    const box = page.getByLabel('Words to find');
    await box.fill('?!');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /at least one word/i);
    assert.equal(await box.getAttribute('aria-invalid'), 'true');

    await box.fill('Lighthouse');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.getByTestId('search-result');
    await results.first().waitFor();
    assert.equal(await results.count(), 1, 'the held post is not found');
    const hit = results.first();
    assert.deepEqual(
      (await hit.locator('.result__snippet mark').allInnerTexts()).map((t) => t.toLowerCase()),
      ['lighthouse'],
      'the word is marked in the snippet',
    );
    assert.match(await hit.innerText(), /What gets you through the evening/);
    assert.match(await hit.innerText(), new RegExp(`Day to day · ${ANN} ·`));
    assert.equal(new URL(page.url()).search, '', 'the search words stay out of the address (and the history)');
    await page.getByTestId('search-status').filter({ hasText: '1 result found.' }).waitFor({ state: 'attached' });
    await checkScreen(page, 'search');

    // One board only.
    await page.getByLabel('Board').selectOption({ label: 'Day to day' });
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('heading', { name: 'Results for “Lighthouse” in Day to day' }).waitFor();
    await page.getByTestId('search-result').first().waitFor();
    assert.equal(new URL(page.url()).search, '');

    // Narrowed to days long past: nothing.
    await page.getByLabel('Written until').fill('2001-01-01');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByTestId('search-results').getByText(/Nothing found/).waitFor();
    assert.equal(new URL(page.url()).search, '');
    // Widened again: the result is back.
    await page.getByLabel('Written until').fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByTestId('search-result').first().waitFor();

    // The result opens the thread at that post, in the app.
    await markPage(page);
    await page.getByTestId('search-result').first().getByRole('link', { name: /What gets you through/ }).click();
    await page.getByRole('heading', { name: 'What gets you through the evening', level: 1 }).waitFor();
    await page.locator(`#p-${annPostId}.post--target`).waitFor();
    assert.equal(await stillHere(page), true, 'no reload');
    collect(page);
  });

  test('a reaction left by one member appears live in other members’ open threads; the author sees who', async () => {
    const annPage = await pageFor(ann);
    const modPage = await pageFor(admin, { phone: true });
    const boPage = await pageFor(bo);
    for (const p of [annPage, modPage, boPage]) {
      await openThread(p, threadId);
      await markPage(p);
    }
    const onAnn = annPage.locator(`#p-${annPostId}`);
    const onMod = modPage.locator(`#p-${annPostId}`);
    const onBo = boPage.locator(`#p-${annPostId}`);
    assert.equal(await onAnn.locator('button.reaction').count(), 0, 'no reaction buttons on one’s own post');
    const group = onBo.getByRole('group', { name: `Reactions to the post by ${ANN}` });
    for (const label of ['Thank you', 'Sending strength', 'Me too', 'Thinking of you']) {
      assert.equal(await group.getByRole('button', { name: label, exact: true }).getAttribute('aria-pressed'), 'false', label);
    }

    await group.getByRole('button', { name: 'Thank you', exact: true }).click();
    await onBo.locator('button[data-kind="thank_you"][aria-pressed="true"]', { hasText: '1' }).waitFor();
    // Live, without a reload, for the author (a count) and another reader (a count on a button).
    await onAnn.locator('.reaction--static[data-kind="thank_you"]', { hasText: '1' }).waitFor();
    await onMod.locator('button[data-kind="thank_you"][aria-pressed="false"]', { hasText: '1' }).waitFor();

    await onMod.getByRole('button', { name: 'Sending strength', exact: true }).click();
    await onAnn.locator('.reaction--static[data-kind="sending_strength"]', { hasText: '1' }).waitFor();
    await onBo.locator('button[data-kind="sending_strength"][aria-pressed="false"]', { hasText: '1' }).waitFor();
    // Bo's own choice stays his after the other member's event.
    assert.equal(await onBo.locator('button[data-kind="thank_you"]').getAttribute('aria-pressed'), 'true');
    await onBo.getByRole('button', { name: /^Me too/ }).click();
    await onAnn.locator('.reaction--static[data-kind="me_too"]', { hasText: '1' }).waitFor();

    // Who reacted: for the author only.
    await onAnn.getByText('Who reacted', { exact: true }).click();
    const who = onAnn.getByTestId('who-reacted');
    await who.getByText(`${BO}: Thank you`).waitFor();
    await who.getByText(`${BO}: Me too`).waitFor();
    await who.getByText('coordinator: Sending strength').waitFor();
    const notAuthor = await apiCall(server.origin, 'GET', `/api/posts/${annPostId}/reactions`, undefined, bo.cookie);
    assert.equal(notAuthor.status, 403);
    const own = await apiCall(server.origin, 'PUT', `/api/posts/${annPostId}/reactions/thank_you`, undefined, ann.cookie);
    assert.equal(own.status, 409);
    assert.equal(own.body.error.code, 'own_post');

    await checkScreen(boPage, 'thread-reactions');
    await checkScreen(annPage, 'thread-reactions-own');

    // Taken back: gone live from the author's window.
    await onBo.getByRole('button', { name: /^Me too/ }).click();
    await onBo.locator('button[data-kind="me_too"][aria-pressed="false"]').waitFor();
    await onAnn.locator('.reaction--static[data-kind="me_too"]').waitFor({ state: 'detached' });
    for (const p of [annPage, modPage, boPage]) assert.equal(await stillHere(p), true, 'no reload');

    // A reload shows the same: the reader's own reactions are remembered.
    await boPage.reload();
    await boPage.locator(`#p-${annPostId} button[data-kind="thank_you"][aria-pressed="true"]`, { hasText: '1' }).waitFor();
    collect(annPage, modPage, boPage);
  });

  test('following a thread: follow and unfollow from its page; the Following screen counts unread replies', async () => {
    const t = await apiCall(server.origin, 'POST', `/api/boards/${boardId}/threads`, {
      title: 'Small wins this week',
      body: 'Tell us one small thing that went well.',
    }, admin.cookie);
    const smallWins = t.body.thread.id;
    const page = await pageFor(bo, { phone: true });
    await openThread(page, smallWins);
    const follow = page.getByTestId('follow');
    await follow.waitFor();
    assert.equal(await follow.getAttribute('data-state'), 'not_following', 'not followed before writing in it');
    await follow.getByRole('button', { name: 'Follow', exact: true }).click();
    await page.locator('[data-testid="follow"][data-state="following"]').waitFor();
    await follow.getByRole('button', { name: /^Following/ }).waitFor();
    await page.getByText('You are following this thread').waitFor();
    const state = await apiCall(server.origin, 'GET', `/api/threads/${smallWins}/follow`, undefined, bo.cookie);
    assert.equal(state.body.state, 'following');

    await nav(page).getByRole('link', { name: 'Following' }).click();
    await page.getByRole('heading', { name: 'Following', level: 1 }).waitFor();
    const item = page.getByTestId('followed-thread').filter({ hasText: 'Small wins this week' });
    await item.waitFor();
    assert.equal(await item.getByTestId('unread-posts').count(), 0, 'read: nothing new');
    // Threads one wrote in are followed without asking.
    await page.getByTestId('followed-thread').filter({ hasText: 'What gets you through the evening' }).waitFor();

    // Another member replies, then mentions Bo.
    const r1 = await apiCall(server.origin, 'POST', `/api/threads/${smallWins}/posts`, { body: 'I made soup, and it was good.' }, ann.cookie);
    assert.equal(r1.body.moderation.status, 'published');
    const r2 = await apiCall(server.origin, 'POST', `/api/threads/${smallWins}/posts`, { body: `@${BO} you would have liked it.` }, ann.cookie);
    assert.equal(r2.body.moderation.status, 'published');
    await page.reload();
    await item.getByTestId('unread-posts').filter({ hasText: '2 new' }).waitFor();
    await checkScreen(page, 'following');

    // The notifications say which thread, and link to it.
    await page.getByTestId('unread-count').waitFor();
    await nav(page).getByRole('link', { name: /Notifications/ }).click();
    const reply = page.locator('[data-testid="notification"][data-kind="reply"]', { hasText: 'Small wins' });
    await reply.waitFor();
    assert.match(await reply.innerText(), /1 new reply in “Small wins this week”/);
    const mention = page.locator('[data-testid="notification"][data-kind="mention"]', { hasText: 'Small wins' });
    assert.match(await mention.innerText(), /You were mentioned in “Small wins this week”/);
    await checkScreen(page, 'notifications-comforts');
    await markPage(page);
    await mention.getByRole('link', { name: '“Small wins this week”' }).click();
    await page.locator(`#p-${r2.body.post.id}.post--target`).waitFor();

    // The mention is a link to the profile, opened in the app.
    await page.locator(`#p-${r2.body.post.id}`).getByRole('link', { name: `@${BO}` }).click();
    await page.getByRole('heading', { name: BO, level: 1 }).waitFor();
    // The handle stays out of the address (and so out of the browser's history).
    assert.equal(new URL(page.url()).pathname, '/member');
    assert.equal(await stillHere(page), true, 'no reload');
    await page.getByText('This is you').waitFor();
    // The app keeps one history entry (so quick exit leaves nothing behind Back): back by address.
    await openThread(page, smallWins);

    // Unfollow from the thread's page: it leaves the Following screen.
    await page.getByRole('heading', { name: 'Small wins this week', level: 1 }).waitFor();
    await page.getByTestId('follow').getByRole('button', { name: /^Following/ }).click();
    await page.locator('[data-testid="follow"][data-state="not_following"]').waitFor();
    await page.getByTestId('follow').getByRole('button', { name: 'Mute thread' }).click();
    await page.locator('[data-testid="follow"][data-state="muted"]').waitFor();
    await page.getByTestId('follow').getByRole('button', { name: 'Unmute thread' }).click();
    await page.locator('[data-testid="follow"][data-state="not_following"]').waitFor();
    await nav(page).getByRole('link', { name: 'Following' }).click();
    await page.getByTestId('followed-thread').first().waitFor();
    assert.equal(await page.getByTestId('followed-thread').filter({ hasText: 'Small wins this week' }).count(), 0);

    // Replying follows a thread, and its page says so at once.
    const q = await apiCall(server.origin, 'POST', `/api/boards/${boardId}/threads`, {
      title: 'Quiet Sundays',
      body: 'How do you spend them?',
    }, admin.cookie);
    await openThread(page, q.body.thread.id);
    await page.locator('[data-testid="follow"][data-state="not_following"]').waitFor();
    await page.getByLabel('Your reply').fill('Baking, mostly. It keeps my hands busy.');
    await page.getByRole('button', { name: 'Post reply' }).click();
    await page.getByTestId('outcome').waitFor();
    await page.locator('[data-testid="follow"][data-state="following"]').waitFor();
    collect(page);
  });

  test('muting from a profile collapses that member’s posts and chat messages; Account unmutes', async () => {
    const page = await pageFor(bo);
    await openThread(page, threadId);
    // The author's name leads to their profile.
    await page.locator(`#p-${annPostId}`).getByRole('link', { name: ANN, exact: true }).click();
    await page.getByRole('heading', { name: ANN, level: 1 }).waitFor();
    const profile = page.getByTestId('profile');
    assert.match(await profile.innerText(), /Posts\s+\d+/);
    const mute = page.getByTestId('mute');
    assert.match(await mute.innerText(), /They won’t be told\. Their posts will be collapsed for you\./);
    await checkScreen(page, 'profile');
    await mute.getByRole('button', { name: `Mute ${ANN}` }).click();
    await mute.getByText(`You muted ${ANN}.`).waitFor();
    await mute.getByRole('button', { name: `Unmute ${ANN}` }).waitFor();

    // Back in the thread, her post is collapsed, and can be shown.
    await openThread(page, threadId);
    const card = page.locator(`#p-${annPostId}`);
    await page.locator(`#p-${annPostId}[data-muted="true"]`).waitFor();
    assert.match(await card.innerText(), /You muted this member/);
    assert.equal(await card.getByText('old lighthouse').count(), 0, 'the words are not shown');
    await checkScreen(page, 'thread-muted');
    await card.getByRole('button', { name: 'Show the post' }).click();
    await card.getByText('old lighthouse').waitFor();
    await card.getByRole('button', { name: 'Hide it again' }).click();
    await page.locator(`#p-${annPostId}[data-muted="true"]`).waitFor();

    // Her chat messages are collapsed too.
    const annPage = await pageFor(ann);
    await annPage.goto(`/rooms/${roomId}`);
    await page.goto(`/rooms/${roomId}`);
    for (const p of [annPage, page]) await p.locator('[data-testid="chat"][data-live="on"]').waitFor({ state: 'attached' });
    await annPage.getByLabel('Your message').fill('Kettle is on, who wants tea?');
    await annPage.getByLabel('Your message').press('Enter');
    const collapsed = page.locator('[data-testid="message"][data-muted="true"]');
    await collapsed.waitFor();
    assert.equal(await page.getByText('who wants tea').count(), 0);
    await collapsed.getByRole('button', { name: 'Show it' }).click();
    await page.getByTestId('message').filter({ hasText: 'who wants tea' }).waitFor();

    // Moderators cannot be muted: the server's reason is shown.
    await page.goto('/members/coordinator');
    await page.getByTestId('mute').getByRole('button', { name: 'Mute coordinator' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /moderators cannot be muted/i);

    // The Account screen lists her, and unmutes.
    await nav(page).getByRole('link', { name: 'Account' }).click();
    const mutes = page.getByTestId('mutes');
    await mutes.getByRole('link', { name: ANN }).waitFor();
    await checkScreen(page, 'account');
    await mutes.getByRole('button', { name: `Unmute ${ANN}` }).click();
    await mutes.getByText(`You unmuted ${ANN}.`).waitFor();
    await mutes.getByText(/^Nobody\./).waitFor();
    await openThread(page, threadId);
    await page.locator(`#p-${annPostId}`).getByText('old lighthouse').waitFor();
    assert.equal(await page.locator(`#p-${annPostId}[data-muted="true"]`).count(), 0);
    collect(page, annPage);
  });

  test('a member writes their profile’s about text; contact details are refused with the reason', async () => {
    const page = await pageFor(bo, { phone: true });
    await page.goto(`/members/${BO}`);
    await page.getByRole('heading', { name: BO, level: 1 }).waitFor();
    assert.equal(await page.getByTestId('mute').count(), 0, 'no mute button on one’s own profile');
    const about = page.getByLabel(/A line or two others see/);
    await about.fill('Tea and long walks help me most.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Your profile text was saved.').waitFor();
    assert.equal(await page.getByTestId('about').innerText(), 'Tea and long walks help me most.');

    await about.fill('Text me on 07700 900123 any time.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const refused = page.getByTestId('about-refused');
    await refused.waitFor();
    // The reason names what to change (the server's PROFILE_REFUSED sentence).
    assert.match(await refused.innerText(), /can.t include anything that might identify you[^]*phone number/i);
    assert.equal(await about.inputValue(), 'Text me on 07700 900123 any time.', 'the words stay');
    assert.equal(await page.getByTestId('about').innerText(), 'Tea and long walks help me most.', 'unchanged');
    await checkScreen(page, 'profile-own');
    const seen = await apiCall(server.origin, 'GET', `/api/members/${BO}`, undefined, ann.cookie);
    assert.equal(seen.body.profile.about, 'Tea and long walks help me most.');
    collect(page);
  });
});
