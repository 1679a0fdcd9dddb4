// A citizen's wallet written with other people's code: @openid4vc/openid4vp resolves and checks a
// counter's OpenID4VP request (the request object fetched from request_uri, its JWT signature under the
// x5c leaf, the x509_hash client id), @owf/mdoc builds the ISO 18013-5 DeviceResponse with the device
// signature over the OpenID4VP session transcript, and the answer is posted back with direct_post.
// The reader certificate's chain to the trust bundle's reader root and its reader-authentication EKU
// are checked here with Node's crypto. Nothing of certlib or authd takes part on the wallet's side.
//
// usage: node oid4vp_wallet.mjs QR_TEXT LICENCE.cbor DEVICE_KEY.pem TRUST.json [MODE]
// MODE: "honest" (default) discloses what the request asks; "extra" adds an element it does not ask for;
// "stale-nonce" signs over another nonce; "request-only" checks the request and prints it, posting nothing.
// Prints one JSON line: {request: {...}, status, body}. Exits 0 when the wallet did what MODE says.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setGlobalConfig } from '@openid4vc/utils';
import { Openid4vpClient } from '@openid4vc/openid4vp';
import {
  CoseKey, DeviceRequest, DeviceResponse, DocRequest, IssuerSigned, ItemsRequest, SessionTranscript,
} from '@owf/mdoc';
import { mdocContext } from './mdoc_context.mjs';

const [qr, licencePath, keyPath, trustPath, mode = 'honest'] = process.argv.slice(2);
setGlobalConfig({ allowInsecureUrls: true }); // the test's authd is plain HTTP on loopback
const READER_AUTH_EKU = '1.0.18013.5.1.6';
const readerRoots = JSON.parse(readFileSync(trustPath, 'utf8')).reader_roots
  .map((r) => new crypto.X509Certificate(r.certificate));

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

// The reader certificate chains to a reader root, is in date and is for reader authentication. Node's
// X509Certificate has no extension reader, so the EKU is found in the DER: the OID's encoding under an
// extKeyUsage extension.
function checkReader(x5c) {
  const chain = x5c.map((c) => new crypto.X509Certificate(Buffer.from(c, 'base64')));
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) throw new Error('broken x5c chain');
  }
  const top = chain[chain.length - 1];
  if (!readerRoots.some((root) => top.checkIssued(root) && top.verify(root.publicKey))) {
    throw new Error('the reader certificate is not under a reader root of the trust bundle');
  }
  const now = new Date();
  for (const c of chain) if (now < new Date(c.validFrom) || now > new Date(c.validTo)) throw new Error('out of date');
  const ekuOid = Buffer.from([0x06, 0x07, 0x28, 0x81, 0x8c, 0x5d, 0x05, 0x01, 0x06]); // 1.0.18013.5.1.6
  if (!chain[0].raw.includes(ekuOid)) throw new Error(`the reader certificate lacks EKU ${READER_AUTH_EKU}`);
  return chain[0];
}

const callbacks = {
  fetch: (...args) => fetch(...args),
  hash: async (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest()),
  getX509CertificateMetadata: () => ({ sanDnsNames: [], sanUriNames: [] }),
  verifyJwt: async (signer, jwt) => {
    if (signer.method !== 'x5c' || signer.alg !== 'ES256') return { verified: false };
    const leaf = checkReader(signer.x5c);
    const [h, p, s] = jwt.compact.split('.');
    const verified = crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'));
    return { verified, signerJwk: leaf.publicKey.export({ format: 'jwk' }) };
  },
  signJwt: async () => { throw new Error('not used: direct_post'); },
  encryptJwe: async () => { throw new Error('not used: direct_post'); },
  decryptJwe: async () => { throw new Error('not used'); },
};

const client = new Openid4vpClient({ callbacks });
const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: qr });
const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params });
const request = resolved.authorizationRequestPayload;
const query = resolved.dcql.query;
const summary = {
  client_id: request.client_id, client_prefix: resolved.client.prefix, response_mode: request.response_mode,
  credentials: query.credentials.map((c) => ({ id: c.id, claims: c.claims.map((x) => x.path) })),
};
if (mode === 'request-only') {
  console.log(JSON.stringify({ request: summary }));
  process.exit(0);
}

// The licence answers the first credential query; the elements it discloses are the claims asked.
const issuerSigned = IssuerSigned.decode(new Uint8Array(readFileSync(licencePath)));
const wanted = query.credentials[0];
const namespaces = {};
for (const { path: [ns, element] } of wanted.claims) (namespaces[ns] ??= {})[element] = false;
if (mode === 'extra') namespaces[`cn.gov.elicence.${wanted.id}.1`].household_head = false;
const deviceRequest = DeviceRequest.create({
  docRequests: [DocRequest.create({ itemsRequest: ItemsRequest.create({ docType: 'cn.gov.elicence.1', namespaces }) })],
});
const sessionTranscript = await SessionTranscript.forOid4Vp({
  clientId: request.client_id,
  nonce: mode === 'stale-nonce' ? `${request.nonce}-old` : request.nonce,
  responseUri: request.response_uri,
}, mdocContext);
const jwk = crypto.createPrivateKey(readFileSync(keyPath)).export({ format: 'jwk' });
const deviceResponse = await DeviceResponse.createWithDeviceRequest({
  deviceRequest, sessionTranscript, issuerSigned: [issuerSigned], signature: { signingKey: CoseKey.fromJwk({ ...jwk, alg: 'ES256' }) },
}, mdocContext);

const { authorizationResponsePayload } = await client.createOpenid4vpAuthorizationResponse({
  authorizationRequestPayload: request,
  authorizationResponsePayload: { vp_token: { [wanted.id]: [deviceResponse.encodedForOid4Vp] } },
});
const { response } = await client.submitOpenid4vpAuthorizationResponse({
  authorizationRequestPayload: request, authorizationResponsePayload,
});
const body = await response.json().catch(() => null);
console.log(JSON.stringify({ request: summary, status: response.status, body, presentation: b64url(deviceResponse.encode()) }));
process.exit(0);
