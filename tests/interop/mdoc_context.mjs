// The crypto context @owf/mdoc needs, built from Node's own crypto, so nothing of certlib takes part in
// what the interop scripts check. Shared by verify_mdoc.mjs, verify_presentation.mjs and oid4vp_wallet.mjs.
import crypto from 'node:crypto';
import { CoseKey } from '@owf/mdoc';

const nameField = (dn, field) =>
  dn.split('\n').filter((part) => part.startsWith(`${field}=`)).map((part) => part.slice(field.length + 1));

// A key @owf/mdoc hands over: a Node KeyObject (from a certificate) or a COSE_Key (a device key).
const nodeKey = (key, kind) =>
  key instanceof CoseKey
    ? (kind === 'private' ? crypto.createPrivateKey : crypto.createPublicKey)({ key: key.jwk, format: 'jwk' })
    : key;

export const mdocContext = {
  crypto: {
    digest: async ({ digestAlgorithm, bytes }) =>
      new Uint8Array(await crypto.webcrypto.subtle.digest(digestAlgorithm, bytes)),
    random: (length) => crypto.getRandomValues(new Uint8Array(length)),
  },
  cose: {
    sign1: {
      // ES256 (r‖s) or EdDSA (Ed25519 takes no separate hash)
      sign: async ({ toBeSigned, key }) => {
        const k = nodeKey(key, 'private');
        return new Uint8Array(k.asymmetricKeyType === 'ed25519'
          ? crypto.sign(null, toBeSigned, k)
          : crypto.sign('sha256', toBeSigned, { key: k, dsaEncoding: 'ieee-p1363' }));
      },
      verify: async ({ sign1, key }) => {
        const k = nodeKey(key, 'public');
        return k.asymmetricKeyType === 'ed25519'
          ? crypto.verify(null, sign1.toBeSigned, k, sign1.signature)
          : crypto.verify('sha256', sign1.toBeSigned, { key: k, dsaEncoding: 'ieee-p1363' }, sign1.signature);
      },
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

// Prints @owf/mdoc's checks one per line ("PASSED|FAILED category: check") and exits 0 only when there
// were some and none failed.
export async function runChecks(verify) {
  let failed = 0;
  const checks = [];
  const onCheck = (c) => {
    checks.push(c);
    if (c.status === 'FAILED') failed++;
  };
  try {
    await verify(onCheck);
  } catch (e) {
    failed++;
    console.log(`ERROR ${e.message}`);
  }
  for (const c of checks) console.log(`${c.status} ${c.category}: ${c.check}${c.status === 'FAILED' && c.reason ? ` (${c.reason})` : ''}`);
  console.log(`${checks.length} checks, ${failed} failed`);
  process.exit(failed === 0 && checks.length > 0 ? 0 : 1);
}
