// A throwaway signing authority for instance identity documents, made at test time: an RSA key
// pair (node:crypto), a self-signed X.509 certificate assembled with pkijs (node cannot issue
// certificates), and signatures made the two ways IMDS serves them: `signature` (base64
// RSA-SHA256 over the document bytes) and `rsa2048` (PKCS#7 SignedData with the document as
// encapsulated content and no certificate inside, as AWS does). Everything is synchronous: the
// signing is done with node:crypto over structures pkijs encodes, so simulators can sign many
// documents without awaiting. The certificate PEM is written into a temp folder for
// loadCertificates().
import {
  createHash,
  generateKeyPairSync,
  randomBytes,
  sign as cryptoSign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { IdentityHeader } from '../../shared/conventions.js';

const Oid = {
  commonName: '2.5.4.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha256: '2.16.840.1.101.3.4.2.1',
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

export interface SignedDocument {
  documentB64: string;
  /** Header-ready: no line breaks. */
  signatureB64: string;
  /** Header-ready: no line breaks. */
  pkcs7B64: string;
  /** The bodies IMDS serves at .../document, .../signature and .../rsa2048 (with line breaks). */
  imds: { document: string; signature: string; rsa2048: string };
}

export interface IdentityAuthority {
  /** A temp folder holding identity-cert.pem: give it to loadCertificates(). */
  certDir: string;
  certificate: X509Certificate;
  certificatePem: string;
  /** Signs the document bytes both ways. embedCertificate puts the certificate in the PKCS#7. */
  sign(documentJson: string, options?: { embedCertificate?: boolean }): SignedDocument;
  cleanup(): void;
}

const alg = (algorithmId: string) =>
  new pkijs.AlgorithmIdentifier({ algorithmId, algorithmParams: new asn1js.Null() });

function names(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({
        type: Oid.commonName,
        value: new asn1js.Utf8String({ value: commonName }),
      }),
    ],
  });
}

function selfSigned(commonName: string, publicKey: KeyObject, privateKey: KeyObject) {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = randomBytes(8);
  // A positive INTEGER, and a minimal one: DER forbids a leading zero byte (a serial starting with
  // 0x00 made X509Certificate refuse about one certificate in 128).
  serial[0] = serial[0]! & 0x7f || 0x01;
  cert.serialNumber = new asn1js.Integer({ valueHex: new Uint8Array(serial) });
  cert.issuer = names(commonName);
  cert.subject = names(commonName);
  const now = Date.now();
  cert.notBefore.value = new Date(now - 3600_000);
  cert.notAfter.value = new Date(now + 10 * 365 * 86400_000);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(
    new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
  );
  cert.signature = alg(Oid.sha256WithRsa);
  cert.signatureAlgorithm = alg(Oid.sha256WithRsa);
  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER());
  const signature = cryptoSign('sha256', cert.tbsView, privateKey);
  cert.signatureValue = new asn1js.BitString({ valueHex: new Uint8Array(signature) });
  return cert;
}

function pkcs7(
  content: Buffer,
  cert: pkijs.Certificate,
  privateKey: KeyObject,
  embedCertificate: boolean,
): Buffer {
  const digest = createHash('sha256').update(content).digest();
  // In DER order of their encodings (a SET OF), so that DER re-encoders verify it too.
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: [
      new pkijs.Attribute({
        type: Oid.contentType,
        values: [new asn1js.ObjectIdentifier({ value: Oid.data })],
      }),
      new pkijs.Attribute({
        type: Oid.signingTime,
        values: [new asn1js.UTCTime({ valueDate: new Date() })],
      }),
      new pkijs.Attribute({
        type: Oid.messageDigest,
        values: [new asn1js.OctetString({ valueHex: new Uint8Array(digest) })],
      }),
    ],
  });
  // The signature covers the attributes encoded as a SET (tag 0x31), not as the [0] they are
  // stored under (RFC 5652, 5.4).
  const encoded = new Uint8Array(signedAttrs.toSchema().toBER());
  encoded[0] = 0x31;
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    digestAlgorithm: alg(Oid.sha256),
    signedAttrs,
    signatureAlgorithm: alg(Oid.rsaEncryption),
    signature: new asn1js.OctetString({
      valueHex: new Uint8Array(cryptoSign('sha256', encoded, privateKey)),
    }),
  });
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [alg(Oid.sha256)],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: Oid.data,
      eContent: new asn1js.OctetString({ valueHex: new Uint8Array(content) }),
    }),
    signerInfos: [signerInfo],
    ...(embedCertificate ? { certificates: [cert] } : {}),
  });
  const info = new pkijs.ContentInfo({
    contentType: Oid.signedData,
    content: signedData.toSchema(true),
  });
  return Buffer.from(info.toSchema().toBER());
}

