// Verifying what a holder's app presents: show a challenge QR code for the app, take the scanner's input
// (it types the QR text, then Enter) and show authd's verdict.
'use strict';
let challenge = null;

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

// What the clerk must do, said plainly, for the outcomes that turn on who is showing the licence.
const HOLDER_NOTES = {
  device_signature_missing: '此电子证照绑定持证人手机，须由持证人用手机应用扫描本页挑战码出示；签发二维码、截图或转发的副本' +
    '不能证明出示人就是持证人。 / This licence is bound to the holder\'s phone: the holder must present it from ' +
    'the app by scanning this page\'s challenge. Its issuance QR, a screenshot or a forwarded copy proves nothing ' +
    'about who shows it.',
  not_holder_bound: '本柜台只受理绑定持证人手机的电子证照。 / This counter accepts only licences bound to the ' +
    'holder\'s phone.',
  challenge_nonce: '这是对另一个挑战的答复：可能是截图或旧答复。请持证人重新扫描本页挑战码。 / An answer to another ' +
    'challenge (a screenshot, or an old answer): ask the holder to scan this page\'s challenge again.',
  challenge_replayed: '此答复已使用过：可能是截图。请持证人重新扫描本页挑战码。 / This answer was used before ' +
    '(a screenshot?): ask the holder to scan this page\'s challenge again.',
  challenge_expired: '挑战已过期，请持证人重新扫描本页挑战码。 / The challenge expired: ask the holder to scan again.',
  device_signature_invalid: '设备签名不符：出示的手机不是证照绑定的手机。 / The device signature does not match: ' +
    'this is not the phone the licence is bound to.',
};
const UNBOUND_NOTE = '此电子证照未绑定持证人手机：请当面核对持证人身份证件。 / This licence is not bound to a ' +
  'phone: check the holder\'s identity document in person.';

function note(text) {
  const n = $('holder-note');
  n.hidden = !text;
  n.textContent = text || '';
}

function render(status, doc) {
  clearVerdict();
  const v = $('verdict');
  v.hidden = false;
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
  const holder = (doc.checks && doc.checks.holder) || {};
  if (holder.state === 'failed') note(HOLDER_NOTES[holder.reason] || null);
  else if (doc.verdict === 'valid' && doc.holder_bound === false) note(UNBOUND_NOTE);
  for (const [name, check] of Object.entries(doc.checks || {}))
    row($('checks'), [[name], [check.state, check.state], [check.reason || '']]);
  for (const e of doc.elements || [])
    row($('elements'), [[e.label || e.identifier], [e.value === null ? '' : String(e.value)]]);
}

function clearVerdict() {
  $('verdict').hidden = true;
  $('checks').replaceChildren();
  $('elements').replaceChildren();
  note(null);
}

session.onSignIn.push(newChallenge);
session.onSignOut.push(() => {
  clearVerdict();
  challenge = null;
  $('challenge-text').textContent = '';
  $('challenge-qr').replaceChildren();
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
