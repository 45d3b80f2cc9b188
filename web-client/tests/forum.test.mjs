// The forum in a real browser against the real server on a fresh database: boards and rooms
// made in the admin screens; a new member's reply is held by the rules, a moderator approves
// it in the queue and another member's open thread shows it live, without a reload; a
// rejected post shows its reason and keeps the words; crisis words bring signposting; the
// queue is live on a second moderator's screen (reject, undo, bulk); two members chat live;
// a thread catches up after its socket was cut, with nothing missing or twice; the rules
// screen reloads the file and lists a broken file's problems. Each main screen is checked with
// axe-core and photographed at desktop and phone width.

import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  NEUTRAL_SITE,
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
let admin; // { cookie, member }
let boardId;
let roomId;
let threadId;
const problems = [];
const contexts = [];

/** A page for a signed-in member (cookie from signInApi), watched for script and CSP errors. */
async function pageFor(session, { phone = false, allowSocketErrors = false } = {}) {
  const context = await signedInContext(browser, server, session.cookie, { phone });
  contexts.push(context);
  const page = await context.newPage();
  const seen = watchPage(page);
  page.problems = () => seen().filter((p) => !(allowSocketErrors && /WebSocket/i.test(p)));
  return page;
}

function collect(...pages) {
  for (const p of pages) problems.push(...p.problems());
}

const post = (page, text) => page.getByTestId('post').filter({ hasText: text });

