// The counter's session: sign in with the counter's token, call authd with it, and go back to the sign-in
// form when authd no longer accepts it. The token lives in this page's memory only: never in storage,
// cookies or the address. Everything from authd or a scan is written with textContent, never as HTML
// (the two QR codes, SVG drawn by authd from text it made or checked itself, excepted).
'use strict';
const $ = (id) => document.getElementById(id);
const session = { token: null, counter: null, matters: [], onSignIn: [], onSignOut: [] };

// One call to authd: { status, doc }; status 0 when authd cannot be reached.
async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      cache: 'no-store',
      headers: { authorization: 'Bearer ' + session.token, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    return { status: 0, doc: null };
  }
  if (response.status === 401) signOut('登录已失效，请重新登录。 / The session has ended: sign in again.');
  const type = response.headers.get('content-type') || '';
  let doc = null;
  try { doc = type.includes('json') ? await response.json() : await response.text(); } catch (e) { doc = null; }
  return { status: response.status, doc };
}

function signOut(why) {
  session.token = null;
  for (const hook of session.onSignOut) hook();
  $('desk').hidden = true;
  $('counter-id').hidden = true;
  $('login').hidden = false;
  $('token').value = '';
  $('login-error').hidden = !why;
  $('login-error').textContent = why || '';
  $('token').focus();
}

$('signin').addEventListener('click', async () => {
  session.token = $('token').value.trim();
  $('token').value = '';
  const { status, doc } = await api('GET', '/v1/matters');
  if (status !== 200 || !doc || !Array.isArray(doc.matters)) {
    session.token = null;
    $('login-error').hidden = false;
    $('login-error').textContent = status === 0 ? '无法连接服务 / authd cannot be reached'
      : status === 403 ? '此令牌无柜台权限（403）/ This client is not a counter'
        : status === 401 ? '令牌无效（401）/ The token is not valid'
          : '登录失败 / Sign-in failed (' + status + ')';
    $('token').focus();
    return;
  }
  session.counter = doc.counter;
  session.matters = doc.matters;
  for (const hook of session.onSignIn) await hook();
  $('login').hidden = true;
  $('login-error').hidden = true;
  $('desk').hidden = false;
  $('counter-id').hidden = false;
  $('counter-id').textContent = '柜台 Counter: ' + doc.counter;
  $('holder').focus();
});

$('token').addEventListener('keydown', (event) => {
  if (event.key === 'Enter') $('signin').click();
});

// Times as the hall reads them (China Standard Time).
const hallTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  hour12: false,
});
const hallDate = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
});
function formatTime(iso) { return iso ? hallTime.format(new Date(iso)) : ''; }
function formatDate(iso) {
  if (!iso) return '';
  return iso.startsWith('9999-') ? '长期' : hallDate.format(new Date(iso));
}

// Creates an element with a class and text.
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}
