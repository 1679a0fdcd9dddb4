// A counter's verifier written with other people's code: @openid4vc/openid4vp's verifier side makes the
// OpenID4VP request (a JAR signed ES256 with the counter's reader key, x5c, client id x509_hash, direct_post,
// a DCQL query), served on loopback with Node's http server; the answer it receives is validated by
// @openid4vc/openid4vp and every presentation in it verified by @owf/mdoc (the issuer's signature under the
// given root, the digests, the device signature over the OpenID4VP session transcript).
//
// usage: node oid4vp_verifier.mjs READER_KEY.pem READER_CERT.pem ROOT.pem CLAIMS_JSON
// Prints the request's openid4vp:// URI on the first line, then, once answered, one JSON line
// {status, credentials: {id: {checks, failed}}} and exits 0 when every presentation verified.
import crypto from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { setGlobalConfig } from '@openid4vc/utils';
import { Openid4vpVerifier } from '@openid4vc/openid4vp';
import { DeviceResponse, SessionTranscript } from '@owf/mdoc';
import { mdocContext } from './mdoc_context.mjs';

const [keyPath, certPath, rootPath, claimsJson] = process.argv.slice(2);
setGlobalConfig({ allowInsecureUrls: true }); // loopback, plain HTTP
const b64u = (b) => Buffer.from(b).toString('base64url');
const leaf = new crypto.X509Certificate(readFileSync(certPath));
const key = crypto.createPrivateKey(readFileSync(keyPath));
const root = new crypto.X509Certificate(readFileSync(rootPath));
const clientId = `x509_hash:${b64u(crypto.createHash('sha256').update(leaf.raw).digest())}`;

const verifier = new Openid4vpVerifier({
  callbacks: {
    signJwt: async (signer, { header, payload }) => {
      const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
      const sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
      return { jwt: `${input}.${b64u(sig)}`, signerJwk: leaf.publicKey.export({ format: 'jwk' }) };
    },
    hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest()),
    generateRandom: (n) => new Uint8Array(crypto.randomBytes(n)),
    encryptJwe: async () => { throw new Error('not used'); },
    decryptJwe: async () => { throw new Error('not used'); },
    verifyJwt: async () => ({ verified: false }),
    fetch: (...args) => fetch(...args),
  },
});

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const nonce = b64u(crypto.randomBytes(16));
const authorizationRequestPayload = {
  response_type: 'vp_token',
  client_id: clientId,
  response_mode: 'direct_post',
  response_uri: `${base}/response`,
  nonce,
  state: 'state-1',
  dcql_query: {
    credentials: [{
      id: 'hukou', format: 'mso_mdoc', meta: { doctype_value: 'cn.gov.elicence.1' }, claims: JSON.parse(claimsJson),
    }],
  },
};
const created = await verifier.createOpenId4vpAuthorizationRequest({
  authorizationRequestPayload,
  jar: {
    requestUri: `${base}/request`,
    jwtSigner: { method: 'x5c', alg: 'ES256', x5c: [leaf.raw.toString('base64')] },
    expiresInSeconds: 300, // without it the library writes "exp": null, which the wallet refuses
  },
});
console.log(created.authorizationRequest);

const answered = new Promise((resolve) => {
  server.on('request', (req, res) => {
    if (req.method === 'GET' && req.url === '/request') {
      res.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' });
      res.end(created.jar.authorizationRequestJwt);
      return;
    }
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      const out = { status: 200, credentials: {} };
      try {
        const validated = verifier.validateOpenid4vpAuthorizationResponsePayload({
          authorizationRequestPayload,
          authorizationResponsePayload: { vp_token: JSON.parse(form.vp_token), state: form.state },
        });
        const transcript = await SessionTranscript.forOid4Vp(
          { clientId, nonce, responseUri: authorizationRequestPayload.response_uri }, mdocContext);
        for (const [id, presentations] of Object.entries(validated.dcql.presentations)) {
          const checks = [];
          let failed = 0;
          try {
            await DeviceResponse.fromEncodedForOid4Vp(presentations[0]).verify({
              sessionTranscript: transcript, trustedCertificates: [new Uint8Array(root.raw)], now: new Date(),
              onCheck: (c) => { checks.push(`${c.status} ${c.check}`); if (c.status === 'FAILED') failed++; },
            }, mdocContext);
          } catch (e) {
            failed++;
            checks.push(`ERROR ${e.message}`);
          }
          out.credentials[id] = { checks: checks.length, failed, failures: checks.filter((c) => !c.startsWith('PASSED')) };
        }
      } catch (e) {
        out.status = 400;
        out.error = e.message;
      }
      res.writeHead(out.status, { 'content-type': 'application/json' });
      res.end(out.status === 200 ? '{}' : JSON.stringify({ error: 'invalid_request' }));
      resolve(out);
    });
  });
});
const out = await answered;
console.log(JSON.stringify(out));
server.close();
const ok = out.status === 200 && Object.values(out.credentials).length > 0 &&
  Object.values(out.credentials).every((c) => c.failed === 0 && c.checks > 0);
process.exit(ok ? 0 : 1);
