// Verifies an IssuerSigned licence with @owf/mdoc (an independent ISO/IEC 18013-5 implementation,
// TypeScript, cbor-x), trusting only the given root certificate.
// usage: node verify_mdoc.mjs LICENCE.cbor ROOT.pem NOW_ISO8601
// Prints one line per check ("PASSED|FAILED category: check") and exits 0 only when none failed.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IssuerSigned } from '@owf/mdoc';
import { mdocContext, runChecks } from './mdoc_context.mjs';

const [licencePath, rootPath, nowText] = process.argv.slice(2);
const licence = new Uint8Array(readFileSync(licencePath));
const root = new crypto.X509Certificate(readFileSync(rootPath));

await runChecks((onCheck) => IssuerSigned.decode(licence).verify(
  { trustedCertificates: [new Uint8Array(root.raw)], now: new Date(nowText), verificationCallback: onCheck },
  mdocContext,
));
