import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  parseImageManifest,
  readImageManifest,
  resolveAmiVersion,
} from '../../agent/image-manifest.js';
import { BootReportSchema } from '../../shared/boot-report.js';

const ManifestPath = '/etc/bootwatch/image.json';
const base = mkdtempSync(join(tmpdir(), 'bootwatch-manifest-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let roots = 0;

/** A fresh root directory with `content` at /etc/bootwatch/image.json (nothing when undefined). */
function rootWith(content?: string | Buffer): { root: string; file: string } {
  const root = join(base, `root-${++roots}`);
  mkdirSync(join(root, 'etc/bootwatch'), { recursive: true });
  const file = join(root, ManifestPath);
  if (content !== undefined) writeFileSync(file, content);
  return { root, file };
}

const Full = {
  version: '2024.06.1',
  name: 'web-al2023',
  build_id: 'packer-1718000000',
  git_sha: '4f2a9c1d0e',
  built_at: '2024-06-10T08:15:00Z',
  ami_id: 'ami-0abc1234def567890',
};

describe('readImageManifest', () => {
  it('reads every field under the root prefix, ignoring fields it does not know', async () => {
    const { root } = rootWith(JSON.stringify({ ...Full, packer_version: '1.11.0' }, null, 2));
    expect(await readImageManifest(root, ManifestPath)).toEqual({ manifest: Full, notes: [] });
  });

  it('notes a missing manifest', async () => {
    const { root, file } = rootWith();
    expect(await readImageManifest(root, ManifestPath)).toEqual({
      manifest: null,
      notes: [`no manifest at ${file}`],
    });
  });

  it('notes a manifest it cannot read', async () => {
    const { root, file } = rootWith();
    mkdirSync(file);
    expect(await readImageManifest(root, ManifestPath)).toEqual({
      manifest: null,
      notes: [`cannot read the manifest ${file}: EISDIR`],
    });
  });

  it('notes a file too large to be a manifest', async () => {
    const { root, file } = rootWith(Buffer.alloc(70_000, 0x20));
    expect(await readImageManifest(root, ManifestPath)).toEqual({
      manifest: null,
      notes: [`manifest ${file} is 70000 bytes, over the 65536-byte limit`],
    });
  });

  it('notes bad JSON', async () => {
    const { root, file } = rootWith('{"version": "1.0",');
    const reading = await readImageManifest(root, ManifestPath);
    expect(reading.manifest).toBeNull();
    expect(reading.notes).toHaveLength(1);
    expect(reading.notes[0]).toMatch(new RegExp(`^manifest ${file} is not valid JSON: .+`));
  });

  it('reads a manifest written with a byte order mark', async () => {
    const { root } = rootWith(`\uFEFF${JSON.stringify({ version: '7' })}`);
    expect(await readImageManifest(root, ManifestPath)).toEqual({
      manifest: { version: '7' },
      notes: [],
    });
  });
});

describe('parseImageManifest', () => {
  const file = '/etc/bootwatch/image.json';

  it.each([
    ['no version', { name: 'web' }, `manifest ${file} has no version`],
    ['a blank version', { version: '  ' }, `manifest ${file} has no version`],
    ['a null version', { version: null }, `manifest ${file} has no version`],
    ['a number for a version', { version: 42 }, `manifest ${file} has an unusable version 42`],
    [
      'a version longer than the report allows',
      { version: 'v'.repeat(129) },
      `manifest ${file} has an unusable version "${'v'.repeat(129)}"`,
    ],
    [
      'a version with a control character',
      { version: '1.0\u0007' },
      `manifest ${file} has an unusable version "1.0\\u0007"`,
    ],
  ])('notes %s', (_name, document, note) => {
    expect(parseImageManifest(JSON.stringify(document), file)).toEqual({
      manifest: null,
      notes: [note],
    });
  });

  it('notes a JSON value that is not an object', () => {
    expect(parseImageManifest('["2024.06.1"]', file)).toEqual({
      manifest: null,
      notes: [`manifest ${file} is not a JSON object`],
    });
  });

  it('trims what `echo` leaves around a value', () => {
    const text = JSON.stringify({ version: '2024.06.1\n', name: ' web ' });
    expect(parseImageManifest(text, file).manifest).toEqual({ version: '2024.06.1', name: 'web' });
  });

  it('drops a bad optional field with a note and keeps the version', () => {
    const text = JSON.stringify({ ...Full, git_sha: 'not-a-sha', built_at: 'yesterday' });
    const { git_sha: _sha, built_at: _built, ...kept } = Full;
    expect(parseImageManifest(text, file)).toEqual({
      manifest: kept,
      notes: [
        `manifest ${file}: ignored git_sha "not-a-sha"`,
        `manifest ${file}: ignored built_at "yesterday"`,
      ],
    });
  });
});

describe('resolveAmiVersion', () => {
  it('takes the manifest first, and notes a tag that disagrees', () => {
    expect(resolveAmiVersion({ manifest: { version: '2.0' }, versionTagValue: '2.0' })).toEqual({
      version: '2.0',
      source: 'manifest',
      notes: [],
    });
    expect(resolveAmiVersion({ manifest: { version: '2.0' }, versionTagValue: '1.9' })).toEqual({
      version: '2.0',
      source: 'manifest',
      notes: ['the version tag says 1.9, the manifest says 2.0: using the manifest'],
    });
  });

  it('takes the tag when there is no manifest', () => {
    expect(resolveAmiVersion({ manifest: null, versionTagValue: ' 1.9\n' })).toEqual({
      version: '1.9',
      source: 'tag',
      notes: [],
    });
  });

  it('says unknown rather than guess', () => {
    expect(resolveAmiVersion({ manifest: null })).toEqual({
      version: 'unknown',
      source: 'unknown',
      notes: [],
    });
    expect(resolveAmiVersion({ manifest: null, versionTagValue: '' }).source).toBe('unknown');
    expect(resolveAmiVersion({ manifest: null, versionTagValue: 'x'.repeat(200) })).toEqual({
      version: 'unknown',
      source: 'unknown',
      notes: [`ignored the version tag value "${'x'.repeat(200)}"`],
    });
  });

  it('takes only a version the collector accepts: a C1 control or a lone surrogate is ignored', () => {
    // Such a version used to pass here and fail the report's schema: the agent then set its own
    // report aside instead of reporting the boot as version unknown.
    for (const tag of ['1.9\u0085', 'v\ud800']) {
      const resolved = resolveAmiVersion({ manifest: null, versionTagValue: tag });
      expect(resolved).toMatchObject({ version: 'unknown', source: 'unknown' });
    }
    expect(Value.Check(BootReportSchema.properties.amiVersion, '1.9\u0085')).toBe(false);
  });

  it('returns only a value it was given, or unknown', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ minLength: 1, maxLength: 20 })),
        fc.option(fc.string({ maxLength: 140 })),
        (manifestVersion, tag) => {
          const manifest = manifestVersion === null ? null : { version: manifestVersion };
          const { version, source } = resolveAmiVersion({ manifest, versionTagValue: tag });
          if (source === 'manifest') expect(version).toBe(manifestVersion);
          else if (source === 'tag') expect(version).toBe(tag?.trim());
          else expect(version).toBe('unknown');
          expect(source === 'manifest').toBe(manifest !== null);
        },
      ),
    );
  });
});
