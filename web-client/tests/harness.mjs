// Test harness for the browser tests: starts the REAL server binary on a free port with a fresh
// SQLite database, creates the first admin through the one-time setup link, drives Debian's
// Chromium through playwright-core, runs axe-core, and saves screenshots.
//
// Environment:
//   HEARTH_BIN       the server binary (default: <repo>/target/debug/hearth)
//   CHROMIUM_BIN     the browser (default: /usr/bin/chromium)
//   HEARTH_TEST_LOG  set to 1 to echo the server's log

import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const webClient = resolve(here, '..');
export const repo = resolve(webClient, '..');
export const screenshots = join(webClient, 'screenshots');
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Where quick exit goes; the tests answer it locally so no network is needed. */
export const NEUTRAL_SITE = 'https://www.bbc.co.uk/weather';

/** A password every test account uses (10+ characters). */
export const PASSWORD = 'a calm long passphrase';

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * Starts `hearth serve` on 127.0.0.1 port 0 (the server picks a free port) with a fresh
 * database, and waits for the first-run setup link. Resolves with { origin, setupToken, stop }.
 * `env` adds to (or overrides) the server's environment, e.g. `HEARTH_SMTP_URL`.
 */
export async function startServer({ copyRules = false, env = {} } = {}) {
  const bin = process.env.HEARTH_BIN ?? join(repo, 'target', 'debug', 'hearth');
  const dir = mkdtempSync(join(tmpdir(), 'hearth-browser-'));
  // A copy of the rules file, when a test edits it (to see reload refuse a broken file).
  const rules = join(dir, 'moderation-rules.toml');
  if (copyRules) copyFileSync(join(repo, 'moderation-rules.toml'), rules);
  const child = spawn(bin, ['serve'], {
    cwd: dir,
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${dir}/h.db?mode=rwc`,
      HEARTH_LISTEN: '127.0.0.1:0',
      HEARTH_RULES: copyRules ? rules : join(repo, 'moderation-rules.toml'),
      HEARTH_LOG_FORMAT: 'text',
      NO_COLOR: '1',
      RUST_LOG: process.env.RUST_LOG ?? 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const found = new Promise((resolveFound, rejectFound) => {
    const timer = setTimeout(
      () => rejectFound(new Error(`the server printed no setup link within 60 s:\n${log}`)),
      60_000,
    );
    const onData = (chunk) => {
      const text = stripAnsi(chunk.toString());
      log += text;
      if (process.env.HEARTH_TEST_LOG) process.stderr.write(text);
      const m = log.match(/(https?:\/\/127\.0\.0\.1:\d+)\/setup\?token=([A-Za-z0-9_-]+)/);
      if (m) {
        clearTimeout(timer);
        resolveFound({ origin: m[1], setupToken: m[2] });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => {
      clearTimeout(timer);
      rejectFound(new Error(`cannot start ${bin}: ${e.message} (build it: cargo build -p hearth)`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      rejectFound(new Error(`the server exited (${code}) before it was ready:\n${log}`));
    });
  });
  const kill = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('exit', kill);
  let info;
  try {
    info = await found;
  } catch (e) {
    kill();
    throw e;
  }
  return {
    ...info,
    rulesFile: copyRules ? rules : null,
    log: () => log,
    async stop() {
      process.off('exit', kill);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** JSON call to the server as a script would make it (same-origin `Origin` header). */
export async function apiCall(origin, method, path, body, cookie) {
  const headers = { Origin: origin, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (cookie) headers.Cookie = cookie;
  const res = await fetch(origin + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** Creates the first admin through `POST /api/setup`, who enrols an authenticator app at once
 * (staff need a second factor by default); the harness keeps its secret for later sign-ins. */
export async function createAdmin(server, handle = 'coordinator') {
  const { status, body } = await apiCall(server.origin, 'POST', '/api/setup', {
    token: server.setupToken,
    handle,
    email: `${handle}@example.org`,
    password: PASSWORD,
  });
  if (status !== 201) throw new Error(`setup failed: ${status} ${JSON.stringify(body)}`);
  const first = await signInApi(server.origin, handle);
  await enrolTotp(server.origin, first.cookie, [handle, `${handle}@example.org`]);
  return { handle, password: PASSWORD };
}

// Second factors: the harness enrols an authenticator app for the staff it makes and computes
// codes (RFC 6238: HMAC-SHA-1, 30-second steps, six digits) when they sign in. A step's code is
// accepted once by the server, so a second sign-in in one step uses the next step's code (one
// step of drift is allowed), and past that waits for the next step.

/** (origin|login) -> { secret, lastStep }, shared by a member's handle and email. */
const FACTORS = new Map();

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) continue;
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The six-digit code of `secret` (base32) for 30-second step `step`. */
export function totpCode(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

/** A code for `login` never used before by the harness (waiting for the next step if need be). */
export async function nextTotpCode(origin, login) {
  const entry = FACTORS.get(`${origin}|${login.toLowerCase()}`);
  if (!entry) return null;
  let here = Math.floor(Date.now() / 30_000);
  if (entry.lastStep > here) {
    await new Promise((r) => setTimeout(r, (here + 1) * 30_000 - Date.now() + 50));
    here = Math.floor(Date.now() / 30_000);
  }
  const step = Math.max(here, entry.lastStep + 1);
  entry.lastStep = step;
  return totpCode(entry.secret, step);
}

/** Enrols an authenticator app for the session `cookie`; `logins` name it for later sign-ins. */
export async function enrolTotp(origin, cookie, logins) {
  const begun = await apiCall(origin, 'POST', '/api/me/factors/totp', {}, cookie);
  if (begun.status !== 201) throw new Error(`enrol: ${begun.status} ${JSON.stringify(begun.body)}`);
  const entry = { secret: begun.body.secret, lastStep: 0 };
  for (const login of logins) FACTORS.set(`${origin}|${login.toLowerCase()}`, entry);
  const code = await nextTotpCode(origin, logins[0]);
  const done = await apiCall(origin, 'POST', '/api/me/factors/totp/confirm', { code }, cookie);
  if (done.status !== 200) throw new Error(`confirm: ${done.status} ${JSON.stringify(done.body)}`);
  return { secret: entry.secret, recoveryCodes: done.body.recovery_codes };
}

/** Makes the member signed in on `session` (from signInApi) staff-ready: enrols their app. */
export async function enrolStaff(server, session) {
  const handle = session.member.handle;
  await enrolTotp(server.origin, session.cookie, [handle, `${handle.toLowerCase()}@example.org`]);
  return session;
}

/** Launches Debian's Chromium headless. Playwright gives it a fresh, temporary profile. */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
  return chromium.launch({
    executablePath,
    headless: true,
    // Playwright itself passes a fresh --user-data-dir (it refuses one in `args`).
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

/**
 * A new browser context (its own cookies) at phone or desktop size. Any request that would
 * leave the machine is answered locally: the neutral site gets a stand-in page, anything else
 * is refused, so the tests also prove the app fetches nothing from elsewhere.
 */
export async function newContext(browser, server, { phone = false } = {}) {
  const context = await browser.newContext({
    baseURL: server.origin,
    viewport: phone ? { width: 360, height: 740 } : { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  const outside = [];
  await context.route(
    (url) => url.origin !== server.origin,
    async (route) => {
      const url = route.request().url();
      if (url.startsWith('https://www.bbc.co.uk/')) {
        await route.fulfill({
          status: 200,
          contentType: 'text/html',
          body: '<!doctype html><title>Weather</title><h1>Weather</h1>',
        });
      } else {
        outside.push(url);
        await route.abort();
      }
    },
  );
  context.outsideRequests = outside;
  return context;
}

/**
 * Watches a page for problems the person would never see but we must: script errors and
 * Content-Security-Policy refusals. Returns a function listing them.
 */
export function watchPage(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
    else if (msg.type() === 'error' && !/Failed to load resource/.test(text)) {
      problems.push(`console error: ${text}`);
    }
  });
  return () => problems;
}

/**
 * Runs axe-core on the page (WCAG 2.0/2.1/2.2 A and AA) and returns the serious and critical
 * violations. axe is evaluated through the DevTools protocol, which the page's strict CSP does
 * not govern (a <script> tag added by `addScriptTag` would rightly be refused by it).
 */
export async function seriousViolations(page) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    }),
  );
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact}: ${v.id}: ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('\n    ')}`);
}

/** Saves a full-page screenshot as screenshots/<name>-<desktop|phone>.png. */
export async function screenshot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  const size = page.viewportSize();
  const kind = size && size.width <= 480 ? 'phone' : 'desktop';
  // From the top, so the bar that sticks to the top is drawn where it belongs.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(screenshots, `${name}-${kind}.png`), fullPage: true });
}

