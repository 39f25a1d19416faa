// An acknowledged boot survives kill -9 of the collector (WAL, synchronous=NORMAL): a child
// process stores reports and prints each acknowledgement; it is killed mid-stream, and every
// report it acknowledged must be there when the file is opened again.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CommitsPerCheckpoint } from '../../../collector/store/sqlite-checkpointer.js';
import { SqliteStore } from '../../../collector/store/sqlite-store.js';
import { bootReport, T0 } from '../../support/stores.js';

const storeModule = fileURLToPath(
  new URL('../../../collector/store/sqlite-store.ts', import.meta.url),
);

// Runs in the child: writes reports as fast as it can, forever, printing each acknowledgement.
const childCode = `
const { SqliteStore } = await import(process.argv[1]);
const store = new SqliteStore({ path: process.argv[2], replicaId: 'r1' });
await store.migrate();
const base = JSON.parse(process.argv[3]);
for (let i = 0; ; i++) {
  await store.upsertBoot({ ...base, instanceId: 'i-' + i }, Date.now());
  process.stdout.write('acked ' + i + '\\n');
  if (i % 50 === 0) await new Promise((r) => setImmediate(r));
}
`;

/** Starts the child and kills it (SIGKILL) once it acknowledged `atLeast` reports. */
function writeThenKill(path: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        childCode,
        storeModule,
        path,
        JSON.stringify(bootReport()),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let lastAck = -1;
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child acknowledged ${lastAck + 1} reports in 20 s: ${stderr}`));
    }, 20_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) lastAck = Number(line.replace('acked ', ''));
      if (lastAck + 1 >= atLeast && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(lastAck + 1);
      else reject(new Error(`the child exited by itself (${String(_code)}): ${stderr}`));
    });
  });
}

describe('SQLite durability', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged boot after kill -9', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bw-kill-'));
    const path = join(dir, 'bootwatch.db');
    const acked = await writeThenKill(path, 200);
    expect(acked).toBeGreaterThanOrEqual(200);

    const store = new SqliteStore({ path, replicaId: 'r1' });
    try {
      await store.migrate();
      const missing: number[] = [];
      for (let i = 0; i < acked; i++) {
        if ((await store.getBoots(`i-${i}`)).length !== 1) missing.push(i);
      }
      expect(missing).toEqual([]);
      const [rollup] = await store.rollups({ fromMs: 0, toMs: T0 * 2 });
      expect(rollup?.count).toBeGreaterThanOrEqual(acked);
    } finally {
      await store.close();
    }
  });

  it('checkpoints the WAL into the database file off the writing thread', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bw-checkpoint-'));
    const path = join(dir, 'bootwatch.db');
    const store = new SqliteStore({ path, replicaId: 'r1' });
    try {
      await store.migrate();
      const before = statSync(path).size;
      // Each report its own commit: enough commits to ask the checkpointer, far fewer pages than
      // the writer's own backstop checkpoint.
      for (let i = 0; i < 2 * CommitsPerCheckpoint; i++) {
        await store.upsertBoot(bootReport({ instanceId: `i-${i}` }), T0);
      }
      let size = statSync(path).size;
      for (let i = 0; i < 100 && size <= before; i++) {
        await new Promise((r) => setTimeout(r, 50));
        size = statSync(path).size;
      }
      expect(size).toBeGreaterThan(before);
      expect(await store.getBoots(`i-${2 * CommitsPerCheckpoint - 1}`)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
