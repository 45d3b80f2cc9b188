// Held chat messages are moderated where they happen (issue 12, item 6), in a real browser
// against the real server on a fresh database. Three people in a room that needs a moderator:
// a brand-new member whose first message the rules hold, a moderator in the room, and another
// member. The new member sees their message marked as waiting for the moderator; the moderator
// sees it inline, marked held, with Approve and Reject, and in the queue with its room; the
// other member sees nothing of it until the moderator approves it, then sees it appear live. A
// second held message is rejected with a reason, which its author reads in the room. Screens are
// checked with axe-core and photographed into test-results/ (gitignored).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  apiCall,
  createAdmin,
  launchBrowser,
  makeMember,
  seriousViolations,
  signInApi,
  signedInContext,
  startServer,
  watchPage,
  webClient,
} from './harness.mjs';

const results = join(webClient, 'test-results');

let server;
let browser;
let admin;
let roomId;
const problems = [];
const contexts = [];

async function pageFor(session, { phone = false } = {}) {
  const context = await signedInContext(browser, server, session.cookie, { phone });
  contexts.push(context);
  const page = await context.newPage();
  page.problems = watchPage(page);
  return page;
}

/** Axe finds nothing serious; then a full-page photograph in test-results/. */
async function photograph(page, name) {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `axe on ${name}:\n${violations.join('\n')}`);
  mkdirSync(results, { recursive: true });
  await page.screenshot({ path: join(results, `${name}.png`), fullPage: true });
}

async function openRoom(page) {
  await page.goto(`/rooms/${roomId}`);
  await page.locator('[data-testid="chat"][data-live="on"]').waitFor({ state: 'attached' });
}

async function sayIn(page, text) {
  await page.getByLabel('Your message').fill(text);
  await page.getByLabel('Your message').press('Enter');
}

const message = (page, text) => page.getByTestId('message').filter({ hasText: text });

describe('held chat messages in the browser', () => {
  before(async () => {
    server = await startServer();
    await createAdmin(server);
    admin = await signInApi(server.origin, 'coordinator');
    browser = await launchBrowser();
    const r = await apiCall(
      server.origin,
      'POST',
      '/api/admin/rooms',
      { name: 'Support hour', needs_moderator: true, new_member_slow_mode_seconds: 0 },
      admin.cookie,
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    roomId = r.body.room.id;
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    assert.deepEqual(problems, [], `script errors or CSP refusals:\n${problems.join('\n')}`);
  });

  test('a new member’s held message is approved by the moderator in the room, then appears to the others', async () => {
    const maya = await makeMember(server, admin.cookie, 'Mod_Maya', { role: 'moderator' });
    const fern = await makeMember(server, admin.cookie, 'Fresh_Fern');
    const sam = await makeMember(server, admin.cookie, 'Steady_Sam');
    const modPage = await pageFor(maya);
    const queuePage = await pageFor(maya);
    const fernPage = await pageFor(fern);
    const samPage = await pageFor(sam);

    await openRoom(modPage);
    await openRoom(fernPage);
    await openRoom(samPage);
    await fernPage.getByTestId('moderator-here').waitFor();
    await queuePage.goto('/mod/queue');
    await queuePage.locator('[data-testid="queue-live"][data-live="on"]').waitFor();
    await queuePage.getByTestId('held-chat-empty').waitFor();

    const words = 'Hello, I am new here and a bit nervous tonight';
    await sayIn(fernPage, words);

    // The author: marked as waiting for the moderator who is in the room.
    const own = fernPage.locator('[data-testid="message"][data-status="held"]', { hasText: words });
    await own.getByTestId('held-own').waitFor();
    assert.match(await own.innerText(), /Waiting for the moderator/);
    assert.match(await own.innerText(), /Only you and the moderators can see it/);

    // The moderator in the room: inline, marked held, with why and the two buttons.
    const inline = modPage.locator('[data-testid="message"][data-status="held"]', { hasText: words });
    await inline.getByTestId('held-for-staff').waitFor();
    assert.match(await inline.innerText(), /Held by the rules: /);
    await modPage.getByTestId('held-here').waitFor();
    // The queue, in another window: with its room and author, live.
    const queued = queuePage.getByTestId('held-chat-item').filter({ hasText: words });
    await queued.waitFor();
    assert.match(await queued.innerText(), /Fresh_Fern\s+in Support hour/);

    // The other member: nothing.
    await samPage.waitForTimeout(700);
    assert.equal(await message(samPage, words).count(), 0, 'a member never sees a held message');

    await photograph(fernPage, 'held-chat-author-waiting');
    await photograph(modPage, 'held-chat-moderator-inline');
    await photograph(queuePage, 'held-chat-queue');
    await photograph(samPage, 'held-chat-member-before');

    await modPage.getByRole('button', { name: 'Approve the message by Fresh_Fern' }).click();

    // Everyone in the room sees it as a normal message; it leaves the queue live.
    await samPage.locator('[data-testid="message"][data-status="published"]', { hasText: words }).waitFor();
    await fernPage.locator('[data-testid="message"][data-status="published"]', { hasText: words }).waitFor();
    await modPage.locator('[data-testid="message"][data-status="published"]', { hasText: words }).waitFor();
    await queuePage.getByTestId('held-chat-empty').waitFor();
    assert.equal(await fernPage.getByTestId('held-own').count(), 0);
    assert.equal(await modPage.getByTestId('held-here').count(), 0);
    await photograph(samPage, 'held-chat-member-after-approval');

    // A second held message, rejected with a reason: its author reads why, in the room.
    const second = 'My son is at the prison near the old docks, can anyone visit with me?';
    await sayIn(fernPage, second);
    const held2 = modPage.locator('[data-testid="message"][data-status="held"]', { hasText: second });
    await held2.getByTestId('held-for-staff').waitFor();
    await held2.getByRole('button', { name: 'Reject the message by Fresh_Fern' }).click();
    // No reason: refused in the form, nothing sent.
    await held2.getByRole('button', { name: 'Reject the message', exact: true }).click();
    await held2.getByText('write a reason: the author sees it').waitFor();
    const reason = 'Please leave out where he is held: it could identify your family.';
    await held2.getByLabel('Why (Fresh_Fern sees this, from the moderators)').fill(reason);
    await held2.getByRole('button', { name: 'Reject the message', exact: true }).click();
    const rejected = fernPage.locator('[data-testid="message"][data-status="rejected"]', { hasText: second });
    await rejected.getByTestId('rejected-note').waitFor();
    assert.match(await rejected.innerText(), /Not published: the moderators said “Please leave out where he is held/);
    await samPage.waitForTimeout(500);
    assert.equal(await message(samPage, second).count(), 0, 'a rejected message never reaches members');
    assert.equal(await samPage.getByText(reason).count(), 0);
    await photograph(fernPage, 'held-chat-author-rejected');

    for (const p of [modPage, queuePage, fernPage, samPage]) problems.push(...p.problems());
  });
});
