// Drives the desk at /counter/ in headless Chromium for a citizen who presents from their own wallet
// (OpenID4VP): sign in, pick the matter and the use cause, "Ask the wallet"; the page shows the request's
// QR code; a standard wallet (WALLET: tests/interop/oid4vp_wallet.mjs, built on @openid4vc/openid4vp and
// @owf/mdoc) scans it, that is, is given the QR's text, and answers; the page shows the verified licence
// with its watermark and mark. Then a wallet that discloses more than asked: the page says it was refused.
// Prints one JSON line per step; exits non-zero on failure.
// usage: node counter_wallet.mjs URL TOKEN_FILE MATTER_NAME USE_CAUSE WALLET LICENCE DEVICE_KEY TRUST SHOTS
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [url, tokenFile, matterName, useCause, walletScript, licence, deviceKey, trust, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const fail = (msg) => { console.error('FAIL: ' + msg); process.exitCode = 1; };
const step = (name, facts) => console.log(JSON.stringify({ step: name, ...facts }));
const runWallet = (qr, mode) =>
  JSON.parse(execFileSync('node', [walletScript, qr, licence, deviceKey, trust, mode], { timeout: 60000 }).toString());
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  page.on('pageerror', (e) => fail('page error: ' + e.message));
  await page.goto(url + '/counter/');
  await page.keyboard.type(readFileSync(tokenFile, 'utf8').trim());
  await page.keyboard.press('Enter');
  await page.waitForSelector('#desk:not([hidden])');
  const matters = await page.$$eval('#matter option', (o) => o.map((x) => [x.value, x.textContent]));
  const [code] = matters.find(([, text]) => text.includes(matterName)) || [];
  if (!code) fail('the matter is not offered');

  // the wallet asked before the matter is chosen: said plainly, nothing sent
  await page.click('#wallet-request');
  await page.waitForSelector('#desk-message.error:not([hidden])');
  step('no matter', { message: await page.textContent('#desk-message') });

  const ask = async () => {
    await page.selectOption('#matter', code);
    await page.fill('#use-cause', useCause);
    await page.click('#wallet-request');
    await page.waitForSelector('#wallet-qr svg');
    return page.getAttribute('#wallet-qr', 'data-qr');
  };
  const qr = await ask();
  step('request shown', { qr, state: await page.textContent('#wallet-state') });
  if (!qr.startsWith('openid4vp://') || qr.length > 300) fail('not an openid4vp QR of at most 300 characters');
  await page.screenshot({ path: `${shots}/wallet-request.png`, fullPage: true });

  const answer = runWallet(qr, 'honest');
  if (answer.status !== 200) fail('the wallet\'s answer was refused: ' + JSON.stringify(answer.body));
  await page.waitForSelector('#result:not([hidden]) #licences .licence');
  await page.waitForSelector('#mark-qr svg', { state: 'attached' });
  const shown = await page.evaluate(() => ({
    state: document.getElementById('wallet-state').dataset.state,
    head: document.getElementById('result-head').textContent,
    licences: Array.from(document.querySelectorAll('#licences .licence')).map((l) => ({
      verdict: l.dataset.verdict, text: l.innerText,
      holder: (l.querySelector('[data-check=holder]') || { dataset: {} }).dataset.state,
      watermark: l.querySelector('.watermark') ? l.querySelector('.watermark').textContent : '',
    })),
    qrGone: document.querySelectorAll('#wallet-qr svg').length === 0,
    reference: document.getElementById('mark-reference').textContent,
  }));
  step('answered', { state: shown.state, head: shown.head, reference: shown.reference });
  if (shown.state !== 'valid' || !shown.qrGone) fail('the page does not show the answer as verified');
  if (shown.licences.length !== 1 || shown.licences[0].verdict !== 'valid') fail('expected one verified licence');
  if (shown.licences[0].holder !== 'passed') fail('the holder\'s device signature is not shown as checked');
  if (!shown.licences[0].text.includes('户号') || !shown.licences[0].watermark.includes('counter-hz'))
    fail('the licence\'s elements or watermark are missing');
  if (!shown.reference.startsWith('ELM1:')) fail('no mark reference');
  await page.screenshot({ path: `${shots}/wallet-answered.png`, fullPage: true });

  // a wallet disclosing more than the matter needs: refused, and the page says why
  const second = await ask();
  if (second === qr) fail('a request is answered once: the page must show a new one');
  const refused = runWallet(second, 'extra');
  if (refused.status !== 400) fail('an answer beyond the request was accepted');
  await page.waitForFunction(() => document.getElementById('wallet-state').dataset.state === 'invalid');
  const said = await page.textContent('#wallet-state');
  step('refused', { state: said, message: await page.textContent('#desk-message') });
  if (!said.includes('不需要的信息')) fail('the refusal is not said plainly');

  // next citizen: the request and its result are gone
  await page.click('#next');
  const after = await page.evaluate(() => ({
    qr: document.querySelectorAll('#wallet-qr svg').length, state: document.getElementById('wallet-state').textContent,
    licences: document.querySelectorAll('#licences .licence').length,
  }));
  step('next citizen', after);
  if (after.qr || after.state || after.licences) fail('next citizen left the wallet\'s request or answer');
} finally {
  await browser.close();
}
