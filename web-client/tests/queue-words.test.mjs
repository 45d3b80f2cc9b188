// The moderation queue in words a volunteer reads at a glance (issue 14, item 7): reports show
// their reason as words ("Could identify someone", never the code "identifying"); a post that is
// already public is kept up or taken down, a held one published or not (never an ambiguous
// "Approve/Reject"); and the audit log reads as sentences ("… was suspended by … until …").

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

describe('the queue in words', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('reports, decisions and the audit log read as words, not codes', async () => {
    await createAdmin(server);
    const admin = await signInApi(server.origin, 'coordinator');
    const board = await apiCall(server.origin, 'POST', '/api/admin/boards', { name: 'Partners' }, admin.cookie);
    const thread = await apiCall(server.origin, 'POST', `/api/boards/${board.body.board.id}/threads`, { title: 'Evenings', body: 'How are evenings?' }, admin.cookie);
    const threadId = thread.body.thread.id;
    const moderator = await makeMember(server, admin.cookie, 'mod_jo', { role: 'moderator' });
    const writer = await makeMember(server, admin.cookie, 'hopeful_mum');
    await establish(server, admin.cookie, writer.cookie, threadId);
    const reader = await makeMember(server, admin.cookie, 'careful_reader');

    // A public post, reported as identifying.
    const pub = await apiCall(server.origin, 'POST', `/api/threads/${threadId}/posts`, { body: 'We go to the Tuesday group in the church hall by the market.' }, writer.cookie);
    assert.equal(pub.body.moderation.status, 'published', JSON.stringify(pub.body));
    const rep = await apiCall(server.origin, 'POST', `/api/posts/${pub.body.post.id}/reports`, { reason: 'identifying', note: 'The place could give her away.' }, reader.cookie);
    assert.ok(rep.status < 300, JSON.stringify(rep.body));
    // A held post from a new member.
    const held = await apiCall(server.origin, 'POST', `/api/threads/${threadId}/posts`, { body: 'Hello, I am new here and scared.' }, reader.cookie);
    assert.equal(held.body.moderation.status, 'held', JSON.stringify(held.body));
    // A suspension, for the audit log.
    const restless = await makeMember(server, admin.cookie, 'restless_dad');
    const s = await apiCall(server.origin, 'POST', `/api/mod/members/${restless.member.id}/suspend`, { hours: 72, reason: 'A break after the argument.' }, admin.cookie);
    assert.equal(s.status, 200, JSON.stringify(s.body));

    const context = await signedInContext(browser, server, moderator.cookie);
    const page = await context.newPage();
    const errors = watchPage(page);
    await page.goto('/mod/queue');
    const reported = page.getByTestId('queue-item').filter({ hasText: 'church hall' });
    await reported.waitFor();
    const reportedText = await reported.innerText();
    assert.match(reportedText, /Could identify someone/);
    assert.doesNotMatch(reportedText, /\bidentifying\b/);
    assert.doesNotMatch(reportedText, /\bApprove\b|\bReject\b/);
    await reported.getByRole('button', { name: /^Keep it up/ }).waitFor();
    await reported.getByRole('button', { name: /^Take it down/ }).waitFor();

    const heldCard = page.getByTestId('queue-item').filter({ hasText: 'scared' });
    assert.doesNotMatch(await heldCard.innerText(), /\bApprove\b|\bReject\b/);
    await heldCard.getByRole('button', { name: /^Publish/ }).waitFor();
    await heldCard.getByRole('button', { name: /^Don’t publish/ }).waitFor();
    await checkScreen(page, 'queue-words');

    // Take the reported post down, with the reason its author will see.
    await reported.getByRole('button', { name: /^Take it down/ }).click();
    await reported.getByLabel(/Or your own words/).fill('We took this down because the place could identify you.');
    await reported.getByRole('button', { name: 'Take the post down', exact: true }).click();
    await page.getByText('The post by hopeful_mum was taken down.').waitFor();
    await heldCard.getByRole('button', { name: /^Publish/ }).click();
    await page.getByText('The post by careful_reader was published.').waitFor();

    await page.goto('/mod/audit');
    const log = page.locator('main');
    await page.getByTestId('audit-entry').first().waitFor();
    const text = await log.innerText();
    const until = new Date(Date.now() + 72 * 3600_000).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
    assert.match(text, new RegExp(`restless_dad was suspended by coordinator until ${until}`));
    assert.match(text, /Reason: A break after the argument\./);
    assert.match(text, /mod_jo took down a reported post/);
    assert.match(text, /mod_jo published a held post/);
    assert.doesNotMatch(text, /queue_|member_suspended|application_approved|role_changed/);
    await checkScreen(page, 'audit-sentences');
    assert.deepEqual(errors(), []);
    await context.close();
  });

  test('moderators and admins see live waiting counts in the navigation, without polling', async () => {
    const admin = await signInApi(server.origin, 'coordinator');
    const moderator = await signInApi(server.origin, 'mod_jo');
    const member = await signInApi(server.origin, 'careful_reader');
    const modContext = await signedInContext(browser, server, moderator.cookie);
    const modPage = await modContext.newPage();
    const modErrors = watchPage(modPage);
    let countFetches = 0;
    modPage.on('request', (r) => {
      if (r.url().endsWith('/api/mod/counts')) countFetches += 1;
    });
    await modPage.goto('/');
    await modPage.getByRole('navigation', { name: 'Main' }).waitFor();
    const before = (await modPage.getByTestId('waiting-count').count()) ? Number((await modPage.getByTestId('waiting-count').innerText()).match(/\d+/)[0]) : 0;
    // Idle: no asking on a timer.
    await modPage.waitForTimeout(2500);
    const idle = countFetches;
    assert.ok(idle <= 1, `asked ${idle} times while nothing changed`);

    // A member reports a post: the moderator's count goes up, live.
    const threads = await apiCall(server.origin, 'GET', '/api/boards', undefined, admin.cookie);
    const boardId = threads.body.boards[0].id;
    const t = await apiCall(server.origin, 'POST', `/api/boards/${boardId}/threads`, { title: 'Another evening', body: 'A quiet post from the coordinator.' }, admin.cookie);
    const r = await apiCall(server.origin, 'POST', `/api/posts/${t.body.post.id}/reports`, { reason: 'unkind' }, member.cookie);
    assert.ok(r.status < 300, JSON.stringify(r.body));
    await modPage.waitForFunction(
      (n) => {
        const el = document.querySelector('[data-testid="waiting-count"]');
        return el && Number(el.textContent.match(/\d+/)[0]) === n;
      },
      before + 1,
      { timeout: 5000 },
    );
    assert.match(await modPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Moderation/ }).innerText(), /\d/);
    await checkScreen(modPage, 'nav-waiting-count');

    // An application arrives: the admin's count shows it, live.
    const adminContext = await signedInContext(browser, server, admin.cookie);
    const adminPage = await adminContext.newPage();
    const adminErrors = watchPage(adminPage);
    await adminPage.goto('/');
    await adminPage.getByRole('navigation', { name: 'Main' }).waitFor();
    await adminPage.waitForTimeout(500);
    assert.equal(await adminPage.getByTestId('applications-count').count(), 0);
    const applied = await apiCall(server.origin, 'POST', '/api/applications', {
      handle: 'late_applicant', email: 'late_applicant@example.org', password: 'a calm long passphrase',
      date_of_birth: '1975-04-12', statement: 'My son was arrested.', accept_rules: true,
    });
    assert.equal(applied.status, 202, JSON.stringify(applied.body));
    await adminPage.getByTestId('applications-count').waitFor({ timeout: 5000 });
    assert.match(await adminPage.getByTestId('applications-count').innerText(), /1\s*application waiting/);
    // The moderator (not an admin) never hears of applications.
    assert.equal(await modPage.getByTestId('applications-count').count(), 0);
    assert.deepEqual([...modErrors(), ...adminErrors()], []);
    await modContext.close();
    await adminContext.close();
  });
});
