// Drives the 一证通办 desk at /counter/ in headless Chromium as a clerk would, keyboard only: sign in; type
// the holder's number with a typo and read the reason; correct it; Enter (as a reader does) moves on to the
// matter; pick the matter and a use cause; look up; read the licences, their checks, the missing one and
// the watermark; the print view; "next citizen" clears everything; then the empty, refused and 401 states.
// Saves a screenshot of each state into SHOTS. Prints one JSON line per step; exits non-zero on failure.
// usage: node counter_desk.mjs URL TOKEN_FILE HOLDER TYPO MATTER_NAME USE_CAUSE EMPTY_HOLDER SHOTS OTHER_TOKEN_FILE
// (OTHER_TOKEN_FILE: a client that is not a counter, refused at sign-in with 403)
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [url, tokenFile, holder, typo, matterName, useCause, emptyHolder, shots, otherTokenFile] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const fail = (msg) => { console.error('FAIL: ' + msg); process.exitCode = 1; };
const step = (name, facts) => console.log(JSON.stringify({ step: name, ...facts }));
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
  page.on('pageerror', (e) => fail('page error: ' + e.message));
  await page.goto(url + '/counter/');
  const historyAtStart = await page.evaluate(() => history.length);
  const shot = (name) => page.screenshot({ path: `${shots}/desk-${name}.png`, fullPage: true });
  const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);

  // a token of a client that is no counter: authd answers 403, the page says so and stays at sign-in
  await page.keyboard.type(readFileSync(otherTokenFile, 'utf8').trim());
  await page.keyboard.press('Enter');
  await page.waitForSelector('#login-error:not([hidden])');
  const refusedSignIn = await page.textContent('#login-error');
  step('403', { error: refusedSignIn, focus: await focused() });
  if (!refusedSignIn.includes('无柜台权限') || (await focused()) !== 'token') fail('403 at sign-in not shown');
  await shot('not-a-counter');

  // sign in with the keyboard: the token field has focus, Enter signs in, the holder field gets focus
  await page.keyboard.type(readFileSync(tokenFile, 'utf8').trim());
  await page.keyboard.press('Enter');
  await page.waitForSelector('#desk:not([hidden])');
  if ((await focused()) !== 'holder') fail('after sign-in the holder field should have focus');
  const matters = await page.$$eval('#matter option', (o) => o.map((x) => x.textContent));
  step('signed in', { matters });
  if (!matters.some((m) => m.includes(matterName))) fail('the matter is not offered');

  // a typo: the reason, in Chinese, as the clerk types
  await page.keyboard.type(typo, { delay: 5 });
  await page.waitForFunction(() => document.getElementById('holder-check').classList.contains('invalid'));
  const typoLine = await page.textContent('#holder-check');
  step('typo', { check: typoLine });
  if (!typoLine.includes('校验位不符')) fail('the typo\'s reason is not shown in Chinese');
  await shot('typo');

  // corrected, then Enter as a reader or scanner sends it: on to the matter
  await page.keyboard.press('Backspace');
  await page.keyboard.type(holder.slice(-1));
  await page.waitForFunction(() => document.getElementById('holder-check').classList.contains('valid'));
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement.id === 'matter');
  step('corrected', { check: await page.textContent('#holder-check') });

  // the matter by keyboard (type-ahead over the options is unreliable across builds; arrow keys are not)
  const index = matters.findIndex((m) => m.includes(matterName));
  for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab');
  if ((await focused()) !== 'use-cause') fail('Tab from the matter should reach the use cause');
  const picks = await page.$$eval('#use-cause-options option', (o) => o.map((x) => x.value));
  if (!picks.includes(useCause)) fail('the matter\'s pick list lacks the use cause: ' + picks.join(','));
  await page.keyboard.type(useCause);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#result:not([hidden]) #licences .licence');
  await page.waitForSelector('#mark-qr svg', { state: 'attached' });
  const result = await page.evaluate(() => ({
    head: document.getElementById('result-head').textContent,
    licences: Array.from(document.querySelectorAll('#licences .licence')).map((l) => ({
      title: l.querySelector('h3').textContent,
      verdict: l.dataset.verdict,
      text: l.innerText,
      checks: Array.from(l.querySelectorAll('.check')).map((c) => [c.dataset.check, c.dataset.state]),
      watermark: l.querySelector('.watermark') ? l.querySelector('.watermark').textContent : '',
    })),
    missing: Array.from(document.querySelectorAll('#missing .missing-type')).map((m) => m.textContent),
    reference: document.getElementById('mark-reference').textContent,
    mark: document.getElementById('mark-text').textContent,
  }));
  step('result', { head: result.head, titles: result.licences.map((l) => l.title), missing: result.missing,
                   reference: result.reference });
  if (result.licences.length !== 2) fail('expected two licences');
  for (const l of result.licences) {
    if (l.verdict !== 'valid') fail(l.title + ' not verified valid');
    for (const name of ['signature', 'signer', 'status', 'logged'])
      if (!l.checks.some(([n, s]) => n === name && s === 'passed')) fail(l.title + ': check ' + name + ' not passed');
    if (!l.watermark.includes('counter-hz') || !/#\d+/.test(l.watermark)) fail(l.title + ': no watermark');
    if (l.text.includes(holder)) fail('a masked counter sees the holder number in clear');
  }
  if (!result.licences.some((l) => l.text.includes('配偶姓名') && l.text.includes('李四'))) fail('labels of the type\'s elements missing');
  if (!result.missing.some((m) => m.includes('不动产权证书'))) fail('the missing licence is not named');
  if (!result.reference.startsWith('ELM1:')) fail('no mark reference');
  await shot('result');

  // the print view: A4, watermark over each licence, the mark's QR code and reference; no form
  await page.emulateMedia({ media: 'print' });
  const print = await page.evaluate(() => ({
    form: getComputedStyle(document.getElementById('lookup-form')).display,
    mark: getComputedStyle(document.getElementById('print-mark')).display,
    qr: !!document.querySelector('#mark-qr svg'),
    watermarks: Array.from(document.querySelectorAll('.licence .watermark'))
      .filter((w) => getComputedStyle(w).display !== 'none' && w.getBoundingClientRect().width > 0).length,
  }));
  step('print', print);
  if (print.form !== 'none' || print.mark === 'none' || !print.qr || print.watermarks !== 2) fail('print view wrong');
  await shot('print');
  await page.pdf({ path: `${shots}/desk-print.pdf`, format: 'A4' });
  await page.emulateMedia({ media: 'screen' });

  // next citizen: everything cleared, focus back on the holder field, no number left anywhere
  await page.focus('#next');
  await page.keyboard.press('Enter');
  const after = await page.evaluate((n) => ({
    focus: document.activeElement.id,
    holder: document.getElementById('holder').value,
    cause: document.getElementById('use-cause').value,
    licences: document.querySelectorAll('#licences .licence').length,
    inPage: document.documentElement.outerHTML.includes(n) ||
      document.documentElement.outerHTML.includes(n.slice(0, 6) + '********' + n.slice(-4)),
    storage: localStorage.length + sessionStorage.length,
    history: history.length,
    address: location.href,
  }), holder);
  step('next citizen', after);
  if (after.focus !== 'holder' || after.holder || after.cause || after.licences) fail('next citizen left data');
  if (after.inPage) fail('the holder number (or its masked form) is still in the page');
  if (after.storage || after.history !== historyAtStart || after.address !== url + '/counter/')
    fail('the number reached storage, history or the address');
  await shot('next');

  // a company's USCC is checked the same way: one character wrong, then right
  const uscc = '91330106MA2H12349J';
  await page.keyboard.type(uscc.slice(0, -1) + 'K');
  await page.waitForFunction(() => document.getElementById('holder-check').dataset.reason === 'ident_checksum');
  const usccTypo = await page.textContent('#holder-check');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(uscc.slice(-1));
  await page.waitForFunction(() => document.getElementById('holder-check').classList.contains('valid'));
  const usccOk = await page.textContent('#holder-check');
  step('uscc', { typo: usccTypo, ok: usccOk });
  if (!usccTypo.includes('校验位不符') || !usccOk.includes('统一社会信用代码')) fail('a USCC is not checked as typed');
  await page.focus('#next');
  await page.keyboard.press('Enter');

  // a holder with none of the licences: the empty state, all needs missing
  await page.keyboard.type(emptyHolder);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement.id === 'matter');
  for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab');
  await page.keyboard.type(useCause);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#desk-message.empty:not([hidden])');
  const empty = await page.evaluate(() => ({
    message: document.getElementById('desk-message').textContent,
    missing: document.querySelectorAll('#missing .missing-type').length,
  }));
  step('empty', empty);
    if (!empty.message.includes('未查到') || empty.missing !== 3) fail('empty state wrong');
  await shot('empty');

  // a number put in the field and 查询 clicked at once, inside the field's own 120 ms check delay, with
  // the check answering slowly (300 ms): the lookup's check is the one that counts, not a later one
  const slow = (route) => setTimeout(() => route.continue(), 300);
  await page.route('**/v1/ident/check', slow);
  await page.fill('#holder', holder);
  await page.click('#lookup');
  await page.waitForSelector('#result:not([hidden]), #desk-message.error:not([hidden])');
  const quick = await page.evaluate(() => ({
    result: !document.getElementById('result').hidden,
    message: document.getElementById('desk-message').textContent,
  }));
  await page.unroute('**/v1/ident/check', slow);
  step('quick', quick);
  if (!quick.result) fail('a number looked up at once was refused: ' + quick.message);


  // a use cause holding an identity number: refused by authd, said plainly
  await page.fill('#use-cause', '为' + holder + '办理');
  await page.focus('#use-cause');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#desk-message.error:not([hidden])');
  const refused = await page.textContent('#desk-message');
  step('refused', { message: refused });
  if (!refused.includes('不能填写证件号码') || !refused.includes('identity_data_in_text')) fail('refusal not shown');
  await shot('refused');

  // the session ends (a token authd no longer accepts): back to sign-in, said plainly, nothing left
  await page.evaluate(() => { session.token = 'expired-token'; });
  await page.fill('#use-cause', useCause);
  await page.focus('#use-cause');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#login:not([hidden])');
  const out = await page.evaluate(() => ({
    error: document.getElementById('login-error').textContent,
    desk: document.getElementById('desk').hidden,
    focus: document.activeElement.id,
    holder: document.getElementById('holder').value,
  }));
  step('401', out);
  if (!out.error.includes('登录已失效') || !out.desk || out.focus !== 'token' || out.holder) fail('401 state wrong');
  await shot('signed-out');
  if (external.length) fail('external resources requested: ' + external.join(' '));
} finally {
  await browser.close();
}
