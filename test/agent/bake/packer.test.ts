// The Packer bake kit without Packer: the template parses with HashiCorp's HCL parser, declares
// its plugin, finds every file from its own folder (not from wherever Packer runs), writes the
// manifest fields the agent reads, and its registration step sends bodies a real collector
// accepts, with the build metadata the template puts in the Packer manifest.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from '@cdktf/hcl2json';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageManifestSchema } from '../../../agent/image-manifest.js';
import type { Store } from '../../../collector/store/store.js';
import { ManualClock } from '../../../shared/clock.js';
import { AdminToken, testApp } from '../../collector/server/harness.js';
import { createHarness, type StoreHarness } from '../../support/stores.js';

const run = promisify(execFile);
const templateDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../agent/bake/packer');
const template = join(templateDir, 'bootwatch.pkr.hcl');
const script = join(templateDir, 'register-image.mjs');

type Json = Record<string, unknown>;
let hcl: Json;

beforeAll(async () => {
  hcl = (await parse('bootwatch.pkr.hcl', readFileSync(template, 'utf8'))) as Json;
});

const build = () => (hcl.build as Json[])[0]!;
const provisioners = (type: string) => ((build().provisioner as Json)[type] ?? []) as Json[];
const postProcessor = (type: string) => ((build()['post-processor'] as Json)[type] as Json[])[0]!;

/** Every string of the template, wherever it is. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** A path as Packer resolves it: path.root is the template's folder (Packer's path variables). */
function resolvePath(text: string): string {
  const locals = Object.assign({}, ...(hcl.locals as Json[])) as Record<string, string>;
  const root = (expr: string) => expr.replaceAll('${path.root}', templateDir);
  const local = (name: string) => {
    const m = /^\$\{abspath\("(.*)"\)\}$/.exec(locals[name] ?? '');
    if (!m) throw new Error(`local.${name} is not abspath("..."): ${locals[name]}`);
    return resolve(root(m[1]!));
  };
  return root(text)
    .replaceAll('${local.bake_dir}', local('bake_dir'))
    .replaceAll('${local.repo_root}', local('repo_root'));
}

describe('the Packer template', () => {
  it('declares the amazon plugin it builds with', () => {
    const packer = (hcl.packer as Json[])[0]!;
    const plugins = (packer.required_plugins as Json[])[0]!;
    expect(plugins.amazon).toMatchObject({ source: 'github.com/hashicorp/amazon' });
    expect(Object.keys(hcl.source as Json)).toEqual(['amazon-ebs']);
  });

  it('finds every file from its own folder, so that it runs from any folder', () => {
    const sources = provisioners('file').flatMap((p) => (p.source ? [String(p.source)] : []));
    expect(sources.length).toBeGreaterThan(0);
    const paths = strings(hcl).filter((s) =>
      /\$\{(path\.root|local\.(bake_dir|repo_root))\}/.test(s),
    );
    for (const source of sources) expect(paths).toContain(source);
    // the service unit and the registration script exist; the bundle once `npm run build` ran
    // (which the template's first step does, and the test suite's setup too)
    for (const source of sources) expect(existsSync(resolvePath(source)), source).toBe(true);
    const register = /node '([^']+register-image\.mjs)'/.exec(
      strings(postProcessor('shell-local')).join('\n'),
    );
    expect(register && resolvePath(register[1]!)).toBe(script);
    expect(resolvePath('${local.repo_root}')).toBe(resolve(templateDir, '../../..'));
  });

  it('builds the agent bundle before uploading it', () => {
    const buildStep = strings(provisioners('shell-local')).join('\n');
    expect(buildStep).toContain("cd '${local.repo_root}'");
    expect(buildStep).toContain('npm run build');
    const bundle = provisioners('file').find((p) =>
      String(p.source).endsWith('/dist/bootwatch-agent.mjs'),
    );
    // Packer checks sources when it validates the template, before the build step runs.
    expect(bundle?.generated).toBe(true);
  });

  it('writes the image manifest fields the agent reads, git_sha included', () => {
    const manifest = provisioners('file').find(
      (p) => p.destination === '/tmp/bootwatch-image.json',
    );
    const content = String(manifest?.content);
    const keys = [...content.matchAll(/\b(\w+)\s*=/g)].map((m) => m[1]!);
    expect(keys).toEqual(
      expect.arrayContaining(['version', 'name', 'build_id', 'built_at', 'git_sha']),
    );
    const known = Object.keys(ImageManifestSchema.properties);
    for (const key of keys.filter((k) => k !== 'source_ami')) expect(known).toContain(key);
    expect(strings(provisioners('shell'))).toContain(
      'install -D -m 0644 /tmp/bootwatch-image.json /etc/bootwatch/image.json',
    );
  });
});