describe('the forum in the browser', () => {
  before(async () => {
    server = await startServer({ copyRules: true });
    await createAdmin(server);
    admin = await signInApi(server.origin, 'coordinator');
    browser = await launchBrowser();
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    assert.deepEqual(problems, [], `script errors or CSP refusals:\n${problems.join('\n')}`);
  });

  test('an admin makes a board and a chat room in the admin screens', async () => {
    const page = await pageFor(admin);
    await page.goto('/admin/boards');
    await page.getByRole('heading', { name: 'Boards', level: 1 }).waitFor();
    await page.getByLabel('Name').fill('Talking it through');
    await page.getByLabel('What it is for (optional)').fill('For anything on your mind, big or small.');
    await page.getByRole('button', { name: 'Create board' }).click();
    await page.getByText('The board “Talking it through” was created.').waitFor();
    await page.getByRole('link', { name: 'Talking it through' }).waitFor();
    await checkScreen(page, 'admin-boards');

    await page.getByRole('navigation', { name: 'Moderation and admin' }).getByRole('link', { name: 'Rooms' }).click();
    await page.getByRole('heading', { name: 'Chat rooms', level: 1 }).waitFor();
    await page.getByLabel('Name').fill('Evening chat');
    await page.getByLabel('Slow mode for new members, in seconds').fill('0');
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByText('The room “Evening chat” was created.').waitFor();
    await checkScreen(page, 'admin-rooms');

    const boards = await apiCall(server.origin, 'GET', '/api/boards', undefined, admin.cookie);
    boardId = boards.body.boards.find((b) => b.name === 'Talking it through').id;
    const rooms = await apiCall(server.origin, 'GET', '/api/rooms', undefined, admin.cookie);
    roomId = rooms.body.rooms.find((r) => r.name === 'Evening chat').id;
    // The admin opens a thread (staff posts are not held by the new-member rule).
    const t = await apiCall(server.origin, 'POST', `/api/boards/${boardId}/threads`, {
      title: 'Evenings are the hardest',
      body: 'How do you get through the evenings? Share what helps, *even small things*.',
    }, admin.cookie);
    assert.equal(t.status, 201, JSON.stringify(t.body));
    assert.equal(t.body.moderation.status, 'published');
    threadId = t.body.thread.id;
    collect(page);
  });

  test('a new member’s reply is held, approved in the queue, and appears live in another member’s open thread', async () => {
    await makeMember(server, admin.cookie, 'New_Voice');
    const reader = await pageFor(await makeMember(server, admin.cookie, 'Quiet_Reader'));
    await reader.goto(`/threads/${threadId}`);
    await reader.locator('[data-testid="posts"][data-live="on"]').waitFor();
    await reader.evaluate(() => {
      window.stillHere = true; // gone if the page reloads
    });

    // The new member signs in in the browser and finds the thread.
    const context = await newContext(browser, server, { phone: true });
    contexts.push(context);
    const page = await context.newPage();
    const seen = watchPage(page);
    page.problems = seen;
    await page.goto('/sign-in');
    await page.getByLabel('Handle or email address').fill('New_Voice');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('boards').waitFor();
    await checkScreen(page, 'boards');
    await page.getByRole('link', { name: 'Talking it through' }).click();
    const item = page.getByTestId('thread-item').filter({ hasText: 'Evenings are the hardest' });
    await item.waitFor();
    assert.match(await item.innerText(), /New/, 'unread marker');
    await checkScreen(page, 'board');
    await item.getByRole('link').click();
    await page.getByRole('heading', { name: 'Evenings are the hardest', level: 1 }).waitFor();

    // A draft survives a reload.
    const reply = page.getByLabel('Your reply');
    await reply.fill('I have never said this out loud before. **Thank you** for being here.');
    await page.waitForTimeout(100);
    await page.reload();
    await page.getByRole('heading', { name: 'Evenings are the hardest', level: 1 }).waitFor();
    assert.equal(await page.getByLabel('Your reply').inputValue(), 'I have never said this out loud before. **Thank you** for being here.');

    // The preview is built from text: the bold is bold, nothing is HTML.
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('preview');
    await preview.locator('strong', { hasText: 'Thank you' }).waitFor();
    await checkScreen(page, 'composer-preview');
    await page.getByRole('button', { name: 'Post reply' }).click();
    const outcome = page.getByTestId('outcome');
    await outcome.waitFor();
    assert.equal(await outcome.getAttribute('data-status'), 'held');
    assert.match(await outcome.innerText(), /waiting for a moderator/i);
    assert.match(await outcome.innerText(), /new member's first few posts/i, 'the rule’s kind explanation');
    const mine = post(page, 'never said this out loud');
    await mine.waitFor();
    assert.equal(await mine.getAttribute('data-status'), 'held');
    assert.match(await mine.innerText(), /Waiting for a moderator/);
    assert.equal(await page.getByLabel('Your reply').inputValue(), '', 'the composer is empty again');
    assert.equal(
      await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('notes-draft:')).length),
      0,
      'the draft went when it was posted',
    );
    await checkScreen(page, 'thread-held');
    assert.equal(await post(reader, 'never said this out loud').count(), 0, 'others do not see a held post');

    // A moderator approves it in the queue.
    const mod = await pageFor(admin);
    await mod.goto('/mod/queue');
    const queued = mod.getByTestId('queue-item').filter({ hasText: 'never said this out loud' });
    await queued.waitFor();
    assert.match(await queued.innerText(), /New member: first posts are read first/);
    assert.match(await queued.innerText(), /Waiting (less than a minute|\d+ minutes?)/);
    await checkScreen(mod, 'queue');
    await queued.getByRole('button', { name: 'Publish (the post by New_Voice)', exact: true }).click();
    await mod.getByText('The post by New_Voice was published.').waitFor();
    await queued.waitFor({ state: 'detached' });

    // The reader's open thread shows it, live, without a reload.
    const arrived = post(reader, 'never said this out loud');
    await arrived.waitFor();
    assert.equal(await arrived.locator('strong', { hasText: 'Thank you' }).count(), 1, 'the server’s HTML');
    assert.equal(await reader.evaluate(() => window.stillHere), true, 'no reload');
    assert.equal(await post(reader, 'never said this out loud').count(), 1);
    // The author's own copy turns published, and the notification count goes up, both live.
    await page.locator('[data-testid="post"][data-status="published"]', { hasText: 'never said this out loud' }).waitFor();
    await page.getByTestId('unread-count').waitFor();
    await checkScreen(reader, 'thread');
    await page.getByRole('link', { name: /Notifications/ }).click();
    await page.getByText('A moderator approved your post.').waitFor();
    await checkScreen(page, 'notifications');
    await page.getByTestId('unread-count').waitFor({ state: 'detached' });
    collect(reader, page, mod);
  });

  test('a post the rules reject shows why and keeps the words; crisis words bring support', async () => {
    const session = await signInApi(server.origin, 'New_Voice');
    const page = await pageFor(session, { phone: true });
    await page.goto(`/threads/${threadId}`);
    const reply = page.getByLabel('Your reply');
    await reply.fill("You're a disgusting enabler and you know it.");
    await page.getByRole('button', { name: 'Post reply' }).click();
    const outcome = page.getByTestId('outcome');
    await outcome.waitFor();
    assert.equal(await outcome.getAttribute('data-status'), 'rejected');
    assert.match(await outcome.innerText(), /was not posted/);
    assert.match(await outcome.innerText(), /seems to attack another member/);
    assert.equal(await reply.inputValue(), "You're a disgusting enabler and you know it.", 'the words stay');
    await checkScreen(page, 'composer-rejected');

    await reply.fill('Honestly some nights I want to end my life.');
    await page.getByRole('button', { name: 'Post reply' }).click();
    const signposts = page.getByTestId('signposts');
    await signposts.waitFor();
    assert.match(await signposts.innerText(), /Samaritans/);
    assert.equal(await signposts.locator('a[href="tel:116123"]').count(), 1, 'the phone number is a tel: link');
    await checkScreen(page, 'signposts');
    collect(page);
  });

  test('the queue is live on a second moderator’s screen: reject, undo, reject, bulk approve', async () => {
    const second = await makeMember(server, admin.cookie, 'Second_Mod', { role: 'moderator' });
    const one = await pageFor(admin);
    const two = await pageFor(second, { phone: true });
    for (const p of [one, two]) {
      await p.goto('/mod/queue');
      await p.locator('[data-testid="queue-live"][data-live="on"]').waitFor();
    }
    const author = await signInApi(server.origin, 'New_Voice');
    const held = await apiCall(server.origin, 'POST', `/api/threads/${threadId}/posts`, {
      body: 'Café tonight? Ring me on 07700 900123 if you want to talk.',
    }, author.cookie);
    assert.equal(held.body.moderation.status, 'held');
    const onOne = one.getByTestId('queue-item').filter({ hasText: '07700 900123' });
    const onTwo = two.getByTestId('queue-item').filter({ hasText: '07700 900123' });
    await onOne.waitFor();
    await onTwo.waitFor();
    // The number is highlighted exactly (byte offsets after a multi-byte "é").
    assert.ok((await onOne.locator('[data-testid="queue-source"] mark').allInnerTexts()).includes('07700 900123'));
    assert.match(await onOne.innerText(), /Contact details/);

    await onTwo.getByRole('button', { name: 'Don’t publish (the post by New_Voice)', exact: true }).click();
    await onTwo.getByLabel('A ready reason').selectOption('contact-details');
    await checkScreen(two, 'queue-reject');
    await onTwo.getByRole('button', { name: 'Don’t publish the post', exact: true }).click();
    await onOne.waitFor({ state: 'detached' }); // gone from the other moderator's screen, live
    // Undone: back in the queue of the moderator who undid it. (The server announces no event
    // for an undo, so other moderators' screens see it at their next queue event or refresh.)
    await two.getByRole('button', { name: 'Undo rejection of the post by New_Voice' }).click();
    await onTwo.waitFor();
    await onTwo.getByRole('button', { name: 'Don’t publish (the post by New_Voice)', exact: true }).click();
    await onTwo.getByLabel(/Or your own words/).fill('Please leave out the phone number, then post it again.');
    await onTwo.getByRole('button', { name: 'Don’t publish the post', exact: true }).click();
    await onTwo.waitFor({ state: 'detached' });

    // The author sees the reason on their post, from the moderators.
    const authorPage = await pageFor(author);
    await authorPage.goto(`/threads/${threadId}`);
    const rejected = post(authorPage, '07700 900123');
    await rejected.waitFor();
    assert.equal(await rejected.getAttribute('data-status'), 'rejected');
    assert.match(await rejected.innerText(), /From the moderators: Please leave out the phone number/);

    // Two more, decided together.
    for (const body of ['One more thing I wanted to say.', 'And thank you all.']) {
      await apiCall(server.origin, 'POST', `/api/threads/${threadId}/posts`, { body }, author.cookie);
    }
    await one.getByTestId('queue-item').filter({ hasText: 'And thank you all.' }).waitFor();
    await two.getByTestId('queue-item').filter({ hasText: 'And thank you all.' }).waitFor();
    await one.getByRole('button', { name: 'Select all' }).click();
    await one.getByRole('button', { name: 'Publish or keep up the selected' }).click();
    await one.getByTestId('queue-empty').waitFor();
    await two.getByTestId('queue-empty').waitFor();
    collect(one, two, authorPage);
  });

  test('two members chat live; a new member’s message is held and abuse is refused, each with why', async () => {
    const a = await makeMember(server, admin.cookie, 'Chatter_Ann');
    const b = await makeMember(server, admin.cookie, 'Chatter_Bo');
    await establish(server, admin.cookie, a.cookie, threadId);
    await establish(server, admin.cookie, b.cookie, threadId);
    const annPage = await pageFor(a);
    const boPage = await pageFor(b, { phone: true });
    await annPage.goto('/rooms');
    await annPage.getByRole('link', { name: 'Evening chat' }).click();
    await boPage.goto(`/rooms/${roomId}`);
    for (const p of [annPage, boPage]) await p.locator('[data-testid="chat"][data-live="on"]').waitFor({ state: 'attached' });

    await annPage.getByLabel('Your message').fill('Evening all, how is everyone?');
    await annPage.getByLabel('Your message').press('Enter');
    await boPage.getByTestId('message').filter({ hasText: 'Evening all' }).waitFor();
    await boPage.getByLabel('Your message').fill('Tired, but glad to be here.');
    await boPage.getByRole('button', { name: 'Send' }).click();
    await annPage.getByTestId('message').filter({ hasText: 'glad to be here' }).waitFor();
    await annPage.waitForTimeout(300);
    assert.equal(await annPage.getByTestId('message').filter({ hasText: 'Evening all' }).count(), 1, 'once, not twice');
    assert.equal(await boPage.getByTestId('message').filter({ hasText: 'glad to be here' }).count(), 1);
    await annPage.getByTestId('presence').filter({ hasText: 'Chatter_Bo' }).waitFor();

    // A brand-new member: held, with the reason; then refused, with the reason.
    const fresh = await pageFor(await makeMember(server, admin.cookie, 'Brand_New'));
    await fresh.goto(`/rooms/${roomId}`);
    await fresh.locator('[data-testid="chat"][data-live="on"]').waitFor({ state: 'attached' });
    await fresh.getByLabel('Your message').fill('hi, first time here');
    await fresh.getByLabel('Your message').press('Enter');
    const heldAck = fresh.locator('[data-testid="message"][data-status="held"]', { hasText: 'first time here' });
    await heldAck.waitFor();
    assert.match(await heldAck.innerText(), /Waiting for a moderator/);
    await fresh.getByLabel('Your message').fill("You're a disgusting enabler and you know it.");
    await fresh.getByLabel('Your message').press('Enter');
    const refused = fresh.locator('[data-testid="message"][data-status="rejected"]');
    await refused.waitFor();
    assert.match(await refused.innerText(), /Not sent\. .*attack another member/);
    await annPage.waitForTimeout(300);
    assert.equal(await annPage.getByTestId('message').filter({ hasText: /first time here|enabler/ }).count(), 0, 'others see neither');
    await checkScreen(annPage, 'chat');
    await checkScreen(fresh, 'chat-acks');
    collect(annPage, boPage, fresh);
  });

  test('a chat message whose answer was lost is sent again on the next connection and kept once', async () => {
    const cy = await makeMember(server, admin.cookie, 'Chatter_Cy');
    await establish(server, admin.cookie, cy.cookie, threadId);
    const page = await pageFor(cy, { allowSocketErrors: true });
    // Between the page and the server: once `cutAfterSay` is set, the next message the page
    // sends reaches the server, but the page's connection drops at once, so neither the ack
    // nor the message's own event comes back (a phone losing signal just after sending). The
    // server's side is closed a second later, when it has surely stored the message.
    let cutAfterSay = false;
    let cut = 0;
    await page.routeWebSocket(/\/api\/ws$/, (ws) => {
      const real = ws.connectToServer();
      ws.onMessage((frame) => {
        real.send(frame);
        if (cutAfterSay && String(frame).includes('"type":"say"')) {
          cutAfterSay = false;
          cut += 1;
          ws.close();
          setTimeout(() => real.close(), 1000);
        }
      });
    });
    await page.goto(`/rooms/${roomId}`);
    await page.locator('[data-testid="chat"][data-live="on"]').waitFor({ state: 'attached' });
    cutAfterSay = true;
    await page.getByLabel('Your message').fill('Is anyone else still awake?');
    await page.getByLabel('Your message').press('Enter');
    // Sent again on the next socket and answered there: nothing left sending, shown once.
    await page.locator('[data-testid="message"][data-status="sending"]').waitFor({ state: 'detached', timeout: 20_000 });
    assert.equal(cut, 1, 'the connection was cut after the message was sent');
    await page.waitForTimeout(500);
    assert.equal(await page.getByTestId('message').filter({ hasText: 'still awake' }).count(), 1, 'shown once');
    const history = await apiCall(server.origin, 'GET', `/api/rooms/${roomId}/messages?limit=50`, undefined, cy.cookie);
    assert.equal(history.status, 200);
    assert.equal(history.body.messages.filter((m) => m.body_html.includes('still awake')).length, 1, 'stored once');
    collect(page);
  });

  test('a member edits and deletes their own post, reports another, and content warnings stay closed', async () => {
    const ann = await signInApi(server.origin, 'Chatter_Ann'); // established: not held
    const page = await pageFor(ann, { phone: true });
    await page.goto(`/threads/${threadId}`);
    await page.getByLabel('Your reply').fill('The first anniversary of the arrest is next week.');
    await page.getByLabel('Content warning (optional)').fill('the arrest');
    await page.getByRole('button', { name: 'Post reply' }).click();
    const found = post(page, 'Content warning: the arrest');
    await found.waitFor();
    const mine = page.locator(`#${await found.getAttribute('id')}`);
    assert.equal(await mine.locator('details.cw').getAttribute('open'), null, 'collapsed until opened');
    assert.equal(await mine.getByText('first anniversary').isVisible(), false);
    await mine.getByText('Content warning:').click();
    await mine.getByText('first anniversary').waitFor();

    await mine.getByRole('button', { name: /^Edit your post/ }).click();
    await mine.getByLabel('Your post').fill('The first anniversary of the arrest is on Tuesday.');
    await mine.getByRole('button', { name: 'Save changes' }).click();
    await mine.getByText('Your edit is posted.').waitFor();
    await mine.getByText('edited', { exact: false }).first().waitFor();
    await mine.getByRole('button', { name: /^Delete your post/ }).click();
    await mine.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.locator('[data-testid="post"][data-status="deleted"]').first().waitFor();
    assert.match(await page.locator('[data-testid="post"][data-status="deleted"]').first().innerText(), /deleted by its author/);

    const first = post(page, 'How do you get through the evenings');
    await first.getByText('Report', { exact: true }).click();
    await first.getByLabel('It is unkind or hurtful').check();
    await first.getByLabel(/Anything the moderators should know/).fill('Just checking, it may be fine.');
    await checkScreen(page, 'report');
    await first.getByRole('button', { name: 'Send report' }).click();
    await first.getByText(/The moderators will look at this post/).waitFor();
    const q = await apiCall(server.origin, 'GET', '/api/mod/queue', undefined, admin.cookie);
    assert.ok(q.body.items.some((i) => i.kind === 'report' && i.report?.reason === 'unkind'), 'in the queue');
    collect(page);
  });

  test('a thread catches up after its connection drops: nothing missing, nothing twice', async () => {
    const reader = await pageFor(await signInApi(server.origin, 'Quiet_Reader'), { allowSocketErrors: true });
    await reader.goto(`/threads/${threadId}`);
    await reader.locator('[data-testid="posts"][data-live="on"]').waitFor();
    const say = (body) => apiCall(server.origin, 'POST', `/api/threads/${threadId}/posts`, { body }, admin.cookie);
    await say('Before the break.');
    await post(reader, 'Before the break.').waitFor();

    await reader.context().setOffline(true);
    await reader.evaluate(() => window.__hearthSocket?.kill());
    await reader.getByText('Reconnecting…').waitFor();
    for (const n of ['one', 'two', 'three']) assert.equal((await say(`Catch-up ${n}.`)).status, 201);
    await reader.context().setOffline(false);
    await post(reader, 'Catch-up three.').waitFor({ timeout: 20_000 });
    await reader.getByText('Reconnecting…').waitFor({ state: 'detached' });
    await reader.waitForTimeout(500);
    for (const n of ['one', 'two', 'three']) assert.equal(await post(reader, `Catch-up ${n}.`).count(), 1, `Catch-up ${n} once`);
    const texts = await reader.getByTestId('post').allInnerTexts();
    const order = ['Before the break.', 'Catch-up one.', 'Catch-up two.', 'Catch-up three.'].map((t) => texts.findIndex((x) => x.includes(t)));
    assert.deepEqual([...order].sort((x, y) => x - y), order, 'in order');
    const onServer = await apiCall(server.origin, 'GET', `/api/threads/${threadId}/posts?limit=200`, undefined, (await signInApi(server.origin, 'Quiet_Reader')).cookie);
    assert.equal(texts.length, onServer.body.posts.length, 'as many posts as the server has for this reader');
    collect(reader);
  });

  test('the rules screen reloads the file, and lists a broken file’s problems by line', async () => {
    const page = await pageFor(admin);
    await page.goto('/admin/rules');
    await page.getByTestId('rules').waitFor();
    await page.getByRole('button', { name: 'Check and reload the rules' }).click();
    await page.getByText(/The rules were reloaded: \d+ rules are in force\./).waitFor();
    await checkScreen(page, 'admin-rules');
    const good = readFileSync(server.rulesFile, 'utf8');
    appendFileSync(server.rulesFile, '\n[[rule]]\nname = "Broken on purpose"\naction = "holdd"\nwords = ["x"]\n');
    try {
      await page.getByRole('button', { name: 'Check and reload the rules' }).click();
      const list = page.getByTestId('rules-problems');
      await list.waitFor();
      assert.match(await list.innerText(), /Line \d+:.*holdd/);
      await checkScreen(page, 'admin-rules-problems');
    } finally {
      writeFileSync(server.rulesFile, good);
    }
    collect(page);
  });

  test('quick exit takes the drafts with it', async () => {
    const page = await pageFor(await signInApi(server.origin, 'Quiet_Reader'));
    await page.goto(`/threads/${threadId}`);
    await page.getByLabel('Your reply').fill('Something I am not ready to post.');
    await page.waitForTimeout(100);
    assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('notes-draft:')).length), 1);
    await page.getByRole('button', { name: /Quick exit/ }).click();
    await page.waitForURL(NEUTRAL_SITE);
    await page.goto('/');
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing left behind');
    collect(page);
  });
});
