// The counter's verification page: sign in with the counter's token, show a challenge QR code for the
// holder's app, take the scanner's input (it types the QR text, then Enter) and show authd's verdict.
// Everything that comes from a scan or a licence is written with textContent, never as HTML.
'use strict';
let token = null;
let challenge = null;
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let doc = null;
  try { doc = await response.json(); } catch (e) { doc = null; }
  return { status: response.status, doc };
}

async function newChallenge() {
  const { status, doc } = await api('POST', '/v1/challenges', {});
  if (status !== 201) return false;
  challenge = doc.challenge;
  $('challenge-text').textContent = challenge;
  $('challenge-qr').innerHTML = doc.qr_svg; // drawn by authd from the challenge it made
  return true;
}

function row(table, cells) {
  const tr = table.insertRow();
  for (const [text, cls] of cells) {
    const td = tr.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
  }
}

function render(status, doc) {
  const v = $('verdict');
  v.hidden = false;
  $('checks').replaceChildren();
  $('elements').replaceChildren();
  if (status !== 200 || !doc || !doc.verdict) {
    v.className = 'verdict invalid';
    v.dataset.verdict = 'invalid';
    v.dataset.reason = (doc && doc.code) || String(status);
    v.textContent = '无效 INVALID — ' + v.dataset.reason;
    return;
  }
  const names = { valid: '有效 VALID', invalid: '无效 INVALID', indeterminate: '待定 INDETERMINATE' };
  v.className = 'verdict ' + doc.verdict;
  v.dataset.verdict = doc.verdict;
  v.dataset.reason = doc.reason || '';
  v.textContent = (names[doc.verdict] || doc.verdict) + (doc.reason ? ' — ' + doc.reason : '');
  for (const [name, check] of Object.entries(doc.checks || {}))
    row($('checks'), [[name], [check.state, check.state], [check.reason || '']]);
  for (const e of doc.elements || [])
    row($('elements'), [[e.label || e.identifier], [e.value === null ? '' : String(e.value)]]);
}

$('signin').addEventListener('click', async () => {
  token = $('token').value.trim();
  if (await newChallenge()) {
    $('login').hidden = true;
    $('desk').hidden = false;
    $('scan').focus();
  } else {
    $('login-error').hidden = false;
    $('login-error').textContent = '令牌无效或无柜台权限 / not a counter token';
  }
});

$('new-challenge').addEventListener('click', async () => {
  await newChallenge();
  $('scan').focus();
});

$('scan').addEventListener('keydown', async (event) => {
  if (event.key !== 'Enter') return;
  const text = $('scan').value.trim();
  $('scan').value = '';
  if (!text) return;
  const { status, doc } = await api('POST', '/v1/verify', { qr: text, challenge });
  render(status, doc);
  await newChallenge(); // a challenge is answered once: the next holder gets a fresh one
  $('scan').focus();
});
