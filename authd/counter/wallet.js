// Presentation from the citizen's own wallet (OpenID4VP): ask authd for a request for the chosen matter
// and use cause, show its QR code for the wallet to scan, and show the verified licences once the wallet
// has answered (authd releases them as it releases a lookup: recorded first, with the disclosure mark).
'use strict';
let wallet = null; // the request being waited for: { id, timer, matter }

// Why an answer was refused, said as a clerk would say it.
const WALLET_REASONS = {
  declined: '持证人在钱包中拒绝出示。 / The holder declined in the wallet.',
  beyond_request: '钱包出示了本事项不需要的信息，已拒收。 / The wallet disclosed more than the matter needs: refused.',
  device_signature_invalid: '设备签名不符：不是证照绑定的手机，或答复的不是本次请求。 / The device signature does not match: ' +
    'not the phone the licence is bound to, or an answer to another request.',
  wrong_licence_type: '出示的证照类型不是本事项所需。 / A licence of another type was presented.',
  holders_differ: '出示的证照不属于同一持证人。 / The licences belong to different holders.',
};

function walletState(text, state) {
  const s = $('wallet-state');
  s.textContent = text || '';
  s.dataset.state = state || '';
}

function stopWallet() {
  if (wallet) clearTimeout(wallet.timer);
  wallet = null;
  $('wallet-qr').replaceChildren();
  walletState('');
}

// certlib's result for one presented licence, as the desk's licence card reads a lookup's.
function walletCard(l, m) {
  const need = ((m && m.needs) || []).find((n) => n.type === l.licence_type);
  return {
    type_name: need ? need.type_name : l.licence_type, verdict: l.verdict, reason: l.reason,
    issuer_name: l.signer, issuer_code: l.issuer_code, valid_from: l.valid_from, valid_until: l.valid_until,
    licence_id: l.licence_id, checks: l.checks,
    elements: (l.elements || []).map((e) => ({ name: e.identifier, label: e.label, value: e.value })),
  };
}

async function showAnswer(doc, m) {
  const d = doc.disclosure;
  $('result-head').textContent = '钱包出示 Wallet · ' + doc.matter.name + ' · 用途：' + doc.use_cause;
  for (const l of doc.licences) $('licences').appendChild(licenceCard(walletCard(l, m), d, m));
  if (doc.missing.length) {
    $('missing').hidden = false;
    $('missing').appendChild(el('h3', null, '钱包未出示以下证照 · Not presented'));
    const ul = el('ul');
    for (const x of doc.missing) {
      const li = el('li', 'missing-type', x.type_name);
      li.dataset.type = x.type;
      ul.appendChild(li);
    }
    $('missing').appendChild(ul);
  }
  if (doc.verdict === 'valid') {
    walletState('✓ 持证人已出示，核验通过 / Presented and verified', 'valid');
  } else {
    walletState('✗ ' + (WALLET_REASONS[doc.reason] || doc.reason), 'invalid');
    message('钱包出示未通过核验，请勿采用。 / The wallet\'s answer failed verification: do not rely on it.', 'error');
  }
  $('result').hidden = false;
  $('print').disabled = doc.licences.length === 0;
  if (doc.licences.length) await showMark(d);
}

async function poll() {
  if (!wallet) return;
  const mine = wallet;
  const { status, doc } = await api('GET', '/v1/presentation-requests/' + encodeURIComponent(mine.id));
  if (wallet !== mine) return; // cleared or replaced meanwhile
  if (status === 200 && doc && doc.state === 'answered') {
    $('wallet-qr').replaceChildren();
    wallet = null;
    await showAnswer(doc, mine.matter);
    return;
  }
  if (status === 200 && doc && doc.state === 'expired') {
    stopWallet();
    walletState('请求已过期，请重新请求。 / The request expired: ask again.', 'expired');
    return;
  }
  mine.timer = setTimeout(poll, 1000);
}

async function askWallet() {
  stopWallet();
  clearResult();
  const m = matter(), cause = $('use-cause').value.trim();
  if (!m || !cause) {
    message('请选择办理事项并填写用途/事由。 / Choose the matter and state the use cause.', 'error');
    (m ? $('use-cause') : $('matter')).focus();
    return;
  }
  const { status, doc } = await api('POST', '/v1/presentation-requests',
    { matter: m.code, use_cause: cause, qr_svg: true });
  if (status === 401) return;
  if (status !== 201 || !doc || !doc.id) {
    const code = doc && doc.code;
    message(code === 'no_reader_key' ? '本柜台未配置读取方密钥，不能向钱包请求。 / This counter has no reader key.'
      : (LOOKUP_PROBLEMS[code] || '请求失败 / The request failed') + ' (' + (code || status) + ')', 'error');
    return;
  }
  $('wallet-qr').innerHTML = doc.qr_svg; // drawn by authd from the request URI it made
  $('wallet-qr').dataset.qr = doc.qr;
  walletState('请持证人用钱包扫描此码… / Ask the holder to scan this code with their wallet…', 'pending');
  wallet = { id: doc.id, matter: m, timer: setTimeout(poll, 1000) };
}

$('wallet-request').addEventListener('click', askWallet);
$('next').addEventListener('click', stopWallet);
session.onSignOut.push(stopWallet);