describe('the registration step against a real collector', () => {
  let harness: StoreHarness;
  let store: Store;
  let app: FastifyInstance;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    harness = await createHarness('sqlite');
    const clock = new ManualClock(Date.parse('2026-11-03T10:00:00Z'));
    store = await harness.open({ clock });
    app = await testApp(store, clock);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'bw-bake-'));
  });

  afterAll(async () => {
    await app.close();
    await harness.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A manifest as Packer's manifest post-processor writes it: two runs, the last in two regions. */
  function packerManifest(): string {
    const custom = (postProcessor('manifest').custom_data as Json[] | Json) ?? {};
    const keys = Object.keys(Array.isArray(custom) ? custom[0]! : custom);
    const values: Record<string, string> = {
      image_version: '2026.11.3',
      image_name: 'web-2026.11.3',
      git_sha: '3f2a9c1d0b7e',
      built_at: '2026-11-03T09:41:07Z',
      build_id: 'pipeline-8812',
      source_ami: 'ami-0a1b2c3d4e5f60718',
      source_ami_name: 'al2023-ami-2023.6.20261101.0-kernel-6.1-x86_64',
    };
    expect(keys.sort()).toEqual(Object.keys(values).sort());
    return JSON.stringify({
      builds: [
        {
          name: 'web',
          builder_type: 'amazon-ebs',
          build_time: 1762000000,
          files: null,
          artifact_id: 'eu-west-1:ami-0000000000000aaaa',
          packer_run_uuid: 'old-run',
          custom_data: { ...values, image_version: '2026.11.2' },
        },
        {
          name: 'web',
          builder_type: 'amazon-ebs',
          build_time: 1762162867,
          files: null,
          artifact_id: 'eu-west-1:ami-0123456789abcdef0,us-east-1:ami-0fedcba9876543210',
          packer_run_uuid: 'a8c3e0f4-0d7b-4b8e-9d51-2f0e6c1d7a90',
          custom_data: values,
        },
      ],
      last_run_uuid: 'a8c3e0f4-0d7b-4b8e-9d51-2f0e6c1d7a90',
    });
  }

  it('registers every region of the last run, with its build metadata', async () => {
    const file = join(dir, 'packer-manifest.json');
    writeFileSync(file, packerManifest());
    const { stdout } = await run(process.execPath, [script, file], {
      env: { ...process.env, COLLECTOR_URL: `${url}/`, BOOTWATCH_ADMIN_TOKEN: AdminToken },
    });
    expect(stdout.trim().split('\n')).toEqual([
      'registered ami-0123456789abcdef0 (eu-west-1) as 2026.11.3',
      'registered ami-0fedcba9876543210 (us-east-1) as 2026.11.3',
    ]);
    const images = await store.listImages();
    expect(images.map((i) => [i.amiId, i.region, i.version, i.name])).toEqual([
      ['ami-0123456789abcdef0', 'eu-west-1', '2026.11.3', 'web-2026.11.3'],
      ['ami-0fedcba9876543210', 'us-east-1', '2026.11.3', 'web-2026.11.3'],
    ]);
    expect(images[0]!.build).toEqual({
      packer_run_uuid: 'a8c3e0f4-0d7b-4b8e-9d51-2f0e6c1d7a90',
      builder_type: 'amazon-ebs',
      git_sha: '3f2a9c1d0b7e',
      built_at: '2026-11-03T09:41:07Z',
      build_id: 'pipeline-8812',
      source_ami: 'ami-0a1b2c3d4e5f60718',
      source_ami_name: 'al2023-ami-2023.6.20261101.0-kernel-6.1-x86_64',
    });
  });

  it('lists the AMIs of the last run for a scan step', async () => {
    const file = join(dir, 'packer-manifest.json');
    writeFileSync(file, packerManifest());
    const { stdout } = await run(process.execPath, [script, '--list', file]);
    expect(stdout).toBe('eu-west-1 ami-0123456789abcdef0\nus-east-1 ami-0fedcba9876543210\n');
  });

  it('fails the build, naming the answer, when the collector refuses', async () => {
    const file = join(dir, 'packer-manifest.json');
    writeFileSync(file, packerManifest());
    const failed = await run(process.execPath, [script, file], {
      env: { ...process.env, COLLECTOR_URL: url, BOOTWATCH_ADMIN_TOKEN: 'wrong' },
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(
      /register-image: POST .*\/api\/v1\/images for ami-0123456789abcdef0 \(eu-west-1\): 401/,
    );
  });
});
