import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkBootAgainstIdentity,
  createAdminAuthenticator,
  createAgentAuthenticator,
  type HeaderMap,
} from '../../../collector/auth/authenticate.js';
import type { IdentityDocument } from '../../../collector/auth/identity.js';
import { loadCertificates } from '../../../collector/auth/identity.js';
import { IdentityHeader } from '../../../shared/conventions.js';
import { BootwatchError, type ErrorCode } from '../../../shared/errors.js';
import {
  identityDocumentJson,
  identityHeaders,
  makeIdentityAuthority,
  type IdentityAuthority,
} from '../../support/identity-keys.js';

let authority: IdentityAuthority;
let impostor: IdentityAuthority;

beforeAll(() => {
  authority = makeIdentityAuthority();
  impostor = makeIdentityAuthority();
});

afterAll(() => {
  authority.cleanup();
  impostor.cleanup();
});

const TOKEN = 'c0ffee-7f3a9b2e-shared-agent-token';

function thrown(fn: () => unknown): BootwatchError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BootwatchError);
    return e as BootwatchError;
  }
  throw new Error('expected a BootwatchError, nothing was thrown');
}

async function refused(p: Promise<unknown>, code: ErrorCode, status: number): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BootwatchError);
    expect((e as BootwatchError).code).toBe(code);
    expect((e as BootwatchError).statusCode).toBe(status);
    return (e as BootwatchError).message;
  }
  throw new Error(`expected ${code}, the request was accepted`);
}

describe('createAgentAuthenticator: configuration', () => {
  it('refuses to build an open collector unless asked to', () => {
    const e = thrown(() => createAgentAuthenticator({ certificates: null, token: null }));
    expect(e.code).toBe('BW_CONFIG_INVALID');
    expect(e.message).toContain('BOOTWATCH_TOKEN');
    expect(e.message).toContain('identity certificate folder');
  });

  it('is open with allowAnonymous, whatever is sent', async () => {
    const auth = createAgentAuthenticator({
      certificates: null,
      token: null,
      allowAnonymous: true,
    });
    await expect(auth({})).resolves.toEqual({ kind: 'anonymous' });
    await expect(auth({ authorization: 'Bearer anything' })).resolves.toEqual({
      kind: 'anonymous',
    });
  });

  it('refuses an empty token and an empty certificate list', () => {
    expect(thrown(() => createAgentAuthenticator({ certificates: null, token: '  ' })).code).toBe(
      'BW_CONFIG_INVALID',
    );
    expect(thrown(() => createAgentAuthenticator({ certificates: [], token: TOKEN })).code).toBe(
      'BW_CONFIG_INVALID',
    );
  });
});

describe('createAgentAuthenticator: bearer token', () => {
  const auth = createAgentAuthenticator({ certificates: null, token: TOKEN });

  it('accepts the right token, whatever the case of the scheme', async () => {
    await expect(auth({ authorization: `Bearer ${TOKEN}` })).resolves.toEqual({ kind: 'token' });
    await expect(auth({ authorization: `bearer  ${TOKEN}` })).resolves.toEqual({ kind: 'token' });
  });

  it.each([
    ['a wrong token of the same length', `Bearer ${TOKEN.replace('c0ffee', 'deadbe')}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 10)}`],
    ['the token with a suffix', `Bearer ${TOKEN}x`],
    ['another scheme', `Basic ${Buffer.from(`agent:${TOKEN}`).toString('base64')}`],
    ['a scheme alone', 'Bearer'],
  ])('refuses %s', async (_name, authorization) => {
    await refused(auth({ authorization }), 'BW_AUTH_INVALID', 401);
  });

  it('refuses a header sent twice', async () => {
    const headers: HeaderMap = { authorization: [`Bearer ${TOKEN}`, 'Bearer other'] };
    expect(await refused(auth(headers), 'BW_AUTH_INVALID', 401)).toContain('sent 2 times');
  });

  it('says what it accepts when nothing is sent', async () => {
    const message = await refused(auth({}), 'BW_AUTH_MISSING', 401);
    expect(message).toContain('Authorization: Bearer <token>');
    expect(message).not.toContain(IdentityHeader.document);
  });

  it('refuses an identity document when only tokens are configured', async () => {
    const headers = identityHeaders(authority.sign(identityDocumentJson()));
    expect(await refused(auth(headers), 'BW_AUTH_INVALID', 401)).toContain(
      'an identity document was sent, but this collector accepts only',
    );
  });
});

describe('createAgentAuthenticator: identity document', () => {
  const document = identityDocumentJson({ instanceId: 'i-0feedface0000001' });

  it('accepts a document signed either way and returns it', async () => {
    const auth = createAgentAuthenticator({
      certificates: loadCertificates(authority.certDir),
      token: null,
    });
    const signed = authority.sign(document);
    for (const which of ['signature', 'pkcs7', 'both'] as const) {
      const principal = await auth(identityHeaders(signed, which));
      expect(principal).toMatchObject({
        kind: 'identity',
        document: { instanceId: 'i-0feedface0000001', imageId: 'ami-0123456789abcdef0' },
      });
    }
  });

  it('refuses a document signed by another key, even with a good token', async () => {
    const auth = createAgentAuthenticator({ certificates: [authority.certificate], token: TOKEN });
    const headers = {
      ...identityHeaders(impostor.sign(document)),
      authorization: `Bearer ${TOKEN}`,
    };
    await refused(auth(headers), 'BW_AUTH_INVALID', 401);
    // Without identity headers the same token is fine: both kinds are configured.
    await expect(auth({ authorization: `Bearer ${TOKEN}` })).resolves.toEqual({ kind: 'token' });
  });

  it('refuses a document without signature and credentials that are missing', async () => {
    const auth = createAgentAuthenticator({ certificates: [authority.certificate], token: null });
    const { documentB64 } = authority.sign(document);
    await refused(auth({ [IdentityHeader.document]: documentB64 }), 'BW_AUTH_INVALID', 401);
    const missing = await refused(auth({}), 'BW_AUTH_MISSING', 401);
    expect(missing).toContain(IdentityHeader.document);
    const tokenOnly = await refused(auth({ authorization: 'Bearer x' }), 'BW_AUTH_INVALID', 401);
    expect(tokenOnly).toContain('a bearer token was sent, but this collector accepts only');
  });
});

