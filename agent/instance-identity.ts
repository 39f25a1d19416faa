// Who this instance is, from IMDS: the signed identity document (launched_at is its pendingTime),
// its signatures for the collector to verify, and the instance tags (AMI version, Auto Scaling
// group) when tags in metadata are enabled. Only the document is required; everything else
// degrades to null with a note, because the boot report must go out regardless.
import { BootwatchError, errorMessage, isBootwatchError } from '../shared/errors.js';
import type { ImdsClient } from './imds-client.js';

export interface IdentityDocument {
  instanceId: string;
  imageId: string;
  accountId: string;
  region: string;
  availabilityZone: string;
  instanceType: string;
  architecture: string;
  /** When EC2 accepted the launch, as an ISO 8601 UTC string (`2019-10-31T07:02:24.000Z`). */
  pendingTime: string;
}

export interface InstanceIdentity {
  /** The document exactly as served: the signature covers these bytes. */
  documentRaw: string;
  document: IdentityDocument;
  /** Base64 RSA-SHA256 signature of documentRaw, whitespace removed; null when not served. */
  signature: string | null;
  /** Base64 PKCS#7 (rsa2048, else pkcs7), whitespace removed; null when neither is served. */
  pkcs7: string | null;
  /** From the `aws:autoscaling:groupName` tag; null without tags or outside a group. */
  asgName: string | null;
  /** Instance tags; null when not enabled in config or not enabled in the instance's metadata. */
  tags: Record<string, string> | null;
  /** The value of the configured version tag; null when absent. */
  versionTagValue: string | null;
  /** What was missing or odd, one line each, for the agent's log. */
  notes: string[];
}

export type IdentityDocumentResult =
  { ok: true; document: IdentityDocument; notes: string[] } | { ok: false; problems: string[] };

const Dynamic = '/latest/dynamic/instance-identity';
const TagsPath = '/latest/meta-data/tags/instance';
export const AsgNameTag = 'aws:autoscaling:groupName';
/** Characters EC2 allows in tag keys when tags are exposed in metadata; all are safe in a path. */
const TagKey = /^[A-Za-z0-9+\-=._:@]{1,128}$/;
const RequiredFields = [
  'instanceId',
  'imageId',
  'accountId',
  'region',
  'availabilityZone',
  'instanceType',
  'architecture',
  'pendingTime',
] as const;
/** RFC 3339 with a zone, as IMDS writes pendingTime: `2019-10-31T07:02:24Z`. */
const Rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * Parses and checks an identity document. Missing or mistyped fields are problems (the document
 * is unusable); values of an unusual shape are notes (an account id of 10 digits in a mock).
 */
export function parseIdentityDocument(raw: string): IdentityDocumentResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    return { ok: false, problems: [`not JSON (${errorMessage(e)}): '${raw.slice(0, 80)}'`] };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, problems: [`expected a JSON object, got '${raw.slice(0, 80)}'`] };
  }
  const fields = parsed as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of RequiredFields) {
    const v = fields[name];
    if (v === undefined || v === null) problems.push(`${name} is missing`);
    else if (typeof v !== 'string' || v === '') {
      problems.push(`${name}: expected a non-empty string, got ${JSON.stringify(v)}`);
    }
  }
  const pending = fields.pendingTime;
  if (typeof pending === 'string' && pending !== '' && !isRfc3339(pending)) {
    problems.push(
      `pendingTime: expected an RFC 3339 time like 2019-10-31T07:02:24Z, got '${pending}'`,
    );
  }
  if (problems.length > 0) return { ok: false, problems };

  const s = (name: (typeof RequiredFields)[number]) => fields[name] as string;
  const document: IdentityDocument = {
    instanceId: s('instanceId'),
    imageId: s('imageId'),
    accountId: s('accountId'),
    region: s('region'),
    availabilityZone: s('availabilityZone'),
    instanceType: s('instanceType'),
    architecture: s('architecture'),
    pendingTime: new Date(s('pendingTime')).toISOString(),
  };
  const notes: string[] = [];
  const shape = (name: keyof IdentityDocument, re: RegExp, expected: string) => {
    if (!re.test(document[name]))
      notes.push(`identity ${name} '${document[name]}' is not ${expected}`);
  };
  shape('instanceId', /^i-[0-9a-f]{8,17}$/, 'i- and 8 or 17 hex digits');
  shape('imageId', /^ami-[0-9a-f]{8,17}$/, 'ami- and 8 or 17 hex digits');
  shape('accountId', /^\d{12}$/, '12 digits');
  if (!document.availabilityZone.startsWith(document.region)) {
    notes.push(
      `identity availabilityZone '${document.availabilityZone}' is not in region '${document.region}'`,
    );
  }
  return { ok: true, document, notes };
}

