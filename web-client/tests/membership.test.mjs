// The membership journey in a real browser against the real server on a fresh database:
// an under-18 applicant is refused kindly; an adult applies, cannot sign in while waiting,
// an admin approves them in the admin screen (ticking the 18+ box), and the member signs in
// and sees the home screen. Every main screen is checked with axe-core and photographed at
// desktop and phone sizes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  PASSWORD,
  apiCall,
  bornYearsAgo,
  createAdmin,
  nextTotpCode,
  signInApi,
  totpCode,
  launchBrowser,
  newContext,
  screenshot,
  seriousViolations,
  startServer,
  watchPage,
} from './harness.mjs';

let server;
let browser;
let admin;
const problems = [];

/** Checks the screen with axe and photographs it, at desktop and then at phone width. */
async function check(page, name) {
  await page.waitForLoadState('networkidle');
  for (const size of [
    { width: 1280, height: 800 },
    { width: 360, height: 740 },
  ]) {
    await page.setViewportSize(size);
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], `axe on ${name} at ${size.width}px:\n${violations.join('\n')}`);
    // No sideways scrolling at phone width.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at ${size.width}px`);
    await screenshot(page, name);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function fillApplication(page, { handle, email, dob, statement, accept = true }) {
  await page.getByLabel('Handle', { exact: true }).fill(handle);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Day').fill(dob.day);
  await page.getByLabel('Month').fill(dob.month);
  await page.getByLabel('Year').fill(dob.year);
  await page.getByLabel(/why you would like to join/).fill(statement);
  if (accept) await page.getByLabel(/I have read the group's rules/).check();
}

async function signIn(page, login) {
  await page.goto('/sign-in');
  await page.getByLabel('Handle or email address').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Staff have an authenticator app (the harness enrolled it): the second step asks for a code.
  const code = await nextTotpCode(server.origin, login);
  if (code) {
    await page.getByTestId('second-step').waitFor();
    await page.getByLabel('The six-digit code your authenticator app shows').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
}

describe('membership in the browser', () => {
  before(async () => {
    server = await startServer();
    admin = await createAdmin(server);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    assert.deepEqual(problems, [], `script errors or CSP refusals:\n${problems.join('\n')}`);
  });

  test('the start page, with quick exit and a discreet title', async () => {
    const context = await newContext(browser, server);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/');
    assert.equal(await page.title(), 'Notes');
    await page.getByRole('heading', { level: 1 }).waitFor();
    await assert.doesNotReject(page.getByRole('button', { name: /Quick exit/ }).waitFor());
    // Tab order: the skip link, home, then quick exit.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to main content');
    await page.keyboard.press('Tab');
    assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ''), /^Home/);
    await page.keyboard.press('Tab');
    assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ''), /^Quick exit/);
    await page.evaluate(() => document.activeElement?.blur());
    await check(page, 'welcome');
    await page.goto('/sign-in');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await check(page, 'sign-in');
    // axe really runs under the page's CSP: an unlabelled field is caught.
    await page.evaluate(() => document.body.append(document.createElement('input')));
    assert.ok((await seriousViolations(page)).some((v) => v.includes('label')), 'axe canary');
    await page.goto('/no/such/page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    problems.push(...seen());
    assert.deepEqual(context.outsideRequests, [], 'the app fetched nothing from elsewhere');
    await context.close();
  });

  test('an applicant under 18 is refused kindly, with Childline', async () => {
    const context = await newContext(browser, server);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto('/apply');
    await page.getByRole('heading', { name: 'Apply to join' }).waitFor();
    await check(page, 'apply');

    // Sending the form half-filled shows the server's field error next to the field.
    await page.getByRole('button', { name: 'Send my application' }).click();
    const summary = page.getByRole('alert');
    await summary.waitFor();
    assert.match(await summary.innerText(), /date of birth/i);
    await fillApplication(page, {
      handle: 'young_one',
      email: 'young@example.org',
      dob: bornYearsAgo(18, 3),
      statement: 'My dad was arrested.',
      accept: false,
    });
    await page.getByRole('button', { name: 'Send my application' }).click();
    await page.locator('#field-accept_rules-error').waitFor();
    assert.match(await page.locator('#field-accept_rules-error').innerText(), /rules/i);
    assert.equal(await page.getByLabel(/I have read the group's rules/).getAttribute('aria-invalid'), 'true');
    await check(page, 'apply-errors');

    await page.getByLabel(/I have read the group's rules/).check();
    await page.getByRole('button', { name: 'Send my application' }).click();
    const refusal = page.getByTestId('under-age');
    await refusal.waitFor();
    const text = await refusal.innerText();
    assert.match(text, /only for adults aged 18 or over/);
    assert.match(text, /Childline/);
    assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0, 'the form is gone');
    await check(page, 'apply-under-age');
    problems.push(...seen());
    await context.close();
  });

  test('an adult applies, an admin approves, the member signs in', async () => {
    const member = await newContext(browser, server);
    const page = await member.newPage();
    const seenMember = watchPage(page);
    await page.goto('/apply');
    await fillApplication(page, {
      handle: 'Hopeful_Sam',
      email: 'sam@example.org',
      dob: { day: '29', month: '2', year: '1980' },
      statement: 'My brother was arrested last month and I have nobody to talk to.',
    });
    await page.getByRole('button', { name: 'Send my application' }).click();
    await page.getByRole('heading', { name: 'Thank you for applying' }).waitFor();
    await check(page, 'apply-done');

    // Waiting for approval: the server's words, shown as they are.
    await signIn(page, 'hopeful_sam');
    const waiting = page.getByRole('alert');
    await waiting.waitFor();
    assert.match(await waiting.innerText(), /your application is waiting for an admin/i);
    await check(page, 'sign-in-pending');

    // The admin approves in the admin screen.
    const adminContext = await newContext(browser, server);
    const adminPage = await adminContext.newPage();
    const seenAdmin = watchPage(adminPage);
    await signIn(adminPage, admin.handle);
    await adminPage.getByRole('heading', { name: new RegExp(`^Welcome( back)?, ${admin.handle}$`) }).waitFor();
    await check(adminPage, 'home-admin');
    await adminPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await adminPage.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
    const card = adminPage.getByTestId('application').filter({ hasText: 'Hopeful_Sam' });
    await card.waitFor();
    assert.match(await card.innerText(), /nobody to talk to/);
    await check(adminPage, 'admin-applications');
    // Approving without confirming 18+ is refused, next to the box.
    await card.getByRole('button', { name: 'Approve Hopeful_Sam' }).click();
    await card.getByText(/tick the box to confirm/i).first().waitFor();
    await card.getByLabel('I confirm this person is 18 or over').check();
    await card.getByRole('button', { name: 'Approve Hopeful_Sam' }).click();
    await adminPage.getByText('Hopeful_Sam was approved and can now sign in.').waitFor();
    assert.equal(await adminPage.getByTestId('application').count(), 0);

    // The member signs in and sees the home screen.
    await signIn(page, 'sam@example.org');
    await page.getByTestId('home').waitFor();
    assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /Welcome( back)?, Hopeful_Sam/);
    assert.equal(new URL(page.url()).pathname, '/');
    await check(page, 'home');
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByText('sam@example.org').waitFor();
    await check(page, 'account');
    // Members do not see admin screens.
    await page.goto('/admin/members');
    await page.getByRole('heading', { name: 'Not available' }).waitFor();

    // The admin's other screens.
    await adminPage.getByRole('link', { name: 'Members' }).click();
    await adminPage.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
    await adminPage.getByTestId('member').filter({ hasText: 'Hopeful_Sam' }).waitFor();
    await check(adminPage, 'admin-members');
    await adminPage.getByRole('link', { name: 'Invites' }).click();
    await adminPage.getByLabel('I confirm the person I am inviting is 18 or over').check();
    await adminPage.getByRole('button', { name: 'Create invite link' }).click();
    const link = await adminPage.getByLabel('Invite link').inputValue();
    assert.match(link, /\/apply\?invite=/);
    await check(adminPage, 'admin-invites');
    await adminPage.getByRole('link', { name: 'Audit log' }).click();
    await adminPage.getByText(/approved Hopeful_Sam’s application to join/).first().waitFor();
    await check(adminPage, 'mod-audit');

    // Signing out.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    problems.push(...seenMember(), ...seenAdmin());
    await member.close();
    await adminContext.close();
  });

  test('an admin rejects an application with a reason the applicant then sees', async () => {
    const applied = await apiCall(server.origin, 'POST', '/api/applications', {
      handle: 'Not_Now',
      email: 'notnow@example.org',
      password: PASSWORD,
      date_of_birth: '1970-05-05',
      statement: 'I work as a journalist and would like to write about the group.',
      accept_rules: true,
    });
    assert.equal(applied.status, 202, JSON.stringify(applied.body));
    const adminContext = await newContext(browser, server, { phone: true });
    const adminPage = await adminContext.newPage();
    const seen = watchPage(adminPage);
    await signIn(adminPage, admin.handle);
    await adminPage.getByTestId('home').waitFor();
    await adminPage.getByRole('link', { name: 'Applications' }).first().click();
    const card = adminPage.getByTestId('application').filter({ hasText: 'Not_Now' });
    await card.getByRole('button', { name: 'Reject Not_Now' }).click();
    await card.getByText(/give a reason/i).first().waitFor();
    await card.getByLabel('Reason').fill('This group is only for family members.');
    await card.getByRole('button', { name: 'Reject Not_Now' }).click();
    await adminPage.getByText("Not_Now's application was rejected.").waitFor();
    await check(adminPage, 'admin-applications-empty');

    const context = await newContext(browser, server);
    const page = await context.newPage();
    await signIn(page, 'Not_Now');
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /your application was not accepted: This group is only for family members/i);
    problems.push(...seen());
    await adminContext.close();
    await context.close();
  });

  test('an admin suspends, reinstates and promotes a member; the member sees why', async () => {
    const adminContext = await newContext(browser, server);
    const adminPage = await adminContext.newPage();
    const memberContext = await newContext(browser, server, { phone: true });
    const page = await memberContext.newPage();
    const seen = [watchPage(adminPage), watchPage(page)];
    await signIn(adminPage, admin.handle);
    await adminPage.getByTestId('home').waitFor();
    await adminPage.goto('/admin/members');
    const card = adminPage.getByTestId('member').filter({ hasText: 'Hopeful_Sam' });
    await card.getByText('Actions for Hopeful_Sam').click();
    await card.getByLabel('For how many hours').fill('2');
    await card.getByLabel(/Reason for the suspension/).fill('A short break after a heated thread');
    await check(adminPage, 'admin-member-actions');
    await card.getByRole('button', { name: 'Suspend Hopeful_Sam' }).click();
    await adminPage.getByText('Hopeful_Sam is suspended for 2 hours.').waitFor();
    assert.match(await card.innerText(), /Suspended/);

    await signIn(page, 'Hopeful_Sam');
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /your account is suspended until .*: A short break after a heated thread/i);
    await check(page, 'sign-in-suspended');

    await card.getByRole('button', { name: 'Reinstate Hopeful_Sam' }).click();
    await adminPage.getByText('Hopeful_Sam was reinstated.').waitFor();
    await card.getByLabel('Role').selectOption('moderator');
    await card.getByRole('button', { name: 'Change role' }).click();
    await adminPage.getByText('Hopeful_Sam is now a moderator.').waitFor();

    // Now staff, they are sent to set up an authenticator app before anything of staff opens.
    await signIn(page, 'Hopeful_Sam');
    await page.getByRole('heading', { name: 'Sign-in security' }).waitFor();
    await page.getByTestId('totp-begin').click();
    const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s/g, '');
    await page.getByLabel('The six-digit code your app shows').fill(totpCode(secret, Math.floor(Date.now() / 30_000)));
    await page.getByRole('button', { name: 'Finish setting up' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    await check(page, 'moderator-recovery-codes');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.goto('/');
    await page.getByTestId('home').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Moderation' }).click();
    await page.getByRole('navigation', { name: 'Moderation and admin' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByText(/member suspended|suspended/).first().waitFor();
    for (const s of seen) problems.push(...s());
    await adminContext.close();
    await memberContext.close();
  });

  test('an invitee joins without waiting, and changes their password', async () => {
    const { body } = await (async () => {
      // The admin signs in with their second factor (the harness computes the code).
      const { cookie } = await signInApi(server.origin, admin.handle);
      const res = await fetch(`${server.origin}/api/admin/invites`, {
        method: 'POST',
        headers: { Origin: server.origin, 'Content-Type': 'application/json', Cookie: cookie },
        body: JSON.stringify({ confirm_adult: true }),
      });
      return { body: await res.json() };
    })();
    const invitePath = new URL(body.link).pathname + new URL(body.link).search;
    const context = await newContext(browser, server);
    const page = await context.newPage();
    const seen = watchPage(page);
    await page.goto(invitePath);
    await page.getByText('You have been invited.', { exact: false }).waitFor();
    await fillApplication(page, {
      handle: 'Invited_Kim',
      email: 'kim@example.org',
      dob: { day: '3', month: '7', year: '1975' },
      statement: '',
    });
    await page.getByRole('button', { name: 'Send my application' }).click();
    await page.getByRole('heading', { name: 'Welcome' }).waitFor();
    await signIn(page, 'Invited_Kim');
    await page.getByTestId('home').waitFor();

    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password', { exact: true }).fill('another calm passphrase');
    await page.getByLabel('New password again').fill('another calm passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#field-current_password-error').waitFor();
    assert.match(await page.locator('#field-current_password-error').innerText(), /current password is not right/i);
    await check(page, 'account-error');
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password was changed.').waitFor();
    problems.push(...seen());
    await context.close();
  });
});
