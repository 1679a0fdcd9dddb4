// Drives the counter page in headless Chromium as a service hall would: sign in with the counter's
// token, read the challenge the page shows, have the holder's app (certctl present) answer it, type
// the answer into the scan field the way a scanner does (the text, then Enter) and read the verdict.
// Then the licence's own QR (a copy), a tampered answer and a replayed one. Prints one JSON line per step;
// exits non-zero on failure.
// usage: node counter_page.mjs URL TOKEN_FILE CERTCTL LICENCE DEVICE_KEY LICENCE_QR_TEXT_FILE
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [url, tokenFile, certctl, licence, deviceKey, licenceQr] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const fail = (msg) => { console.error(msg); process.exitCode = 1; };
try {
  const page = await browser.newPage();
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
  await page.goto(url + '/counter/');
  // Chinese must render as glyphs, not as the empty boxes a machine without a CJK font shows: a character
  // drawn in the page's font must differ from a code point no font has (drawn as the missing glyph).
  const boxes = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 64;
    const g = canvas.getContext('2d');
    const draw = (text) => {
      g.clearRect(0, 0, 64, 64);
      g.font = `40px ${getComputedStyle(document.body).fontFamily}`;
      g.fillText(text, 4, 48);
      return g.getImageData(0, 0, 64, 64).data.join(',');
    };
    return ['证', '办'].some((c) => draw(c) === draw('\u{10FFFD}'));
  });
  console.log(JSON.stringify({ step: 'cjk font', boxes }));
  if (boxes) fail('Chinese renders as empty boxes: no CJK font in the page\'s font stack');
  await page.fill('#token', readFileSync(tokenFile, 'utf8').trim());
  await page.click('#signin');
  await page.waitForSelector('#desk:not([hidden])');
  if (!(await page.$('#challenge-qr svg'))) fail('no challenge QR code');

  const present = (challenge) => execFileSync(certctl, ['present', '--licence', licence, '--device-key', deviceKey,
    '--challenge', challenge, '--keep', 'holder_name,household_head', '--qr']).toString().trim();
  const scan = async (text) => {
    const before = await page.textContent('#challenge-text');
    await page.focus('#scan');
    await page.keyboard.type(text, { delay: 0 });
    await page.keyboard.press('Enter');
    await page.waitForFunction((old) => document.getElementById('challenge-text').textContent !== old, before);
    return page.evaluate(() => {
      const v = document.getElementById('verdict');
      const n = document.getElementById('holder-note');
      return { verdict: v.dataset.verdict, reason: v.dataset.reason, text: v.textContent,
               note: n.hidden ? '' : n.textContent,
               colour: getComputedStyle(v).backgroundColor,
               checks: Array.from(document.querySelectorAll('#checks tr')).map((r) => r.innerText),
               elements: Array.from(document.querySelectorAll('#elements tr')).map((r) => r.innerText) };
    });
  };

  const answer = present(await page.textContent('#challenge-text'));
  const ok = await scan(answer);
  console.log(JSON.stringify({ step: 'valid', ...ok }));
  if (ok.verdict !== 'valid' || !ok.text.includes('有效') || ok.colour !== 'rgb(30, 142, 62)') fail('not shown valid');
  if (!ok.checks.some((c) => c.startsWith('holder') && c.includes('passed'))) fail('holder check not shown');
  if (!ok.elements.some((e) => e.includes('持证主体') && e.includes('张三'))) fail('elements not shown with labels');
  if (!ok.elements.some((e) => e.includes('户主姓名'))) fail("the type's own elements not shown with their labels");

  // the bound licence's own QR text (as issued, a screenshot of it, a forwarded copy): a copy, refused,
  // and the page says plainly what to do
  const copy = readFileSync(licenceQr, 'utf8').trim();
  const copied = await scan(copy);
  console.log(JSON.stringify({ step: 'copy', ...copied }));
  if (copied.verdict !== 'invalid' || copied.reason !== 'device_signature_missing') fail('a copy was not refused');
  if (!copied.note.includes('截图') || !copied.note.includes('screenshot')) fail('the page did not say why plainly');

  // a tampered answer: one Base45 character changed
  const fresh = present(await page.textContent('#challenge-text'));
  const at = 40;
  const tampered = fresh.slice(0, at) + (fresh[at] === 'A' ? 'B' : 'A') + fresh.slice(at + 1);
  const bad = await scan(tampered);
  console.log(JSON.stringify({ step: 'tampered', ...bad }));
  if (bad.verdict !== 'invalid' || bad.colour !== 'rgb(197, 34, 31)') fail('tampered answer not shown invalid');

  // the first answer again (a screenshot shown twice): it answers an old challenge
  const replayed = await scan(answer);
  console.log(JSON.stringify({ step: 'replayed', ...replayed }));
  if (replayed.verdict !== 'invalid' || replayed.reason !== 'challenge_nonce') fail('replay not refused');
  if (external.length) fail('external resources requested: ' + external.join(' '));
} finally {
  await browser.close();
}
