// Verifies an IssuerSigned licence with @owf/mdoc (an independent ISO/IEC 18013-5 implementation,
// TypeScript, cbor-x), trusting only the given root certificate. The crypto context it needs is built
// here from Node's own crypto, so nothing of certlib takes part in the verification.
// usage: node verify_mdoc.mjs LICENCE.cbor ROOT.pem NOW_ISO8601
// Prints one line per check ("PASSED|FAILED category: check") and exits 0 only when none failed.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IssuerSigned } from '@owf/mdoc';

const [licencePath, rootPath, nowText] = process.argv.slice(2);
const licence = new Uint8Array(readFileSync(licencePath));
const root = new crypto.X509Certificate(readFileSync(rootPath));
const now = new Date(nowText);

const nameField = (dn, field) =>
  dn.split('\n').filter((part) => part.startsWith(`${field}=`)).map((part) => part.slice(field.length + 1));

const context = {
  crypto: {
    digest: async ({ digestAlgorithm, bytes }) =>
      new Uint8Array(await crypto.webcrypto.subtle.digest(digestAlgorithm, bytes)),
    random: (length) => crypto.getRandomValues(new Uint8Array(length)),
  },
  cose: {
    sign1: {
      // ES256 (r‖s) or EdDSA (Ed25519 takes no separate hash)
      verify: async ({ sign1, key }) =>
        key.asymmetricKeyType === 'ed25519'
          ? crypto.verify(null, sign1.toBeSigned, key, sign1.signature)
          : crypto.verify('sha256', sign1.toBeSigned, { key, dsaEncoding: 'ieee-p1363' }, sign1.signature),
    },
  },
  x509: {
    getIssuerNameField: ({ certificate, field }) => nameField(new crypto.X509Certificate(certificate).issuer, field),
    getPublicKey: async ({ certificate }) => new crypto.X509Certificate(certificate).publicKey,
    verifyCertificateChain: async ({ trustedCertificates, x5chain, now: at }) => {
      const leaf = new crypto.X509Certificate(x5chain[0]);
      const anchors = trustedCertificates.map((der) => new crypto.X509Certificate(der));
      const anchor = anchors.find((a) => leaf.checkIssued(a) && leaf.verify(a.publicKey));
      if (!anchor) throw new Error('the signer certificate is not issued by a trusted root');
      for (const cert of [leaf, anchor]) {
        if (at < new Date(cert.validFrom) || at > new Date(cert.validTo)) throw new Error(`${cert.subject} is out of date`);
      }
    },
    getCertificateData: async ({ certificate }) => {
      const cert = new crypto.X509Certificate(certificate);
      return {
        issuerName: cert.issuer.replaceAll('\n', ', '),
        subjectName: cert.subject.replaceAll('\n', ', '),
        pem: cert.toString(),
        serialNumber: cert.serialNumber,
        thumbprint: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
        notBefore: new Date(cert.validFrom),
        notAfter: new Date(cert.validTo),
      };
    },
  },
};

let failed = 0;
const checks = [];
const onCheck = (c) => {
  checks.push(c);
  if (c.status === 'FAILED') failed++;
};
try {
  await IssuerSigned.decode(licence).verify(
    { trustedCertificates: [new Uint8Array(root.raw)], now, verificationCallback: onCheck },
    context,
  );
} catch (e) {
  failed++;
  console.log(`ERROR ${e.message}`);
}
for (const c of checks) console.log(`${c.status} ${c.category}: ${c.check}${c.status === 'FAILED' && c.reason ? ` (${c.reason})` : ''}`);
console.log(`${checks.length} checks, ${failed} failed`);
process.exit(failed === 0 && checks.length > 0 ? 0 : 1);
