// Getting back in after forgetting a password, from both ends, in a real browser against the
// real server: "Forgot your password?" on the sign-in screen (honest about whether this server
// sends email at all), an emailed link, and a link an admin makes in Admin > Members and passes
// on; the member opens the link, chooses a new password and signs in with it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  PASSWORD,
  apiCall,
  checkScreen,
  createAdmin,
  launchBrowser,
  makeMember,
  newContext,
  signInApi,
  signedInContext,
  startServer,
  startSmtpSink,
  watchPage,
} from './harness.mjs';

const NEW_PASSWORD = 'a fresh long passphrase';

let browser;
const problems = [];

/** A tab watched for script errors and CSP refusals. */
async function tab(context) {
  const page = await context.newPage();
  page.problems = watchPage(page);
  return page;
}

/** Signs in on the app's sign-in screen; answers once the member's navigation shows. */
async function signInHere(page, login, password) {
  await page.goto('/sign-in');
  await page.getByLabel('Handle or email address').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Opens a reset link (its path: the server's public URL may name another host) and sets `password`. */
async function useResetLink(page, link, password) {
  const url = new URL(link);
  await page.goto(url.pathname + url.search);
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await page.getByLabel('New password').fill(password);
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Your password was changed.').waitFor();
}

describe('recovery', () => {
  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    assert.deepEqual(problems, [], `script errors or CSP refusals:\n${problems.join('\n')}`);
  });

  describe('on a server that sends no email', () => {
    let server;
    let admin;

    before(async () => {
      server = await startServer();
      await createAdmin(server);
      admin = await signInApi(server.origin, 'coordinator');
    });

    after(async () => {
      await server?.stop();
    });

    for (const phone of [false, true]) {
      test(`"Forgot your password?" says plainly that no email will come (${phone ? 'phone' : 'desktop'})`, async () => {
        const context = await newContext(browser, server, { phone });
        const page = await tab(context);
        await page.goto('/sign-in');
        await page.getByRole('link', { name: 'Forgot your password?' }).click();
        await page.getByRole('heading', { name: 'Forgot your password?', level: 1 }).waitFor();
        await page.getByText('This forum does not send email').waitFor();
        const text = await page.locator('main').innerText();
        assert.match(text, /does not send email/);
        assert.match(text, /ask an admin/i);
        // No form that pretends to send something.
        assert.equal(await page.getByLabel('Email address').count(), 0);
        if (!phone) await checkScreen(page, 'forgot-password-no-email');
        problems.push(...page.problems());
        await context.close();
      });
    }

    test('an admin makes a reset link; the member opens it, sets a new password and signs in with it', async () => {
      await makeMember(server, admin.cookie, 'wren');
      const adminContext = await signedInContext(browser, server, admin.cookie);
      await adminContext.grantPermissions(['clipboard-read', 'clipboard-write']);
      const page = await tab(adminContext);
      await page.goto('/admin/members');
      const card = page.getByTestId('member').filter({ hasText: 'wren' });
      await card.getByText('Actions for wren').click();
      await card.getByRole('button', { name: 'Make a reset link for wren' }).click();
      const field = card.getByLabel('Reset link for wren');
      await field.waitFor();
      const link = await field.inputValue();
      assert.match(link, /\/reset\?token=[A-Za-z0-9_-]{20,}$/);
      const shown = await card.innerText();
      assert.match(shown, /works once/i);
      assert.match(shown, /until \d/, 'its expiry is shown');
      await card.getByRole('button', { name: 'Copy the link' }).click();
      await card.getByText('Copied.').waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
      await checkScreen(page, 'admin-reset-link');

      // Shown once: after a reload it is gone from the screen.
      await page.reload();
      await page.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
      assert.equal(await page.getByLabel('Reset link for wren').count(), 0);
      problems.push(...page.problems());
      await adminContext.close();

      const memberContext = await newContext(browser, server, { phone: true });
      const mine = await tab(memberContext);
      await useResetLink(mine, link, NEW_PASSWORD);
      await signInHere(mine, 'wren', NEW_PASSWORD);
      await mine.getByRole('link', { name: 'Account' }).waitFor();
      // The old password no longer works; the link works once.
      const old = await apiCall(server.origin, 'POST', '/api/session', { login: 'wren', password: PASSWORD });
      assert.equal(old.status, 401, JSON.stringify(old.body));
      const token = new URL(link).searchParams.get('token');
      const again = await apiCall(server.origin, 'POST', `/api/password-reset/${token}`, { new_password: 'yet another passphrase' });
      assert.equal(again.body?.error?.code, 'reset_invalid', JSON.stringify(again.body));
      problems.push(...mine.problems());
      await memberContext.close();
    });
  });

  describe('on a server that sends email', () => {
    let server;
    let admin;
    let sink;

    before(async () => {
      sink = await startSmtpSink();
      server = await startServer({ env: { HEARTH_SMTP_URL: sink.url } });
      await createAdmin(server);
      admin = await signInApi(server.origin, 'coordinator');
    });

    after(async () => {
      await server?.stop();
      await sink?.close();
    });

    for (const phone of [false, true]) {
      test(`a member asks for a link by email, uses it and signs in (${phone ? 'phone' : 'desktop'})`, async () => {
        const handle = phone ? 'robin' : 'finch';
        await makeMember(server, admin.cookie, handle);
        const context = await newContext(browser, server, { phone });
        const page = await tab(context);
        await page.goto('/sign-in');
        await page.getByRole('link', { name: 'Forgot your password?' }).click();
        await page.getByRole('heading', { name: 'Forgot your password?', level: 1 }).waitFor();
        await checkScreen(page, 'forgot-password');
        await page.getByLabel('Email address').fill(`${handle}@example.org`);
        await page.getByRole('button', { name: 'Send me a link' }).click();
        await page
          .getByText('If that address belongs to an account, a link is on its way. It works once, for 24 hours.')
          .waitFor();
        await page.getByText('If no email arrives, ask an admin for a reset link.').waitFor();
        await checkScreen(page, 'forgot-password-sent');

        // Applying sent the address a neutral notice first; the reset link comes after it.
        let mail = await sink.nextMessage();
        while (!mail.data.includes('Subject: Your requested link')) mail = await sink.nextMessage();
        assert.ok(mail.to.join(' ').includes(`${handle}@example.org`), JSON.stringify(mail.to));
        const link = mail.data.replace(/=\r?\n/g, '').replace(/=3D/g, '=').match(/https?:\/\/\S+\/reset\?token=[A-Za-z0-9_-]+/)?.[0];
        assert.ok(link, `a link in the email:\n${mail.data}`);
        await useResetLink(page, link, NEW_PASSWORD);
        await signInHere(page, handle, NEW_PASSWORD);
        await page.getByRole('link', { name: 'Account' }).waitFor();
        problems.push(...page.problems());
        await context.close();
      });
    }
  });
});
