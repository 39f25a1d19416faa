import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadCertificates,
  verifyIdentityDocument,
  type SignedIdentity,
} from '../../../collector/auth/identity.js';
import { BootwatchError } from '../../../shared/errors.js';
import {
  identityDocumentJson,
  makeIdentityAuthority,
  type IdentityAuthority,
} from '../../support/identity-keys.js';

let trusted: IdentityAuthority;
let stranger: IdentityAuthority;
let scratch: string;

beforeAll(() => {
  trusted = makeIdentityAuthority({ commonName: 'trusted' });
  stranger = makeIdentityAuthority({ commonName: 'stranger' });
  scratch = mkdtempSync(join(tmpdir(), 'bootwatch-identity-test-'));
});

afterAll(() => {
  trusted.cleanup();
  stranger.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const document = identityDocumentJson({ instanceId: 'i-0aa11bb22cc33dd44' });
const expected = {
  instanceId: 'i-0aa11bb22cc33dd44',
  imageId: 'ami-0123456789abcdef0',
  accountId: '123456789012',
  region: 'eu-west-1',
  availabilityZone: 'eu-west-1a',
  instanceType: 'm6i.large',
  pendingTime: '2024-05-14T09:12:40Z',
};

async function rejection(p: Promise<unknown>): Promise<BootwatchError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BootwatchError);
    expect((e as BootwatchError).code).toBe('BW_AUTH_INVALID');
    expect((e as BootwatchError).statusCode).toBe(401);
    return e as BootwatchError;
  }
  throw new Error('expected BW_AUTH_INVALID, the document was accepted');
}

/** The document with one byte changed (the last digit of the instance id). */
function altered(documentB64: string): string {
  const bytes = Buffer.from(documentB64, 'base64');
  const at = bytes.indexOf('dd44') + 3;
  bytes[at] = '5'.charCodeAt(0);
  return bytes.toString('base64');
}

describe('loadCertificates', () => {
  it('reads the PEM the authority wrote', () => {
    const [cert, ...rest] = loadCertificates(trusted.certDir);
    expect(rest).toHaveLength(0);
    expect(cert!.fingerprint256).toBe(trusted.certificate.fingerprint256);
  });

  it('reads PEM bundles and DER .crt files, and skips other files', () => {
    const dir = mkdtempSync(join(scratch, 'mixed-'));
    writeFileSync(join(dir, 'bundle.pem'), `${trusted.certificatePem}\n${stranger.certificatePem}`);
    writeFileSync(join(dir, 'one.CRT'), trusted.certificate.raw);
    writeFileSync(join(dir, 'notes.txt'), 'not a certificate');
    expect(loadCertificates(dir).map((c) => c.subject)).toEqual([
      'CN=trusted',
      'CN=stranger',
      'CN=trusted',
    ]);
  });

  it('refuses a missing folder, an empty folder and a file that is no certificate', () => {
    const empty = mkdtempSync(join(scratch, 'empty-'));
    const bad = mkdtempSync(join(scratch, 'bad-'));
    writeFileSync(join(bad, 'broken.pem'), 'hello');
    const cases: [string, RegExp][] = [
      [join(scratch, 'nope'), /cannot be read/],
      [empty, /has no \*\.pem or \*\.crt file/],
      [bad, /broken\.pem is not an X\.509 certificate/],
    ];
    for (const [dir, message] of cases) {
      expect(() => loadCertificates(dir)).toThrow(
        expect.objectContaining({
          code: 'BW_CONFIG_INVALID',
          message: expect.stringMatching(message),
        }),
      );
    }
  });
});

