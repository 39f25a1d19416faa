import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createImdsClient, type ImdsClient } from '../../agent/imds-client.js';
import {
  parseIdentityDocument,
  readInstanceIdentity,
  type IdentityDocument,
} from '../../agent/instance-identity.js';
import { BootwatchError } from '../../shared/errors.js';
import {
  AemmFixturePath,
  type FakeImds,
  type FakeInstanceIdentity,
  formatIdentityDocument,
  imdsValuesFor,
  loadAemmValues,
  startFakeImds,
} from '../support/fake-imds.js';

const Instance: FakeInstanceIdentity = {
  instanceId: 'i-0a1b2c3d4e5f60718',
  imageId: 'ami-0fedcba9876543210',
  region: 'eu-central-1',
  availabilityZone: 'eu-central-1b',
  accountId: '123456789012',
  instanceType: 'c7g.large',
  architecture: 'arm64',
  pendingTime: '2024-05-01T12:00:07Z',
};
const Parsed: IdentityDocument = {
  instanceId: Instance.instanceId,
  imageId: Instance.imageId,
  accountId: Instance.accountId,
  region: Instance.region,
  availabilityZone: Instance.availabilityZone,
  instanceType: Instance.instanceType,
  architecture: 'arm64',
  pendingTime: '2024-05-01T12:00:07.000Z',
};
// Served in 76-column lines, as IMDS serves its base64 values.
const Signature = 'c2lnbmF0dXJlIGJ5dGVz'.repeat(8).replace(/(.{76})/g, '$1\n');
const Rsa2048 = 'TUlJQ0lnWUpLb1pJaHZjTkFRY0NvSUlDRXpDQ0FnOENBUUV4RFRBTEJnbGdoa2dCWlFNRUFnRXdn'
  .repeat(3)
  .replace(/(.{64})/g, '$1\n');

const opened: { fakes: FakeImds[]; clients: ImdsClient[] } = { fakes: [], clients: [] };
afterEach(async () => {
  for (const c of opened.clients.splice(0)) c.close();
  await Promise.all(opened.fakes.splice(0).map((f) => f.close()));
});

async function serve(values: Record<string, string>) {
  const fake = await startFakeImds({ values });
  opened.fakes.push(fake);
  const client = createImdsClient({ endpoint: fake.url, totalBudgetMs: 2000 });
  opened.clients.push(client);
  return { fake, client };
}

describe('parseIdentityDocument', () => {
  it('reads a document in the layout EC2 serves and normalises pendingTime', () => {
    const result = parseIdentityDocument(formatIdentityDocument(Instance));
    expect(result).toEqual({ ok: true, document: Parsed, notes: [] });
  });

  it('lists every missing or mistyped field', () => {
    const raw = JSON.stringify({ instanceId: 'i-0a1b2c3d4e5f60718', imageId: 7, region: '' });
    expect(parseIdentityDocument(raw)).toEqual({
      ok: false,
      problems: [
        'imageId: expected a non-empty string, got 7',
        'accountId is missing',
        'region: expected a non-empty string, got ""',
        'availabilityZone is missing',
        'instanceType is missing',
        'architecture is missing',
        'pendingTime is missing',
      ],
    });
  });

  it('refuses a pendingTime that is not RFC 3339, and a body that is not a JSON object', () => {
    const raw = formatIdentityDocument({ ...Instance, pendingTime: '05/01/2024 12:00' });
    expect(parseIdentityDocument(raw)).toEqual({
      ok: false,
      problems: [
        "pendingTime: expected an RFC 3339 time like 2019-10-31T07:02:24Z, got '05/01/2024 12:00'",
      ],
    });
    expect(parseIdentityDocument('<html>503</html>')).toMatchObject({ ok: false });
    expect(parseIdentityDocument('[1]')).toEqual({
      ok: false,
      problems: ["expected a JSON object, got '[1]'"],
    });
  });

  it('notes values of an unusual shape without rejecting them', () => {
    const raw = formatIdentityDocument({
      ...Instance,
      accountId: '0123456789',
      region: 'us-east-1',
    });
    const result = parseIdentityDocument(raw);
    expect(result.ok && result.notes).toEqual([
      "identity accountId '0123456789' is not 12 digits",
      "identity availabilityZone 'eu-central-1b' is not in region 'us-east-1'",
    ]);
  });
});

