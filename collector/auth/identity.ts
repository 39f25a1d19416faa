// The signed EC2 instance identity document: how an agent proves which instance, image and account
// it runs in without a secret baked into the AMI. IMDS serves the document with two RSA signatures
// we accept (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/verify-iid.html):
// - `signature`: base64 RSA-SHA256 (PKCS#1 v1.5) over the document's exact bytes, checked with the
//   region's "RSA" certificate;
// - `rsa2048`: a PKCS#7 SignedData that embeds the document as its content and is signed with the
//   region's "RSA-2048" certificate. AWS does not embed that certificate (its docs verify with
//   `openssl smime -verify -certfile <cert>`), and AWS emits BER with indefinite lengths.
// The DSA `pkcs7` endpoint is not supported: WebCrypto has no DSA.
import { verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { BootwatchError, errorMessage } from '../../shared/errors.js';
import { rfc3339Ms } from '../../shared/rfc3339.js';
import { usePkijsNodeEngine } from './pkijs-engine.js';

const IdData = '1.2.840.113549.1.7.1';
const IdSignedData = '1.2.840.113549.1.7.2';
/** A header value far above any real document or signature (about 0.5 and 1.5 KiB). */
const MaxEncodedLength = 16 * 1024;

const IdentityDocumentSchema = Type.Object({
  instanceId: Type.String({ minLength: 1, maxLength: 64 }),
  imageId: Type.String({ minLength: 1, maxLength: 64 }),
  accountId: Type.String({ minLength: 1, maxLength: 32 }),
  region: Type.String({ minLength: 1, maxLength: 32 }),
  availabilityZone: Type.String({ maxLength: 32 }),
  instanceType: Type.String({ minLength: 1, maxLength: 64 }),
  pendingTime: Type.String({ maxLength: 40 }),
});

/** The fields of the identity document bootwatch uses (IMDS sends more; they are dropped). */
export type IdentityDocument = Static<typeof IdentityDocumentSchema>;

export interface SignedIdentity {
  /** base64 of the document bytes exactly as IMDS served them. */
  documentB64: string;
  /** The `signature` endpoint's value (base64; line breaks allowed). */
  signatureB64?: string;
  /** The `rsa2048` endpoint's value (base64 DER/BER PKCS#7; line breaks allowed). */
  pkcs7B64?: string;
}

function invalid(message: string): BootwatchError {
  return new BootwatchError('BW_AUTH_INVALID', message);
}

/** Reads every certificate in *.pem / *.crt files of a folder (PEM bundles or DER). */
export function loadCertificates(dir: string): X509Certificate[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.(pem|crt)$/i.test(n));
  } catch (e) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      `identity certificate folder ${dir} cannot be read: ${errorMessage(e)}`,
    );
  }
  const certificates: X509Certificate[] = [];
  for (const name of names.sort()) {
    const file = join(dir, name);
    try {
      const bytes = readFileSync(file);
      const text = bytes.toString('latin1');
      const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
      if (blocks === null) certificates.push(new X509Certificate(bytes));
      else certificates.push(...blocks.map((pem) => new X509Certificate(pem)));
    } catch (e) {
      throw new BootwatchError(
        'BW_CONFIG_INVALID',
        `${file} is not an X.509 certificate (PEM or DER): ${errorMessage(e)}`,
      );
    }
  }
  if (certificates.length === 0) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      `identity certificate folder ${dir} has no *.pem or *.crt file; put the AWS public ` +
        `certificates (RSA and RSA-2048) of your regions there`,
    );
  }
  return certificates;
}

/** Strict base64 (whitespace ignored): Buffer.from would silently skip garbage characters. */
function decodeBase64(what: string, value: string): Buffer {
  if (value.length > MaxEncodedLength) {
    throw invalid(`${what} is ${value.length} characters, expected at most ${MaxEncodedLength}`);
  }
  const compact = value.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw invalid(`${what} is not base64`);
  }
  return Buffer.from(compact, 'base64');
}

function signatureVerifies(document: Buffer, signature: Buffer, certs: X509Certificate[]): boolean {
  return certs.some((cert) => {
    try {
      return cryptoVerify('sha256', document, cert.publicKey, signature);
    } catch {
      // A DSA certificate from the same AWS page, or a key type that cannot verify RSA.
      return false;
    }
  });
}

const pkijsCertificates = new WeakMap<X509Certificate, pkijs.Certificate>();

function asPkijs(cert: X509Certificate): pkijs.Certificate {
  let parsed = pkijsCertificates.get(cert);
  if (parsed === undefined) {
    parsed = pkijs.Certificate.fromBER(new Uint8Array(cert.raw));
    pkijsCertificates.set(cert, parsed);
  }
  return parsed;
}