describe('checkBootAgainstIdentity', () => {
  const signed: IdentityDocument = {
    instanceId: 'i-0123456789abcdef0',
    imageId: 'ami-0123456789abcdef0',
    accountId: '123456789012',
    region: 'eu-west-1',
    availabilityZone: 'eu-west-1a',
    instanceType: 'm6i.large',
    pendingTime: '2024-05-14T09:12:40Z',
  };
  const boot = { instanceId: signed.instanceId, amiId: signed.imageId, accountId: '123456789012' };

  it('passes the agent its own boot, with or without an account', () => {
    expect(() => checkBootAgainstIdentity(boot, signed)).not.toThrow();
    expect(() =>
      checkBootAgainstIdentity({ instanceId: boot.instanceId, amiId: boot.amiId }, signed),
    ).not.toThrow();
  });

  it.each([
    ['host.id', { instanceId: 'i-0fffffffffffffff0' }],
    ['host.image.id', { amiId: 'ami-0ffffffffffffffff' }],
    ['cloud.account.id', { accountId: '999999999999' }],
  ])('refuses another %s with 403', (attr, change) => {
    const e = thrown(() => checkBootAgainstIdentity({ ...boot, ...change }, signed));
    expect(e.code).toBe('BW_AUTH_MISMATCH');
    expect(e.statusCode).toBe(403);
    expect(e.message).toContain(`${attr} "${Object.values(change)[0]}"`);
  });

  // A whole report: every field the document signs and the report carries.
  const full = {
    ...boot,
    region: 'eu-west-1',
    availabilityZone: 'eu-west-1a',
    instanceType: 'm6i.large',
    launchedAt: '2024-05-14T09:12:40.000Z',
    firstBoot: true,
  };

  it('passes a whole report that says what the document says', () => {
    expect(() => checkBootAgainstIdentity(full, signed)).not.toThrow();
  });

  it.each([
    ['cloud.region', { region: 'us-east-1' }],
    ['cloud.availability_zone', { availabilityZone: 'eu-west-1c' }],
    ['host.type', { instanceType: 'm6i.24xlarge' }],
    ['bootwatch.boot.launched_at', { launchedAt: '2024-05-15T09:12:40Z' }],
    ['bootwatch.boot.launched_at', { launchedAt: '2024-05-13T09:12:40Z' }],
    ['bootwatch.boot.launched_at', { launchedAt: '2024-05-14T09:12:41Z' }],
    ['bootwatch.boot.launched_at', { launchedAt: '2024-05-14T09:07:39Z' }],
    ['bootwatch.boot.launched_at', { launchedAt: '2024-05-13T09:12:40Z', firstBoot: false }],
  ])('refuses another %s with 403 (%j)', (attr, change) => {
    const e = thrown(() => checkBootAgainstIdentity({ ...full, ...change }, signed));
    expect(e.code).toBe('BW_AUTH_MISMATCH');
    expect(e.message).toContain(`${attr} "${Object.values(change)[0]}"`);
  });

  it.each([
    // The agent's fallback: the kernel's start, when its clock puts that before pendingTime.
    ['a first boot up to 5 minutes before pendingTime', { launchedAt: '2024-05-14T09:07:40Z' }],
    ['a reboot a week later', { launchedAt: '2024-05-21T00:00:00Z', firstBoot: false }],
  ])('accepts %s', (_, change) => {
    expect(() => checkBootAgainstIdentity({ ...full, ...change }, signed)).not.toThrow();
  });
});

describe('createAdminAuthenticator', () => {
  const admin = createAdminAuthenticator('admin-0a9b8c7d6e5f');

  it('accepts the admin token and nothing else', () => {
    expect(() => admin({ authorization: 'Bearer admin-0a9b8c7d6e5f' })).not.toThrow();
    for (const headers of [
      {},
      { authorization: 'Bearer admin-0a9b8c7d6e5e' },
      { authorization: `Bearer ${TOKEN}` },
      { authorization: 'Basic YWRtaW46eA==' },
    ]) {
      const e = thrown(() => admin(headers));
      expect(e.code).toBe('BW_AUTH_ADMIN');
      expect(e.statusCode).toBe(401);
    }
  });

  it('is closed without a token, open only when asked', () => {
    const closed = createAdminAuthenticator(null);
    expect(thrown(() => closed({ authorization: 'Bearer x' })).message).toContain(
      'the admin API is closed',
    );
    expect(() => createAdminAuthenticator(null, { allowAnonymous: true })({})).not.toThrow();
    expect(thrown(() => createAdminAuthenticator('')).code).toBe('BW_CONFIG_INVALID');
  });
});
