// The 一证通办 desk: the clerk reads the holder's number (typed, or typed by an ID-card reader or scanner
// followed by Enter), picks the matter and the use cause, and gets every licence the matter needs,
// verified by authd, with the ones the holder lacks named plainly. Every answer carries authd's signed
// disclosure mark; the page lays it across each licence as a watermark and prints it with a QR code of
// its reference, so a copy can be traced to this counter and matter. "Next citizen" clears everything.
'use strict';

// certlib's identifier reasons (docs/identifiers.md), said as a clerk would say them.
const IDENT_REASONS = {
  ident_empty: '请输入号码',
  ident_encoding: '含有无法识别的字符',
  ident_length: '位数不对：身份证号码和统一社会信用代码都是18位',
  ident_charset: '有一位字符不合规（只能是数字，身份证最后一位可为X）',
  ident_checksum: '校验位不符：可能有一位输错，请核对',
  ident_region: '前六位地址码不存在，请核对',
  ident_date: '出生日期不是有效日期，请核对',
  ident_date_range: '出生日期超出范围，请核对',
  ident_category: '统一社会信用代码的登记管理部门或机构类别不合规',
  ident_org_code: '统一社会信用代码中的组织机构代码校验不符',
  ident_kind: '此类号码不能在此办理',
};
const ACCEPTED_KINDS = ['ric', 'hmt', 'foreign_pr', 'uscc'];

// What the clerk should do for each refusal of a lookup (problem codes, docs/openapi.yaml).
const LOOKUP_PROBLEMS = {
  invalid_holder_id: '证件号码无效，请核对。 / The holder number is not valid.',
  missing_use_cause: '请填写用途/事由。 / State the use cause.',
  identity_data_in_text: '用途/事由中不能填写证件号码。 / The use cause must not contain an identity number.',
  forbidden_matter: '本柜台不办理该事项。 / This counter does not serve that matter.',
  unknown_matter: '事项不存在。 / No such matter.',
  access_not_recorded: '访问未能记录，未返回任何数据，请稍后重试。 / The access could not be recorded, so nothing ' +
    'was released: try again shortly.',
  overloaded: '系统繁忙，请稍后重试。 / authd is busy: try again shortly.',
  too_many_requests: '查询过于频繁，请稍后重试。 / Too many requests: try again shortly.',
  forbidden_role: '此令牌不是柜台令牌。 / This token is not a counter\'s.',
};

const CHECK_NAMES = [
  ['signature', '签名有效 Signature'],
  ['signer', '签发机构可信 Trusted issuer'],
  ['status', '未吊销 Status'],
  ['logged', '签发已存证 Log receipt'],
  ['holder', '持证人手机签名 Holder\'s device'], // shown when the licence was presented (a wallet's answer)
];

let holderState = { valid: false, normalized: null };
let checkSeq = 0; // only the answer to the latest keystroke is shown

function matter() {
  return session.matters.find((m) => m.code === $('matter').value) || null;
}

function message(text, kind) {
  const m = $('desk-message');
  m.hidden = !text;
  m.textContent = text || '';
  m.className = 'message ' + (kind || '');
}

function fillMatters() {
  const select = $('matter');
  select.replaceChildren(el('option', null, '— 请选择事项 Choose the matter —'));
  select.firstChild.value = '';
  for (const m of session.matters) {
    const option = el('option', null, m.name + '（' + m.code + '）');
    option.value = m.code;
    select.appendChild(option);
  }
  matterChanged();
}

function matterChanged() {
  const m = matter();
  $('matter-needs').textContent = m ? '所需证照 Needs: ' + m.needs.map((n) => n.type_name).join('、') : '';
  const list = $('use-cause-options');
  list.replaceChildren();
  for (const cause of (m && m.use_causes) || []) {
    const option = document.createElement('option');
    option.value = cause;
    list.appendChild(option);
  }
}

// The live check, through authd (certlib's rules and region table, not a copy of them in the page).
async function checkHolder() {
  const seq = ++checkSeq;
  const text = $('holder').value.trim();
  const line = $('holder-check');
  holderState = { valid: false, normalized: null };
  if (!text) {
    line.textContent = '';
    line.className = 'check-line';
    return;
  }
  if (text.length < 18 && !/[^0-9Xx]/.test(text)) {
    line.textContent = '已输入 ' + text.length + ' / 18 位';
    line.className = 'check-line pending';
    return;
  }
  const { status, doc } = await api('POST', '/v1/ident/check', { numbers: [text] });
  if (seq !== checkSeq) return;
  const r = status === 200 && doc && doc.results ? doc.results[0] : null;
  if (!r) {
    line.textContent = '暂时无法校验 / cannot check now';
    line.className = 'check-line pending';
    return;
  }
  if (r.valid && !ACCEPTED_KINDS.includes(r.kind)) {
    line.textContent = '✗ ' + (r.kind === 'ric15' ? '15位旧号码：请使用18位身份证号码' : IDENT_REASONS.ident_kind);
    line.className = 'check-line invalid';
    return;
  }
  if (!r.valid) {
    line.textContent = '✗ ' + (IDENT_REASONS[r.reason] || r.reason) + ' (' + r.reason + ')';
    line.className = 'check-line invalid';
    line.dataset.reason = r.reason;
    return;
  }
  holderState = { valid: true, normalized: r.normalized };
  line.textContent = '✓ ' + r.kind_label + (r.region_name ? ' · ' + r.region_name : '') +
    (r.authority ? ' · ' + r.authority : '');
  line.className = 'check-line valid';
  delete line.dataset.reason;
}

