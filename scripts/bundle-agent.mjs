// Bundles the agent into one file (dist/bootwatch-agent.mjs) to bake into an AMI: no node_modules
// on the image, one file to install, and the least to load at boot.
import { build } from 'esbuild';
import { statSync } from 'node:fs';

const outfile = 'dist/bootwatch-agent.mjs';
await build({
  entryPoints: ['agent/bundle-entry.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: false,
  legalComments: 'linked',
  // CommonJS dependencies (the OpenTelemetry SDK) call require(); give the ESM bundle one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __bwRequire } from 'node:module'; const require = __bwRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
const bytes = statSync(outfile).size;
console.log(`${outfile}: ${(bytes / 1024).toFixed(0)} KiB`);