/** Why the PKCS#7 does not prove the document, or null when it does. */
async function pkcs7Problem(
  der: Buffer,
  document: Buffer,
  certs: X509Certificate[],
): Promise<string | null> {
  let signedData: pkijs.SignedData;
  try {
    const asn = asn1js.fromBER(new Uint8Array(der));
    if (asn.offset === -1) return `not BER/DER: ${asn.result.error}`;
    const info = new pkijs.ContentInfo({ schema: asn.result });
    if (info.contentType !== IdSignedData)
      return `content type ${info.contentType} is not SignedData`;
    signedData = new pkijs.SignedData({ schema: info.content });
  } catch (e) {
    return `not a PKCS#7 SignedData: ${errorMessage(e)}`;
  }
  const encap = signedData.encapContentInfo;
  if (encap.eContentType !== IdData) return `encapsulated content type ${encap.eContentType}`;
  const content = encap.eContent;
  const detached = content === undefined;
  if (!detached) {
    if (!(content instanceof asn1js.OctetString))
      return 'the signed content is not an OCTET STRING';
    // The document the agent sent is the one we parse, so it must be the one that was signed.
    if (!Buffer.from(content.getValue()).equals(document)) {
      return 'the signed content differs from the document sent';
    }
  }
  // pkijs looks for the signer among signedData.certificates and, without chain checking, never
  // reads trustedCerts. Replacing that list with our certificates is what makes the check mean
  // "signed by a trusted key": a certificate embedded by the sender is never considered.
  try {
    signedData.certificates = certs.map(asPkijs);
  } catch (e) {
    return `a trusted certificate cannot be read by pkijs: ${errorMessage(e)}`;
  }
  usePkijsNodeEngine();
  const problems: string[] = [];
  for (let signer = 0; signer < signedData.signerInfos.length; signer += 1) {
    try {
      const data = detached ? new Uint8Array(document).buffer : undefined;
      if (await signedData.verify({ signer, checkChain: false, ...(data ? { data } : {}) })) {
        return null;
      }
      problems.push(`signer ${signer}: the signature does not verify`);
    } catch (e) {
      problems.push(`signer ${signer}: ${errorMessage(e)}`);
    }
  }
  return problems.length === 0 ? 'no signer' : problems.join('; ');
}

function parseDocument(document: Buffer): IdentityDocument {
  let value: unknown;
  try {
    value = JSON.parse(document.toString('utf8'));
  } catch (e) {
    throw invalid(`the signed identity document is not JSON: ${errorMessage(e)}`);
  }
  const first = Value.Errors(IdentityDocumentSchema, value).First();
  if (first !== undefined) {
    throw invalid(`the signed identity document ${first.path || '/'}: ${first.message}`);
  }
  const doc = value as IdentityDocument;
  if (rfc3339Ms(doc.pendingTime) === null) {
    throw invalid(`the signed identity document /pendingTime: ${doc.pendingTime} is not RFC 3339`);
  }
  const { instanceId, imageId, accountId, region, availabilityZone, instanceType, pendingTime } =
    doc;
  return { instanceId, imageId, accountId, region, availabilityZone, instanceType, pendingTime };
}

/**
 * Accepts the document when its RSA-SHA256 signature or its PKCS#7 verifies with one of `certs`;
 * throws BW_AUTH_INVALID with the reasons otherwise.
 */
export async function verifyIdentityDocument(
  input: SignedIdentity,
  certs: readonly X509Certificate[],
): Promise<IdentityDocument> {
  const document = decodeBase64('the identity document', input.documentB64);
  if (input.signatureB64 === undefined && input.pkcs7B64 === undefined) {
    throw invalid('the identity document came without a signature or a PKCS#7 (rsa2048)');
  }
  const trusted = [...certs];
  const problems: string[] = [];
  if (input.signatureB64 !== undefined) {
    const signature = decodeBase64('the identity signature', input.signatureB64);
    if (signatureVerifies(document, signature, trusted)) return parseDocument(document);
    problems.push(`signature: does not verify with any of ${trusted.length} certificate(s)`);
  }
  if (input.pkcs7B64 !== undefined) {
    const der = decodeBase64('the identity PKCS#7', input.pkcs7B64);
    const problem = await pkcs7Problem(der, document, trusted);
    if (problem === null) return parseDocument(document);
    problems.push(`pkcs7: ${problem}`);
  }
  throw invalid(
    `the identity document is not signed by a trusted certificate (${problems.join('; ')})`,
  );
}
