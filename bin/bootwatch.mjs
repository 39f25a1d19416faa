#!/usr/bin/env node
// The `bootwatch` command. Runs the compiled CLI from dist/ (npm run build); in a source checkout
// without a build, it says what to do instead of failing with a stack trace.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(compiled)) {
  console.error(
    'bootwatch: dist/ is missing; run `npm run build` first (or `npx tsx cli/main.ts ...` from a checkout)',
  );
  process.exit(2);
}
const { main } = await import(pathToFileURL(compiled).href);
process.exitCode = await main(process.argv.slice(2));