/** A date of birth `years` years ago plus `days` days, as YYYY-MM-DD parts. */
export function bornYearsAgo(years, days = 0) {
  const d = new Date();
  d.setFullYear(d.getFullYear() - years);
  d.setDate(d.getDate() + days);
  return { day: String(d.getDate()), month: String(d.getMonth() + 1), year: String(d.getFullYear()) };
}

/** Signs in over HTTP; answers { cookie, member } (cookie as `name=value`). With a second factor
 * the harness enrolled, gives a code from it at the second step. */
export async function signInApi(origin, login, password = PASSWORD) {
  const res = await fetch(`${origin}/api/session`, {
    method: 'POST',
    headers: { Origin: origin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  const body = await res.json();
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  if (res.status === 202) {
    const code = await nextTotpCode(origin, login);
    if (!code) throw new Error(`${login} has a second factor the harness does not know`);
    const done = await apiCall(origin, 'POST', '/api/session/second-factor', { code }, cookie);
    if (done.status !== 200) throw new Error(`second step of ${login}: ${done.status} ${JSON.stringify(done.body)}`);
    return { cookie: (done.headers.get('set-cookie') ?? '').split(';')[0], member: done.body.member };
  }
  if (res.status !== 200) throw new Error(`sign-in of ${login} failed: ${res.status} ${JSON.stringify(body)}`);
  return { cookie, member: body.member };
}

/** Makes a member the quick way (apply, then an admin approves over HTTP). Answers their sign-in. */
export async function makeMember(server, adminCookie, handle, { role } = {}) {
  const applied = await apiCall(server.origin, 'POST', '/api/applications', {
    handle,
    email: `${handle.toLowerCase()}@example.org`,
    password: PASSWORD,
    date_of_birth: '1975-04-12',
    statement: 'My brother was arrested and I have nobody to talk to.',
    accept_rules: true,
  });
  if (applied.status !== 202) throw new Error(`apply ${handle}: ${applied.status} ${JSON.stringify(applied.body)}`);
  const list = await apiCall(server.origin, 'GET', '/api/admin/applications', undefined, adminCookie);
  const app = list.body.applications.find((a) => a.handle === handle);
  const ok = await apiCall(server.origin, 'POST', `/api/admin/applications/${app.id}/approve`, { confirm_adult: true }, adminCookie);
  if (ok.status !== 200) throw new Error(`approve ${handle}: ${ok.status} ${JSON.stringify(ok.body)}`);
  const session = await signInApi(server.origin, handle);
  if (role) {
    const r = await apiCall(server.origin, 'PATCH', `/api/admin/members/${session.member.id}`, { role }, adminCookie);
    if (r.status !== 200) throw new Error(`role ${handle}: ${r.status} ${JSON.stringify(r.body)}`);
    // Staff need a second factor (the default): the new moderator or admin enrols at once.
    return enrolStaff(server, await signInApi(server.origin, handle));
  }
  return session;
}

/** Approves every open queue item for `postIds` over HTTP. */
export async function approvePosts(server, adminCookie, postIds) {
  const q = await apiCall(server.origin, 'GET', '/api/mod/queue', undefined, adminCookie);
  for (const item of q.body.items.filter((i) => postIds.includes(i.post.id))) {
    const r = await apiCall(server.origin, 'POST', `/api/mod/queue/${item.id}/approve`, {}, adminCookie);
    if (r.status !== 200) throw new Error(`approve item: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

/** Gives a member 3 approved posts, so the new-member rules no longer hold what they write. */
export async function establish(server, adminCookie, memberCookie, threadId) {
  const ids = [];
  for (const body of ['Thank you for having me.', 'It helps to read this.', 'Good night, everyone.']) {
    const r = await apiCall(server.origin, 'POST', `/api/threads/${threadId}/posts`, { body }, memberCookie);
    if (r.status !== 201) throw new Error(`post: ${r.status} ${JSON.stringify(r.body)}`);
    ids.push(r.body.post.id);
  }
  await approvePosts(server, adminCookie, ids);
}

/** A browser context already signed in with `cookie` (from signInApi). */
export async function signedInContext(browser, server, cookie, options = {}) {
  const context = await newContext(browser, server, options);
  const [name, value] = cookie.split('=');
  await context.addCookies([{ name, value, url: server.origin, httpOnly: true, sameSite: 'Strict' }]);
  return context;
}

/**
 * Checks a screen with axe (no serious or critical violation) and for sideways scrolling, and
 * photographs it, at desktop and then phone width. Leaves the page at desktop width.
 */
export async function checkScreen(page, name, { settle } = {}) {
  const { strict: assert } = await import('node:assert');
  for (const size of [
    { width: 1280, height: 800 },
    { width: 360, height: 740 },
  ]) {
    await page.setViewportSize(size);
    if (settle) await settle();
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], `axe on ${name} at ${size.width}px:\n${violations.join('\n')}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at ${size.width}px`);
    await screenshot(page, name);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/**
 * A tiny SMTP sink on 127.0.0.1 (plain SMTP, no TLS, as `smtp://` asks of lettre): accepts
 * every message and keeps it, so a test can read the email the server sent. Resolves with
 * { url, messages, nextMessage(), close() }; each message is { to, data }.
 */
export async function startSmtpSink() {
  const messages = [];
  let taken = 0;
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let inData = false;
    let data = '';
    let to = [];
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 sink ready');
    socket.on('data', (chunk) => {
      buffer += chunk;
      let at;
      while ((at = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            const message = { to, data };
            messages.push(message);
            data = '';
            to = [];
            reply('250 kept');
          } else {
            data += `${line.startsWith('..') ? line.slice(1) : line}\n`;
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 sink');
        else if (verb === 'RCPT') {
          to.push(line.replace(/^RCPT TO:\s*/i, ''));
          reply('250 ok');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 go on');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('250 ok');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** The next message to arrive (or the first not yet taken, if one is already here). */
    async nextMessage(timeout = 10_000) {
      const until = Date.now() + timeout;
      while (messages.length <= taken) {
        if (Date.now() > until) throw new Error('no email arrived');
        await new Promise((r) => setTimeout(r, 50));
      }
      return messages[taken++];
    },
    close: () => new Promise((r) => server.close(r)),
  };
}