function isRfc3339(text: string): boolean {
  return Rfc3339.test(text) && !Number.isNaN(Date.parse(text));
}

export interface ReadIdentityOptions {
  /** Read instance tags (the instance must also have tags in metadata enabled). */
  tagsEnabled: boolean;
  /** Tag key holding the AMI version, e.g. `bootwatch:version`. */
  versionTag: string;
}

/**
 * Reads the identity from IMDS. Throws BW_IMDS_NOT_FOUND / BW_IMDS_BAD_RESPONSE when the document
 * is absent or unusable, and lets the client's BW_IMDS_DISABLED / BW_IMDS_UNREACHABLE through: the
 * caller reports the boot without an identity then. Everything after the document degrades.
 */
export async function readInstanceIdentity(
  client: Pick<ImdsClient, 'get'>,
  options: ReadIdentityOptions,
): Promise<InstanceIdentity> {
  const documentRaw = await client.get(`${Dynamic}/document`);
  if (documentRaw === null) {
    throw new BootwatchError('BW_IMDS_NOT_FOUND', `IMDS has no ${Dynamic}/document (404)`);
  }
  const parsed = parseIdentityDocument(documentRaw);
  if (!parsed.ok) {
    throw new BootwatchError(
      'BW_IMDS_BAD_RESPONSE',
      `IMDS served an unusable ${Dynamic}/document: ${parsed.problems.join('; ')}`,
    );
  }
  const notes = [...parsed.notes];
  const optional = async (path: string): Promise<string | null> => {
    try {
      return await client.get(path);
    } catch (e) {
      if (!isBootwatchError(e)) throw e;
      notes.push(`${path} not read: ${e.message}`);
      return null;
    }
  };

  const [signature, rsa2048, tags] = await Promise.all([
    optional(`${Dynamic}/signature`),
    optional(`${Dynamic}/rsa2048`),
    options.tagsEnabled ? readTags(optional, notes) : Promise.resolve(null),
  ]);
  if (signature === null)
    notes.push(`${Dynamic}/signature not served: the collector cannot verify`);
  let pkcs7 = rsa2048;
  if (pkcs7 === null) {
    pkcs7 = await optional(`${Dynamic}/pkcs7`);
    // pkcs7 is signed with AWS's DSA key, rsa2048 with its RSA key: the collector needs to know.
    notes.push(
      pkcs7 === null
        ? `neither ${Dynamic}/rsa2048 nor /pkcs7 is served`
        : `${Dynamic}/rsa2048 not served; sent the DSA-signed /pkcs7 instead`,
    );
  }
  if (!options.tagsEnabled) notes.push('instance tags not read: tags are disabled in the config');

  return {
    documentRaw,
    document: parsed.document,
    signature: signature === null ? null : signature.replace(/\s+/g, ''),
    pkcs7: pkcs7 === null ? null : pkcs7.replace(/\s+/g, ''),
    asgName: tags?.[AsgNameTag] ?? null,
    tags,
    versionTagValue: tags?.[options.versionTag] ?? null,
    notes,
  };
}

async function readTags(
  get: (path: string) => Promise<string | null>,
  notes: string[],
): Promise<Record<string, string> | null> {
  const list = await get(TagsPath);
  if (list === null) {
    notes.push(
      `${TagsPath} answered 404: instance tags are not enabled in this instance's metadata options`,
    );
    return null;
  }
  const keys = list.split('\n').filter((k) => k !== '');
  const tags: Record<string, string> = {};
  // EC2 allows at most 50 tags per instance, so reading them all at once is bounded.
  const values = await Promise.all(
    keys.map((key) => {
      if (TagKey.test(key)) return get(`${TagsPath}/${key}`);
      notes.push(`instance tag key '${key}' has characters IMDS does not serve; skipped`);
      return Promise.resolve(null);
    }),
  );
  keys.forEach((key, i) => {
    const value = values[i];
    if (value !== null && value !== undefined) tags[key] = value;
  });
  return tags;
}
