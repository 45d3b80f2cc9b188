// Quick exit leaves at once for a neutral site and replaces the history entry, from the
// button and from Escape pressed twice; a single Escape does nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { NEUTRAL_SITE, checkScreen, launchBrowser, newContext, startServer } from './harness.mjs';

let server;
let browser;

describe('quick exit', () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const phone of [false, true]) {
    test(`the button leaves for the neutral site without adding history (${phone ? 'phone' : 'desktop'})`, async () => {
      const context = await newContext(browser, server, { phone });
      const page = await context.newPage();
      await page.goto('/');
      // Move within the app first, so there is in-app history to not add to.
      await page.getByRole('link', { name: 'Apply to join' }).first().click();
      await page.getByRole('heading', { name: 'Apply to join' }).waitFor();
      const before = await page.evaluate(() => history.length);
      const button = page.getByRole('button', { name: /Quick exit/ });
      const box = await button.boundingBox();
      assert.ok(box && box.height >= 44 && box.width >= 44, `a large tap target: ${JSON.stringify(box)}`);
      assert.ok(box.y < 80, 'at the top of the page');
      await button.click();
      await page.waitForURL(NEUTRAL_SITE);
      assert.equal(page.url(), NEUTRAL_SITE);
      assert.equal(await page.evaluate(() => history.length), before, 'history entry replaced');
      await context.close();
    });
  }

  test('the pages served without the app (password reset) have the quick exit too', async () => {
    const context = await newContext(browser, server, { phone: true });
    const page = await context.newPage();
    await page.goto('/sign-in');
    await page.goto('/reset?token=not-a-real-token');
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await checkScreen(page, 'reset');
    const before = await page.evaluate(() => history.length);
    const button = page.getByRole('link', { name: 'Quick exit' });
    const box = await button.boundingBox();
    assert.ok(box && box.height >= 44 && box.y < 80, `a large tap target at the top: ${JSON.stringify(box)}`);
    await button.click();
    await page.waitForURL(NEUTRAL_SITE);
    assert.equal(await page.evaluate(() => history.length), before, 'history entry replaced');

    await page.goto(`${server.origin}/reset?token=not-a-real-token`);
    const password = page.getByLabel('New password');
    await password.fill('typing');
    await password.press('Escape');
    await password.press('Escape');
    await page.waitForURL(NEUTRAL_SITE);
    await context.close();
  });

  test('Escape twice leaves, even while typing; Escape once does not', async () => {
    const context = await newContext(browser, server);
    const page = await context.newPage();
    await page.goto('/sign-in');
    const login = page.getByLabel('Handle or email address');
    await login.fill('someone');
    await login.press('Escape');
    await page.waitForTimeout(1300);
    await login.press('Escape');
    await page.waitForTimeout(300);
    assert.equal(new URL(page.url()).pathname, '/sign-in', 'two presses far apart do nothing');
    const before = await page.evaluate(() => history.length);
    await page.waitForTimeout(1100);
    await login.press('Escape');
    await login.press('Escape');
    await page.waitForURL(NEUTRAL_SITE);
    assert.equal(await page.evaluate(() => history.length), before, 'history entry replaced');
    await context.close();
  });
});