/** base64 wrapped the way IMDS serves it. */
const wrap = (b64: string, width: number) =>
  b64.match(new RegExp(`.{1,${width}}`, 'g'))!.join('\n');

export function makeIdentityAuthority(options: { commonName?: string } = {}): IdentityAuthority {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = selfSigned(options.commonName ?? 'bootwatch test identity', publicKey, privateKey);
  const certificate = new X509Certificate(Buffer.from(cert.toSchema().toBER()));
  const certificatePem = certificate.toString();
  const certDir = mkdtempSync(join(tmpdir(), 'bootwatch-identity-'));
  writeFileSync(join(certDir, 'identity-cert.pem'), certificatePem);
  return {
    certDir,
    certificate,
    certificatePem,
    sign(documentJson, signOptions = {}) {
      const content = Buffer.from(documentJson, 'utf8');
      const signatureB64 = cryptoSign('sha256', content, privateKey).toString('base64');
      const pkcs7B64 = pkcs7(
        content,
        cert,
        privateKey,
        signOptions.embedCertificate === true,
      ).toString('base64');
      return {
        documentB64: content.toString('base64'),
        signatureB64,
        pkcs7B64,
        imds: {
          document: documentJson,
          signature: wrap(signatureB64, 76),
          rsa2048: wrap(pkcs7B64, 64),
        },
      };
    },
    cleanup() {
      rmSync(certDir, { recursive: true, force: true });
    },
  };
}

export interface IdentityFields {
  accountId: string;
  architecture: string;
  availabilityZone: string;
  imageId: string;
  instanceId: string;
  instanceType: string;
  pendingTime: string;
  privateIp: string;
  region: string;
}

/** An identity document laid out as IMDS serves it (`"key" : value`, two-space indent). */
export function identityDocumentJson(fields: Partial<IdentityFields> = {}): string {
  const f: IdentityFields = {
    accountId: '123456789012',
    architecture: 'x86_64',
    availabilityZone: 'eu-west-1a',
    imageId: 'ami-0123456789abcdef0',
    instanceId: 'i-0123456789abcdef0',
    instanceType: 'm6i.large',
    pendingTime: '2024-05-14T09:12:40Z',
    privateIp: '10.20.1.17',
    region: 'eu-west-1',
    ...fields,
  };
  const entries: [string, string | null][] = [
    ['accountId', f.accountId],
    ['architecture', f.architecture],
    ['availabilityZone', f.availabilityZone],
    ['billingProducts', null],
    ['devpayProductCodes', null],
    ['marketplaceProductCodes', null],
    ['imageId', f.imageId],
    ['instanceId', f.instanceId],
    ['instanceType', f.instanceType],
    ['kernelId', null],
    ['pendingTime', f.pendingTime],
    ['privateIp', f.privateIp],
    ['ramdiskId', null],
    ['region', f.region],
    ['version', '2017-09-30'],
  ];
  const lines = entries.map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v)}`);
  return `{\n${lines.join(',\n')}\n}`;
}

/** The request headers an agent sends for a signed document (both signatures by default). */
export function identityHeaders(
  signed: Pick<SignedDocument, 'documentB64' | 'signatureB64' | 'pkcs7B64'>,
  which: 'both' | 'signature' | 'pkcs7' = 'both',
): Record<string, string> {
  return {
    [IdentityHeader.document]: signed.documentB64,
    ...(which !== 'pkcs7' ? { [IdentityHeader.signature]: signed.signatureB64 } : {}),
    ...(which !== 'signature' ? { [IdentityHeader.pkcs7]: signed.pkcs7B64 } : {}),
  };
}
