// The image manifest: a JSON file written into the image at bake time, the first source of the AMI
// version. DESIGN.md: the manifest, else an instance tag, else `unknown` — never guessed. Reading it
// never throws: whatever is wrong becomes a note and the boot is still reported.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BootReportSchema } from '../shared/boot-report.js';
import { UnknownVersion } from '../shared/conventions.js';
import { PrintablePattern } from '../shared/text.js';

/** Printable as the boot report requires it (shared/text.ts): what passes here passes there. */
const Text = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: PrintablePattern });

/**
 * Field limits follow the boot report's, so that whatever the manifest says fits the report.
 * Other fields a bake pipeline adds are allowed and ignored.
 */
export const ImageManifestSchema = Type.Object({
  version: Text(BootReportSchema.properties.amiVersion.maxLength ?? 128),
  name: Type.Optional(Text(BootReportSchema.properties.amiName.maxLength ?? 256)),
  build_id: Type.Optional(Text(256)),
  git_sha: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{7,64}$' })),
  /** RFC 3339; the date-time format is registered by shared/boot-report.ts, imported above. */
  built_at: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  /** Usually absent: the AMI id only exists after the bake has finished. */
  ami_id: Type.Optional(Type.String({ pattern: '^ami-[0-9a-f]{8,32}$' })),
});

export type ImageManifest = Static<typeof ImageManifestSchema>;

export interface ManifestReading {
  manifest: ImageManifest | null;
  /** What was missing or wrong, for the agent's log; empty when the manifest was read whole. */
  notes: string[];
}

/** A manifest is a few hundred bytes; anything this large is not one. */
const MaxManifestBytes = 64 * 1024;

const OptionalFields = ['name', 'build_id', 'git_sha', 'built_at', 'ami_id'] as const;

/** Reads `join(root, manifestPath)`. Never throws. */
export async function readImageManifest(
  root: string,
  manifestPath: string,
): Promise<ManifestReading> {
  const file = join(root, manifestPath);
  let text: string;
  try {
    const info = await stat(file);
    if (info.size > MaxManifestBytes) {
      return noManifest(
        `manifest ${file} is ${info.size} bytes, over the ${MaxManifestBytes}-byte limit`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return noManifest(`no manifest at ${file}`);
    return noManifest(`cannot read the manifest ${file}: ${code ?? String(e)}`);
  }
  return parseImageManifest(text, file);
}

/** The pure half of readImageManifest: the text of the file and its name, for the notes. */
export function parseImageManifest(text: string, file: string): ManifestReading {
  let document: unknown;
  try {
    // A byte order mark is legal in a file written on Windows and illegal in JSON.
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    return noManifest(`manifest ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return noManifest(`manifest ${file} is not a JSON object`);
  }
  const fields = document as Record<string, unknown>;
  const version = trimmed(fields.version);
  if (version === undefined) return noManifest(`manifest ${file} has no version`);
  if (
    typeof version !== 'string' ||
    !Value.Check(ImageManifestSchema.properties.version, version)
  ) {
    return noManifest(`manifest ${file} has an unusable version ${JSON.stringify(fields.version)}`);
  }

  // A bad optional field costs that field only: the version is what matters.
  const notes: string[] = [];
  const manifest: ImageManifest = { version };
  for (const key of OptionalFields) {
    const value = trimmed(fields[key]);
    if (value === undefined) continue;
    const schema: TSchema = ImageManifestSchema.properties[key];
    if (typeof value === 'string' && Value.Check(schema, value)) manifest[key] = value;
    else notes.push(`manifest ${file}: ignored ${key} ${JSON.stringify(fields[key])}`);
  }
  return { manifest, notes };
}

export type VersionSource = 'manifest' | 'tag' | 'unknown';

export interface ResolvedVersion {
  version: string;
  source: VersionSource;
  notes: string[];
}

/**
 * The AMI version: the manifest's, else the instance tag's value, else `unknown`. A tag value that
 * would not fit the report (empty, too long, control characters) is not used.
 */
export function resolveAmiVersion({
  manifest,
  versionTagValue,
}: {
  manifest: ImageManifest | null;
  versionTagValue?: string | null;
}): ResolvedVersion {
  const tag = trimmed(versionTagValue);
  const tagUsable =
    typeof tag === 'string' && Value.Check(ImageManifestSchema.properties.version, tag);
  const notes: string[] = [];
  if (tag !== undefined && !tagUsable)
    notes.push(`ignored the version tag value ${JSON.stringify(tag)}`);
  if (manifest) {
    if (tagUsable && tag !== manifest.version) {
      notes.push(
        `the version tag says ${tag}, the manifest says ${manifest.version}: using the manifest`,
      );
    }
    return { version: manifest.version, source: 'manifest', notes };
  }
  if (tagUsable) return { version: tag, source: 'tag', notes };
  return { version: UnknownVersion, source: 'unknown', notes };
}

function noManifest(note: string): ManifestReading {
  return { manifest: null, notes: [note] };
}

/**
 * Strings trimmed (a value written by `echo` ends in a newline); null and blank strings are absent;
 * anything else is returned as it is, for the schema to reject.
 */
function trimmed(value: unknown): unknown {
  if (value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  return typeof value === 'string' ? value.trim() : value;
}