function watermark(d) {
  const text = d.client + ' · ' + (d.matter || '') + ' · ' + formatTime(d.time) + ' · 访问记录 #' + d.log_index;
  const w = el('div', 'watermark');
  w.setAttribute('aria-hidden', 'true');
  for (let i = 0; i < 24; i++) w.appendChild(el('span', null, text));
  return w;
}

function licenceCard(l, d, m) {
  const card = el('article', 'licence');
  card.dataset.verdict = l.verdict || '';
  const head = el('header', 'licence-head');
  head.appendChild(el('h3', null, l.type_name || l.type));
  head.appendChild(el('span', 'badge ' + (l.verdict || 'invalid'),
    l.verdict === 'valid' ? '核验通过 VALID' : '核验未通过 ' + (l.verdict || '').toUpperCase() +
      (l.reason ? ' — ' + l.reason : '')));
  card.appendChild(head);

  const facts = el('dl', 'facts');
  const fact = (name, value) => { facts.appendChild(el('dt', null, name)); facts.appendChild(el('dd', null, value)); };
  fact('签发机构 Issuer', [l.issuer_name, l.issuer_code && '(' + l.issuer_code + ')'].filter(Boolean).join(' '));
  if (l.source) { // a peer province's, verified here against its signed trust list
    card.dataset.source = l.source;
    fact('来源 Source', '异地调取 · ' + l.source + ' (federated, verified against its trust list)');
  }
  fact('有效期 Validity', formatDate(l.valid_from) + ' 至 ' + formatDate(l.valid_until));
  fact('证照标识 Licence id', l.licence_id);
  card.appendChild(facts);

  const labels = {};
  for (const need of (m && m.needs) || []) for (const e of need.elements) labels[e.name] = e.label;
  const table = el('table', 'elements');
  for (const e of l.elements || []) {
    if (e.name === 'licence_id') continue;
    const tr = table.insertRow();
    tr.appendChild(el('th', null, e.label || e.name));
    tr.appendChild(el('td', null, e.value === null ? '' : String(e.value)));
  }
  for (const [name, value] of Object.entries(l.masked || {})) {
    const tr = table.insertRow();
    tr.appendChild(el('th', null, labels[name] || name));
    tr.appendChild(el('td', 'masked', value));
  }
  card.appendChild(table);

  const checks = el('ul', 'checks');
  for (const [name, label] of CHECK_NAMES) {
    if (name === 'holder' && !(l.checks && l.checks.holder)) continue;
    const c = (l.checks && l.checks[name]) || { state: 'unknown' };
    const mark = c.state === 'passed' ? '✓ ' : c.state === 'failed' ? '✗ ' : '– '; // not applicable, or unknown
    const li = el('li', 'check ' + c.state, mark + label +
      (c.reason ? ' (' + c.reason + ')' : ''));
    li.dataset.check = name;
    li.dataset.state = c.state;
    checks.appendChild(li);
  }
  card.appendChild(checks);
  card.appendChild(watermark(d));
  return card;
}

async function showMark(d) {
  $('mark-text').textContent = '本件由柜台 ' + d.client + ' 于 ' + formatTime(d.time) + ' 为「' + (matter() || {}).name +
    '」调取（用途：' + (d.use_cause || '') + '），访问记录 #' + d.log_index + '。复制件可凭此码溯源。 / Released to ' +
    d.client + ' for ' + d.matter + '; traceable by this code.';
  $('mark-reference').textContent = d.reference;
  const { status, doc } = await api('GET', '/v1/marks/' + encodeURIComponent(d.reference) + '/qr');
  if (status === 200 && typeof doc === 'string' && doc.startsWith('<svg')) $('mark-qr').innerHTML = doc; // authd's
}

// The peer provinces a federated lookup asked, each with how it went; returns those that could not be asked.
function showPeers(peers) {
  const unavailable = [];
  if (!peers.length) return unavailable;
  $('peers').hidden = false;
  $('peers').appendChild(el('h3', null, '异地查询 · Other provinces asked'));
  const ul = el('ul');
  for (const p of peers) {
    let text = p.name + '：';
    if (p.state === 'answered')
      text += '已查询，' + p.licences + ' 份' + (p.refused ? '，另有 ' + p.refused + ' 份未通过校验，已拒收' : '') +
        ' / answered';
    else if (p.state === 'unavailable') {
      text += '未能查询 — ' + p.detail + ' / unavailable';
      unavailable.push(p.name);
    } else
      text += '未查询 — ' + p.detail + ' / not asked';
    const li = el('li', 'peer peer-' + p.state, text);
    li.dataset.peer = p.name;
    li.dataset.state = p.state;
    ul.appendChild(li);
  }
  $('peers').appendChild(ul);
  return unavailable;
}

