// The staff comforts of issue 14 item 8 and the journey bugs left over, in a real browser against
// a freshly started server: Admin > Invites lists invites (never a link again) and withdraws one,
// whose link then says it can no longer be used; the safeguarding concerns screen for a lead
// (list, detail, decision and its record), refused to a moderator who is not a lead; Admin >
// Boards renames, moves and archives a board, which members then read but cannot write in;
// a profile keeps the handle out of the address; "Download my data" after the session ended
// shows the signed-out state instead of saving the refusal; a room opening shows at once on
// the chat list and in the room; the audit log names an application's applicant. Every new
// screen is checked with axe and photographed at 1280 and 360 px.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  apiCall,
  checkScreen,
  createAdmin,
  enrolStaff,
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
let moderator;
let member;
let lead;
const problems = [];

async function pageFor(cookie, options) {
  const context = await signedInContext(browser, server, cookie, options);
  const page = await context.newPage();
  problems.push(() => page.problems());
  page.problems = watchPage(page);
  return { context, page };
}

describe('staff screens and the journeys left over', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await createAdmin(server);
    admin = await signInApi(server.origin, 'coordinator');
    moderator = await makeMember(server, admin.cookie, 'mod_jo', { role: 'moderator' });
    member = await makeMember(server, admin.cookie, 'hopeful_mum');
    lead = await makeMember(server, admin.cookie, 'lead_lou');
    const r = await apiCall(server.origin, 'PATCH', `/api/admin/members/${lead.member.id}`, { safeguarding_lead: true }, admin.cookie);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // Safeguarding leads need a second factor (the default): the new lead enrols at once.
    await enrolStaff(server, lead);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    const seen = problems.flatMap((p) => p());
    assert.deepEqual(seen, [], seen.join('\n'));
  });

  test('Admin > Invites lists invites and withdraws one; its link then says so', async () => {
    // One invite used already, so the list shows both states.
    const used = await apiCall(server.origin, 'POST', '/api/admin/invites', { confirm_adult: true }, admin.cookie);
    const applied = await apiCall(server.origin, 'POST', '/api/applications', {
      handle: 'invited_ivy',
      email: 'ivy@example.org',
      password: 'a calm long passphrase',
      date_of_birth: '1980-01-01',
      accept_rules: true,
      invite: used.body.token,
    });
    assert.equal(applied.status, 201, JSON.stringify(applied.body));

    const { context, page } = await pageFor(admin.cookie);
    await page.goto('/admin/invites');
    await page.getByRole('heading', { name: 'Invites', level: 1 }).waitFor();
    await page.getByTestId('invite').first().waitFor();
    await page.getByLabel('I confirm the person I am inviting is 18 or over').check();
    await page.getByRole('button', { name: 'Create invite link' }).click();
    const link = await page.locator('#invite-link').inputValue();
    assert.match(link, /\/apply\?invite=/);
    const token = new URL(link).searchParams.get('invite');
    const outstanding = page.locator('[data-testid="invite"][data-status="outstanding"]');
    await outstanding.waitFor();
    assert.equal(await page.locator('[data-testid="invite"][data-status="used"]').count(), 1);
    // The list never shows a link or token, only the one-time notice does.
    const listed = await page.getByRole('list', { name: 'Invites made' }).innerText();
    assert.ok(!listed.includes(token), listed);
    await checkScreen(page, 'admin-invites-list');

    await outstanding.getByRole('button', { name: 'Withdraw this invite' }).click();
    await outstanding.getByRole('button', { name: 'Yes, withdraw it' }).click();
    await page.locator('[data-testid="invite"][data-status="revoked"]').waitFor();
    const withdrawn = await page.locator('[data-testid="invite"][data-status="revoked"]').innerText();
    assert.match(withdrawn, /Withdrawn/);
    assert.match(withdrawn, /Made by\s+coordinator/);
    // The link shown once is gone with it.
    assert.equal(await page.locator('#invite-link').count(), 0);
    await checkScreen(page, 'admin-invites-withdrawn');
    await context.close();

    // The withdrawn link says it can no longer be used, before anything is filled in.
    const guest = await browser.newContext({ baseURL: server.origin });
    const apply = await guest.newPage();
    await apply.goto(`/apply?invite=${encodeURIComponent(token)}`);
    await apply.getByTestId('invite-invalid').waitFor();
    assert.match(await apply.getByTestId('invite-invalid').innerText(), /can no longer be used/);
    await guest.close();
  });

  test('a safeguarding lead reads a concern and records a decision; a moderator cannot', async () => {
    const board = await apiCall(server.origin, 'POST', '/api/admin/boards', { name: 'Evenings' }, admin.cookie);
    const thread = await apiCall(server.origin, 'POST', `/api/boards/${board.body.board.id}/threads`, { title: 'How are evenings?', body: 'Evenings are hard for me lately.' }, admin.cookie);
    const concern = await apiCall(
      server.origin,
      'POST',
      `/api/posts/${thread.body.post.id}/concerns`,
      { category: 'suicide_risk', note: '<b>Worried</b> about how this reads.' },
      member.cookie,
    );
    assert.equal(concern.status, 201, JSON.stringify(concern.body));

    // A moderator who is not a lead: no link, and the screen says why.
    const mod = await pageFor(moderator.cookie);
    await mod.page.goto('/mod/queue');
    await mod.page.getByRole('heading', { name: 'Moderation queue', level: 1 }).waitFor().catch(() => {});
    assert.equal(await mod.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Safeguarding' }).count(), 0);
    await mod.page.goto('/safeguarding');
    await mod.page.getByText('Only the group’s safeguarding leads can see safeguarding concerns.').waitFor();
    assert.ok(!(await mod.page.locator('body').innerText()).includes('Worried'));
    await mod.context.close();

    const { context, page } = await pageFor(lead.cookie);
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Safeguarding' }).click();
    await page.getByRole('heading', { name: 'Safeguarding concerns', level: 1 }).waitFor();
    const card = page.getByTestId('concern').first();
    await card.waitFor();
    assert.match(await card.innerText(), /Someone may be at risk of suicide/);
    assert.match(await card.innerText(), /Respond by/);
    await checkScreen(page, 'safeguarding-list');

    await card.getByRole('link', { name: 'Someone may be at risk of suicide' }).click();
    await page.getByTestId('concern-detail').waitFor();
    const detail = await page.getByTestId('concern-detail').innerText();
    // The note and the post are text, never HTML.
    assert.match(detail, /<b>Worried<\/b> about how this reads\./);
    assert.match(detail, /Evenings are hard for me lately\./);
    assert.match(detail, /Written by coordinator/);
    await checkScreen(page, 'safeguarding-concern');

    // A referral needs to whom; then it is recorded, with who and why.
    await page.getByLabel('Referral made').check();
    await page.getByLabel('Why').fill('Shared the crisis line and told the member we are here.');
    await page.getByRole('button', { name: 'Record decision' }).click();
    await page.getByText('say to whom the referral was made').first().waitFor();
    await page.getByLabel('Support offered').check();
    await page.getByRole('button', { name: 'Record decision' }).click();
    await page.getByTestId('concern-decision').waitFor();
    const record = await page.getByTestId('concern-decision').innerText();
    assert.match(record, /lead_lou decided: Support offered/);
    assert.match(record, /Shared the crisis line/);
    assert.equal(await page.getByRole('button', { name: 'Record decision' }).count(), 0);
    await checkScreen(page, 'safeguarding-decided');
    await context.close();
  });

  test('Admin > Boards renames, moves and archives a board; members read it but cannot write', async () => {
    const made = [];
    for (const name of ['Partners', 'Siblings']) {
      const b = await apiCall(server.origin, 'POST', '/api/admin/boards', { name }, admin.cookie);
      made.push(b.body.board.id);
    }
    const t = await apiCall(server.origin, 'POST', `/api/boards/${made[1]}/threads`, { title: 'Brothers and sisters', body: 'A place for us.' }, admin.cookie);

    const { context, page } = await pageFor(admin.cookie);
    await page.goto('/admin/boards');
    const siblings = page.locator('[data-testid="admin-board"]').filter({ hasText: 'Siblings' });
    await siblings.waitFor();
    await checkScreen(page, 'admin-boards-arrange');

    // Renamed, and a name the rules would hold is refused with their words.
    await siblings.getByRole('button', { name: /^Rename or describe/ }).click();
    await siblings.getByLabel('What it is for (optional)').fill('Call me on 07700 900123');
    await siblings.getByRole('button', { name: 'Save changes' }).click();
    await siblings.locator('.error-summary, [role="alert"]').first().waitFor();
    await checkScreen(page, 'admin-boards-refused');
    await siblings.getByLabel('Name').fill('Brothers and sisters');
    await siblings.getByLabel('What it is for (optional)').fill('For siblings of someone who offended.');
    await siblings.getByRole('button', { name: 'Save changes' }).click();
    const renamed = page.locator('[data-testid="admin-board"]').filter({ hasText: 'For siblings' });
    await renamed.waitFor();

    // Moved up one place: the order is what members see.
    const before = await page.locator('[data-testid="admin-board"] h3').allInnerTexts();
    await renamed.getByRole('button', { name: /^Move up/ }).click();
    await page.waitForFunction(
      (old) => JSON.stringify([...document.querySelectorAll('[data-testid="admin-board"] h3')].map((h) => h.innerText)) !== old,
      JSON.stringify(before),
    );
    const after = await page.locator('[data-testid="admin-board"] h3').allInnerTexts();
    assert.equal(after.indexOf('Brothers and sisters'), before.indexOf('Brothers and sisters') - 1, `${before} -> ${after}`);

    // Archived.
    await renamed.getByRole('button', { name: /^Archive/ }).click();
    await page.locator('[data-testid="admin-board"][data-archived="yes"]').waitFor();
    await checkScreen(page, 'admin-boards-archived');
    await context.close();

    // A member: not on the list; by link, readable and read-only.
    const m = await pageFor(member.cookie);
    await m.page.goto('/');
    await m.page.getByRole('link', { name: 'Partners' }).first().waitFor();
    assert.equal(await m.page.getByRole('link', { name: 'Brothers and sisters' }).count(), 0);
    await m.page.goto(`/boards/${made[1]}`);
    await m.page.getByTestId('board-archived').waitFor();
    assert.equal(await m.page.getByRole('button', { name: 'Start a new thread' }).count(), 0);
    await checkScreen(m.page, 'board-archived');
    await m.page.getByRole('link', { name: 'Brothers and sisters' }).last().click();
    await m.page.getByTestId('thread-archived').waitFor();
    await m.page.getByText('A place for us.').waitFor();
    assert.equal(await m.page.getByRole('heading', { name: 'Reply' }).count(), 0);
    assert.equal(new URL(m.page.url()).pathname, `/threads/${t.body.thread.id}`);
    await m.context.close();
  });

  test('a profile keeps the handle out of the address', async () => {
    const b = await apiCall(server.origin, 'POST', '/api/admin/boards', { name: 'Introductions' }, admin.cookie);
    const t = await apiCall(server.origin, 'POST', `/api/boards/${b.body.board.id}/threads`, { title: 'Say hello', body: 'Hello from the coordinator.' }, admin.cookie);
    const { context, page } = await pageFor(member.cookie);
    await page.goto(`/threads/${t.body.thread.id}`);
    const entries = await page.evaluate(() => history.length);
    await page.getByRole('link', { name: 'coordinator' }).first().click();
    await page.getByRole('heading', { name: 'coordinator', level: 1 }).waitFor();
    await page.getByTestId('profile').waitFor();
    assert.equal(new URL(page.url()).pathname, '/member');
    assert.ok(!page.url().includes('coordinator'), page.url());
    assert.equal(await page.evaluate(() => history.length), entries, 'no history entry added');
    // An address with a handle in it (a link opened in a new tab) loses it at once.
    await page.goto('/members/hopeful_mum');
    await page.getByRole('heading', { name: 'hopeful_mum', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/member');
    // A reload cannot bring the handle back: it was never in the address.
    await page.reload();
    await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();
    await context.close();
  });

  test('Download my data after the session ended shows the signed-out state, not a file', async () => {
    const session = await signInApi(server.origin, 'hopeful_mum');
    const { context, page } = await pageFor(session.cookie);
    await page.goto('/account');
    await page.getByRole('link', { name: 'Download my data' }).waitFor();
    // The session ended while the tab slept (idle, another device) and nothing has told this
    // tab yet: the server answers the export with its refusal.
    await page.route('**/api/me/export', (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'not_signed_in', message: 'please sign in' } }),
      }),
    );
    let downloaded = false;
    page.on('download', () => {
      downloaded = true;
    });
    await page.getByRole('link', { name: 'Download my data' }).click();
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await page.getByText('Your session has ended. Please sign in again.').waitFor();
    await page.waitForTimeout(300);
    assert.equal(downloaded, false, 'the refusal was saved as a file');
    await context.close();
  });

  test('a room opening shows at once on the chat list and in the room', async () => {
    const r = await apiCall(server.origin, 'POST', '/api/admin/rooms', { name: 'Evening support', needs_moderator: true }, admin.cookie);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const room = r.body.room.id;
    const list = await pageFor(member.cookie);
    await list.page.goto('/rooms');
    const item = list.page.getByTestId('rooms').locator('li').filter({ hasText: 'Evening support' });
    await item.getByText('Closed').waitFor();
    const inside = await pageFor(lead.cookie);
    await inside.page.goto(`/rooms/${room}`);
    await inside.page.getByRole('heading', { name: 'Evening support', level: 1 }).waitFor();
    await inside.page.getByTestId('room-closed').waitFor();
    // Give both sockets time to subscribe, then a moderator arrives.
    await list.page.waitForTimeout(500);
    const mod = await pageFor(moderator.cookie);
    await mod.page.goto(`/rooms/${room}`);
    // Well within the 15 s presence refresh: only the socket can have said so.
    await item.getByText('Open', { exact: true }).waitFor({ timeout: 5000 });
    await inside.page.getByLabel('Your message').waitFor({ timeout: 5000 });
    assert.equal(await inside.page.getByTestId('room-closed').count(), 0);
    await mod.context.close();
    await item.getByText('Closed').waitFor({ timeout: 5000 });
    await list.context.close();
    await inside.context.close();
  });

  test('the audit log names the applicant of a decision', async () => {
    const { context, page } = await pageFor(admin.cookie);
    await page.goto('/mod/audit');
    const approved = page.locator('[data-testid="audit-entry"][data-action="application_approved"]').filter({ hasText: 'hopeful_mum' });
    await approved.first().waitFor();
    assert.match(await approved.first().innerText(), /coordinator approved hopeful_mum’s application to join/);
    await context.close();
  });
});
