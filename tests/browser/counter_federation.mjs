// Drives 上海's 一证通办 desk at /counter/ in headless Chromium through a federated lookup: sign in, type the
// holder's number, pick the matter and a use cause, look up; reads each licence card's source and verdict
// and the "other provinces" list, and the desk's message. Saves a screenshot into SHOTS. Prints one JSON
// object; exits non-zero on a page error.
// usage: node counter_federation.mjs URL TOKEN_FILE HOLDER MATTER_NAME USE_CAUSE SHOTS
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [url, tokenFile, holder, matterName, useCause, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  page.on('pageerror', (e) => { console.error('FAIL: page error: ' + e.message); process.exitCode = 1; });
  await page.goto(url + '/counter/');
  await page.fill('#token', readFileSync(tokenFile, 'utf8').trim());
  await page.keyboard.press('Enter');
  await page.waitForSelector('#desk:not([hidden])');
  await page.fill('#holder', holder);
  // the matters arrive after sign-in: wait for this one before choosing it
  await page.waitForFunction((name) => [...document.querySelectorAll('#matter option')]
    .some((o) => o.textContent.includes(name)), matterName);
  const value = await page.$$eval('#matter option', (os, name) => {
    const o = os.find((x) => x.textContent.includes(name));
    return o && o.value;
  }, matterName);
  await page.selectOption('#matter', value);
  await page.fill('#use-cause', useCause);
  await page.click('#lookup');
  await page.waitForSelector('#result:not([hidden]), #desk-message.error:not([hidden])');
  if (await page.isHidden('#result')) // refused before any lookup: say why
    throw new Error('no result: ' + await page.textContent('#desk-message'));
  const cards = await page.$$eval('#licences article', (as) => as.map((a) => ({
    source: a.dataset.source || null, verdict: a.dataset.verdict, title: a.querySelector('h3').textContent,
  })));
  const peers = await page.$$eval('#peers li', (ls) => ls.map((l) => ({
    name: l.dataset.peer, state: l.dataset.state, text: l.textContent,
  })));
  const msg = await page.$eval('#desk-message', (m) => (m.hidden ? '' : m.textContent));
  await page.screenshot({ path: `${shots}/desk-federated.png`, fullPage: true });
  console.log(JSON.stringify({ cards, peers, message: msg, peersShown: await page.isVisible('#peers') }));
} finally {
  await browser.close();
}