describe('readInstanceIdentity', () => {
  it('reads document, signature, rsa2048, tags, version tag and Auto Scaling group', async () => {
    const tags = {
      Name: 'web',
      'bootwatch:version': '2024.05.1',
      'aws:autoscaling:groupName': 'web-asg',
    };
    const values = imdsValuesFor({ ...Instance, tags }, { signature: Signature, rsa2048: Rsa2048 });
    const { client } = await serve(values);
    const identity = await readInstanceIdentity(client, {
      tagsEnabled: true,
      versionTag: 'bootwatch:version',
    });
    expect(identity).toEqual({
      documentRaw: values['/latest/dynamic/instance-identity/document'],
      document: Parsed,
      signature: Signature.replace(/\n/g, ''),
      pkcs7: Rsa2048.replace(/\n/g, ''),
      asgName: 'web-asg',
      tags,
      versionTagValue: '2024.05.1',
      notes: [],
    });
  });

  it('serves the document bytes it was given, for signatures made elsewhere', async () => {
    const documentRaw = `${formatIdentityDocument(Instance)}\n`;
    const { client } = await serve(imdsValuesFor(Instance, { documentRaw }));
    const identity = await readInstanceIdentity(client, { tagsEnabled: false, versionTag: 'v' });
    expect(identity.documentRaw).toBe(documentRaw);
  });

  it('degrades to null tags with a note when tags are not enabled in instance metadata', async () => {
    const { client } = await serve(
      imdsValuesFor(Instance, { signature: Signature, rsa2048: Rsa2048 }),
    );
    const identity = await readInstanceIdentity(client, {
      tagsEnabled: true,
      versionTag: 'version',
    });
    expect(identity).toMatchObject({ tags: null, asgName: null, versionTagValue: null });
    expect(identity.notes).toEqual([
      '/latest/meta-data/tags/instance answered 404: instance tags are not enabled in this ' +
        "instance's metadata options",
    ]);
  });

  it('does not ask for tags when they are disabled in the config', async () => {
    const values = imdsValuesFor(
      { ...Instance, tags: { version: '1.2.3' } },
      { signature: Signature },
    );
    const { client, fake } = await serve(values);
    const identity = await readInstanceIdentity(client, {
      tagsEnabled: false,
      versionTag: 'version',
    });
    expect(identity).toMatchObject({ tags: null, versionTagValue: null, pkcs7: null });
    expect(fake.requests.some((r) => r.path.includes('/tags/'))).toBe(false);
    expect(identity.notes).toEqual([
      'neither /latest/dynamic/instance-identity/rsa2048 nor /pkcs7 is served',
      'instance tags not read: tags are disabled in the config',
    ]);
  });

  it('reports a missing signature as null with a note', async () => {
    const { client } = await serve(imdsValuesFor(Instance, { rsa2048: Rsa2048 }));
    const identity = await readInstanceIdentity(client, { tagsEnabled: false, versionTag: 'v' });
    expect(identity.signature).toBeNull();
    expect(identity.notes[0]).toMatch(/signature not served/);
  });

  it('throws BW_IMDS_NOT_FOUND without a document and BW_IMDS_BAD_RESPONSE for a bad one', async () => {
    const { client, fake } = await serve({ '/latest/meta-data/ami-id': Instance.imageId });
    const read = () => readInstanceIdentity(client, { tagsEnabled: true, versionTag: 'v' });
    await expect(read()).rejects.toMatchObject({ code: 'BW_IMDS_NOT_FOUND' });
    fake.setValue('/latest/dynamic/instance-identity/document', '{"instanceId": "i-1"}');
    const e = await read().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BootwatchError);
    expect(e).toMatchObject({ code: 'BW_IMDS_BAD_RESPONSE' });
    expect((e as Error).message).toContain('imageId is missing');
  });
});

describe('amazon-ec2-metadata-mock fixture', () => {
  const aemm = JSON.parse(readFileSync(AemmFixturePath, 'utf8')) as {
    dynamic: { values: Record<string, unknown> };
  };

  it('serves the mock layout: listings, tags, JSON values', async () => {
    const { client } = await serve(loadAemmValues());
    const root = (await client.get('/latest/meta-data/'))?.split('\n');
    expect(root).toEqual(expect.arrayContaining(['ami-id', 'placement/', 'tags/', 'iam/']));
    expect(await client.get('/latest/meta-data/tags/instance')).toBe('Name\nTest');
    expect(await client.get('/latest/meta-data/placement/availability-zone')).toBe('us-east-1a');
    expect(await client.getJson('/latest/meta-data/iam/info')).toMatchObject({ Code: 'Success' });
    expect(await client.get('/latest/meta-data/spot/instance-action')).toBeNull();
  });

  it('reads its identity, falling back to pkcs7 where rsa2048 is absent', async () => {
    const { client } = await serve(loadAemmValues());
    const identity = await readInstanceIdentity(client, { tagsEnabled: true, versionTag: 'Test' });
    expect(identity.document).toEqual({
      instanceId: 'i-1234567890abcdef0',
      imageId: 'ami-0b69ea66ff7391e80',
      accountId: '0123456789',
      region: 'us-east-1',
      availabilityZone: 'us-east-1f',
      instanceType: 'm4.xlarge',
      architecture: 'x86_64',
      pendingTime: '2019-10-31T07:02:24.000Z',
    });
    const served = aemm.dynamic.values as Record<string, string>;
    expect(identity.pkcs7).toBe(served['instance-identity-pkcs']?.replace(/\s/g, ''));
    expect(identity.signature).toBe(served['instance-identity-signature']?.replace(/\s/g, ''));
    expect(identity.pkcs7).not.toMatch(/\s/);
    expect(identity.tags).toEqual({ Name: 'test-instance', Test: 'test-tag' });
    expect(identity.versionTagValue).toBe('test-tag');
    expect(identity.asgName).toBeNull();
    expect(identity.notes).toEqual([
      "identity accountId '0123456789' is not 12 digits",
      '/latest/dynamic/instance-identity/rsa2048 not served; sent the DSA-signed /pkcs7 instead',
    ]);
  });
});