describe('verifyIdentityDocument', () => {
  it('accepts the RSA-SHA256 signature and returns the document', async () => {
    const { documentB64, signatureB64 } = trusted.sign(document);
    const certs = loadCertificates(trusted.certDir);
    await expect(verifyIdentityDocument({ documentB64, signatureB64 }, certs)).resolves.toEqual(
      expected,
    );
  });

  it('accepts the PKCS#7 (rsa2048) alone', async () => {
    const { documentB64, pkcs7B64 } = trusted.sign(document);
    await expect(
      verifyIdentityDocument({ documentB64, pkcs7B64 }, [trusted.certificate]),
    ).resolves.toEqual(expected);
  });

  it('accepts either: a bad signature is rescued by a good PKCS#7', async () => {
    const good = trusted.sign(document);
    const input: SignedIdentity = {
      documentB64: good.documentB64,
      signatureB64: stranger.sign(document).signatureB64,
      pkcs7B64: good.pkcs7B64,
    };
    await expect(verifyIdentityDocument(input, [trusted.certificate])).resolves.toEqual(expected);
  });

  it('finds the right certificate among several', async () => {
    const signed = trusted.sign(document);
    const certs = [stranger.certificate, trusted.certificate];
    await expect(verifyIdentityDocument(signed, certs)).resolves.toEqual(expected);
  });

  it('refuses a document altered by one byte, by either path', async () => {
    const { documentB64, signatureB64, pkcs7B64 } = trusted.sign(document);
    const certs = [trusted.certificate];
    const changed = altered(documentB64);
    const bySignature = await rejection(
      verifyIdentityDocument({ documentB64: changed, signatureB64 }, certs),
    );
    expect(bySignature.message).toContain('signature: does not verify with any of 1 certificate');
    const byPkcs7 = await rejection(
      verifyIdentityDocument({ documentB64: changed, pkcs7B64 }, certs),
    );
    expect(byPkcs7.message).toContain('pkcs7: the signed content differs from the document sent');
  });

  it('refuses signatures made with another key', async () => {
    const signed = stranger.sign(document);
    const e = await rejection(verifyIdentityDocument(signed, [trusted.certificate]));
    expect(e.message).toContain('signature: does not verify');
    expect(e.message).toContain('pkcs7: signer 0: Unable to find signer certificate');
  });

  it('ignores a certificate the sender embedded in the PKCS#7', async () => {
    const { documentB64, pkcs7B64 } = stranger.sign(document, { embedCertificate: true });
    await rejection(verifyIdentityDocument({ documentB64, pkcs7B64 }, [trusted.certificate]));
    // The same message verifies against its own certificate: the refusal above is about trust.
    await expect(
      verifyIdentityDocument({ documentB64, pkcs7B64 }, [stranger.certificate]),
    ).resolves.toEqual(expected);
  });

  it('verifies what OpenSSL signs, in the BER layout AWS serves, with IMDS line breaks', async () => {
    const url = new URL('../../fixtures/identity-openssl.json', import.meta.url);
    const fx = JSON.parse(readFileSync(url, 'utf8')) as Record<string, string>;
    const dir = mkdtempSync(join(scratch, 'openssl-'));
    writeFileSync(join(dir, 'eu-central-1.pem'), fx.certificatePem!);
    const certs = loadCertificates(dir);
    const documentB64 = Buffer.from(fx.document!, 'utf8').toString('base64');
    const want = {
      instanceId: 'i-0badc0ffee0ddf00d',
      imageId: 'ami-0fedcba9876543210',
      accountId: '123456789012',
      region: 'eu-central-1',
      availabilityZone: 'eu-central-1b',
      instanceType: 'c7g.xlarge',
      pendingTime: '2024-06-01T12:00:05Z',
    };
    await expect(
      verifyIdentityDocument({ documentB64, signatureB64: fx.signature! }, certs),
    ).resolves.toEqual(want);
    await expect(
      verifyIdentityDocument({ documentB64, pkcs7B64: fx.rsa2048! }, certs),
    ).resolves.toEqual(want);
    await rejection(
      verifyIdentityDocument({ documentB64: altered(documentB64), pkcs7B64: fx.rsa2048! }, certs),
    );
  });

  it('refuses input that is not base64, not PKCS#7, or unsigned', async () => {
    const signed = trusted.sign(document);
    const certs = [trusted.certificate];
    const notPkcs7 = /pkcs7: not (BER\/DER|a PKCS#7 SignedData)/;
    const cases: [SignedIdentity, RegExp][] = [
      [{ ...signed, documentB64: 'eyJ*' }, /the identity document is not base64/],
      [{ documentB64: signed.documentB64, signatureB64: '%%%%' }, /signature is not base64/],
      [{ documentB64: signed.documentB64, pkcs7B64: 'AAAA' }, notPkcs7],
      [{ documentB64: signed.documentB64, pkcs7B64: signed.signatureB64 }, notPkcs7],
      [{ documentB64: signed.documentB64 }, /came without a signature or a PKCS#7/],
    ];
    for (const [input, message] of cases) {
      expect((await rejection(verifyIdentityDocument(input, certs))).message).toMatch(message);
    }
  });

  it('refuses a signed document that is not an identity document', async () => {
    const notIdentity = trusted.sign('{"instanceId": "i-1", "region": "eu-west-1"}');
    const e = await rejection(verifyIdentityDocument(notIdentity, [trusted.certificate]));
    expect(e.message).toMatch(/the signed identity document \/\w+: Expected required property/);
    const badTime = trusted.sign(identityDocumentJson({ pendingTime: '2024-02-30T00:00:00Z' }));
    expect(
      (await rejection(verifyIdentityDocument(badTime, [trusted.certificate]))).message,
    ).toContain('/pendingTime: 2024-02-30T00:00:00Z is not RFC 3339');
  });
});