function clearResult() {
  $('result').hidden = true;
  $('result-head').textContent = '';
  $('licences').replaceChildren();
  $('missing').replaceChildren();
  $('missing').hidden = true;
  $('peers').replaceChildren();
  $('peers').hidden = true;
  $('mark-qr').replaceChildren();
  $('mark-text').textContent = '';
  $('mark-reference').textContent = '';
  $('print').disabled = true;
  message(null);
}

async function lookup() {
  clearResult();
  clearTimeout(checkTimer); // the field's own check would come later and undo this one
  await checkHolder();
  const m = matter(), cause = $('use-cause').value.trim();
  if (!holderState.valid) {
    message('请先输入有效的证件号码。 / Enter a valid holder number first.', 'error');
    $('holder').focus();
    return;
  }
  if (!m) {
    message('请选择办理事项。 / Choose the matter.', 'error');
    $('matter').focus();
    return;
  }
  if (!cause) {
    message('请填写用途/事由。 / State the use cause.', 'error');
    $('use-cause').focus();
    return;
  }
  message('查询中… / Looking up…', 'pending');
  const path = '/v1/holders/' + encodeURIComponent(holderState.normalized) + '/licences?matter=' +
    encodeURIComponent(m.code) + '&use_cause=' + encodeURIComponent(cause) + '&verify=true';
  const { status, doc } = await api('GET', path);
  if (status === 401) return; // signed out
  if (status !== 200 || !doc || !doc.disclosure) {
    const code = doc && doc.code;
    message(status === 0 ? '无法连接服务。 / authd cannot be reached.'
      : (LOOKUP_PROBLEMS[code] || '查询失败 / The lookup failed') + ' (' + (code || status) + ')', 'error');
    return;
  }
  const d = doc.disclosure;
  const name = doc.licences.length && (doc.licences[0].elements || []).find((e) => e.name === 'holder_name');
  $('result-head').textContent = (name ? name.value + ' · ' : '') + doc.holder_id + ' · ' + doc.matter.name +
    ' · 用途：' + doc.use_cause;
  for (const l of doc.licences) $('licences').appendChild(licenceCard(l, d, m));
  if (doc.missing.length) {
    $('missing').hidden = false;
    $('missing').appendChild(el('h3', null, '持证人没有以下证照 · Not held by this holder'));
    const ul = el('ul');
    for (const x of doc.missing) {
      const li = el('li', 'missing-type', x.type_name + ' — 请持证人另行提交或到发证部门办理 / ask for it otherwise');
      li.dataset.type = x.type;
      ul.appendChild(li);
    }
    $('missing').appendChild(ul);
  }
  const unavailable = showPeers(doc.peers || []), warnings = [];
  if (doc.licences.some((l) => l.verdict !== 'valid'))
    warnings.push('有证照未通过核验，请勿采用。 / A licence failed verification: do not rely on it.');
  if (unavailable.length) // never a silent "missing": the clerk learns where it may be held
    warnings.push('以下地区未能查询，缺少的证照可能由其签发：' + unavailable.join('、') +
      ' / Not reachable now: what is missing may be held there.');
  if (warnings.length)
    message(warnings.join(' '), 'error');
  else if (doc.licences.length === 0)
    message('未查到该事项所需的任何证照。 / The holder has none of the licences this matter needs.', 'empty');
  else
    message(null);
  $('result').hidden = false;
  $('print').disabled = false;
  await showMark(d);
}

function nextCitizen() {
  ++checkSeq;
  $('lookup-form').reset();
  holderState = { valid: false, normalized: null };
  $('holder-check').textContent = '';
  $('holder-check').className = 'check-line';
  delete $('holder-check').dataset.reason;
  matterChanged();
  clearResult();
  $('holder').focus();
}

let checkTimer = null;
$('holder').addEventListener('input', () => {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(checkHolder, 120);
});
// A reader or scanner types the number and Enter: go on to the matter (or look up, when all is there).
$('holder').addEventListener('keydown', async (event) => {
  if (event.key !== 'Enter') return;
  event.preventDefault();
  clearTimeout(checkTimer);
  await checkHolder();
  if (!holderState.valid) return;
  if (matter() && $('use-cause').value.trim()) lookup();
  else (matter() ? $('use-cause') : $('matter')).focus();
});
$('matter').addEventListener('change', matterChanged);
$('lookup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  lookup();
});
$('next').addEventListener('click', nextCitizen);
$('print').addEventListener('click', () => window.print());

session.onSignIn.push(async () => {
  fillMatters();
  nextCitizen();
});
session.onSignOut.push(() => {
  nextCitizen();
  session.matters = [];
  $('matter').replaceChildren();
});
