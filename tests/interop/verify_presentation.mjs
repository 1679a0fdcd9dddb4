// Verifies a DeviceResponse with @owf/mdoc against an OpenID4VP session (OpenID4VP 1.0 Appendix
// B.2.6.1: client id, nonce, response URI), trusting only the given root certificate: the issuer's
// signature and digests and the device signature over that session's transcript.
// usage: node verify_presentation.mjs PRESENTATION.cbor ROOT.pem CLIENT_ID NONCE RESPONSE_URI NOW_ISO8601
// Prints one line per check and exits 0 only when none failed.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DeviceResponse, SessionTranscript } from '@owf/mdoc';
import { mdocContext, runChecks } from './mdoc_context.mjs';

const [path, rootPath, clientId, nonce, responseUri, nowText] = process.argv.slice(2);
const root = new crypto.X509Certificate(readFileSync(rootPath));
const sessionTranscript = await SessionTranscript.forOid4Vp({ clientId, nonce, responseUri }, mdocContext);

await runChecks((onCheck) => DeviceResponse.decode(new Uint8Array(readFileSync(path))).verify(
  { sessionTranscript, trustedCertificates: [new Uint8Array(root.raw)], now: new Date(nowText), onCheck },
  mdocContext,
));
