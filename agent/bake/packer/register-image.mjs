#!/usr/bin/env node
/* global fetch, AbortSignal, setTimeout */
// Registers the AMIs of the last Packer run with the bootwatch collector (POST /api/v1/images,
// admin token), so that a launch that never reports is still charged to its AMI version
// (docs/bake.md). The Packer template runs it as a post-processor; it runs as well by hand:
//
//   COLLECTOR_URL=https://bootwatch.example.com BOOTWATCH_ADMIN_TOKEN=... \
//     node register-image.mjs packer-manifest.json
//   node register-image.mjs --list packer-manifest.json   # prints `region ami-id`, one a line
//
// It reads the file Packer's manifest post-processor writes: `builds[]` of every run the file has
// seen, `last_run_uuid` naming the run that just finished. A build's `artifact_id` lists one
// `region:ami-id` per region (more than one when the template copies the image with
// ami_regions), and its `custom_data` holds what the template put there: image_version and
// image_name become the image's version and name, every other non-empty value (git_sha, built_at,
// build_id, source_ami, ...) goes into its build metadata. Node 20 or later, no dependencies: it
// runs on the build host, beside Packer.
import { readFileSync } from 'node:fs';

const Attempts = 3;
const TimeoutMs = 30_000;

function fail(message) {
  console.error(`register-image: ${message}`);
  process.exit(1);
}

/** The images of the last run: { amiId, region, name, version, build } each. */
function imagesOf(manifest, file) {
  const builds = Array.isArray(manifest?.builds) ? manifest.builds : [];
  const run = manifest?.last_run_uuid;
  const last = builds.filter((b) => b?.packer_run_uuid === run);
  if (last.length === 0) fail(`${file}: no build of the last run (last_run_uuid ${run})`);
  return last.flatMap((b) => {
    const data = b.custom_data ?? {};
    if (!data.image_version) fail(`${file}: custom_data.image_version is missing`);
    const build = { packer_run_uuid: b.packer_run_uuid, builder_type: b.builder_type };
    for (const [key, value] of Object.entries(data)) {
      if (key !== 'image_version' && key !== 'image_name' && value !== '') build[key] = value;
    }
    return String(b.artifact_id ?? '')
      .split(',')
      .map((pair) => {
        const [region, amiId] = pair.split(':');
        if (!region || !amiId) fail(`${file}: artifact_id ${b.artifact_id} is not region:ami-id`);
        return {
          amiId,
          region,
          name: data.image_name || undefined,
          version: data.image_version,
          build,
        };
      });
  });
}

async function register(base, token, image) {
  const url = `${base.replace(/\/+$/, '')}/api/v1/images`;
  let last = '';
  for (let attempt = 1; attempt <= Attempts; attempt += 1) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(image),
        signal: AbortSignal.timeout(TimeoutMs),
      });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
      // A 4xx will not change on a retry (a wrong token, a body the collector refuses).
      if (res.status < 500) break;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (attempt < Attempts) await new Promise((r) => setTimeout(r, 2000 * attempt));
  }
  fail(`POST ${url} for ${image.amiId} (${image.region}): ${last}`);
}

const list = process.argv[2] === '--list';
const file = process.argv[list ? 3 : 2];
if (!file) fail('usage: register-image.mjs [--list] packer-manifest.json');
let manifest;
try {
  manifest = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  fail(`${file}: ${e instanceof Error ? e.message : String(e)}`);
}
const images = imagesOf(manifest, file);
if (list) {
  for (const i of images) console.log(`${i.region} ${i.amiId}`);
} else {
  const base = process.env.COLLECTOR_URL;
  const token = process.env.BOOTWATCH_ADMIN_TOKEN;
  if (!base) fail('COLLECTOR_URL is not set (the collector base URL)');
  if (!token)
    fail('BOOTWATCH_ADMIN_TOKEN is not set (from the pipeline secret store, never the image)');
  for (const image of images) {
    await register(base, token, image);
    console.log(`registered ${image.amiId} (${image.region}) as ${image.version}`);
  }
}
