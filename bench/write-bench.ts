// What a store's write of a boot costs by itself, in the benchmark's own process: no HTTP, no
// load generator, reports submitted in batches of concurrent writes as the group commit takes
// them. The baseline, in the same process and the same run, is the collector's decode of a boot
// body (decode-bench.ts): the ingest bench's collector pays both, and the ratio says how far a
// store's write alone keeps the collector from the decode-only server. On SQLite the WAL frames
// of a batch, by table, say which pages a commit writes (each frame is a page written to the WAL
// file, two write calls).
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openStore } from '../collector/store/open-store.js';
import type { Store } from '../collector/store/store.js';
import { bootReport } from '../test/support/stores.js';
import { benchStore, closeStore } from './bench-store.js';
import { instanceIdOf } from './otlp-bodies.js';
import { summarize, type Summary } from './stats.js';

export interface WriteFigures {
  engine: 'sqlite' | 'postgres';
  /** Reports submitted at once (the group commit's batch). */
  batch: number;
  /** Wall µs per boot, over rounds. */
  wallUs: Summary;
  /** The process's CPU (every thread, user and system) per boot, µs, over rounds. */
  cpuUs: Summary;
}

export interface WalFrames {
  batch: number;
  /** WAL frames (pages written) per boot, by table or index. */
  perBoot: Record<string, number>;
  total: number;
}

/** WAL header and frame header sizes (the SQLite file format). */
const WalHeaderBytes = 32;
const FrameHeaderBytes = 24;

/** The page number of each frame of a SQLite WAL file, in the order written. */
export function walFramePages(wal: Buffer): number[] {
  if (wal.length < WalHeaderBytes) return [];
  const pageSize = wal.readUInt32BE(8);
  const frames = Math.floor((wal.length - WalHeaderBytes) / (pageSize + FrameHeaderBytes));
  return Array.from({ length: frames }, (_, i) =>
    wal.readUInt32BE(WalHeaderBytes + i * (pageSize + FrameHeaderBytes)),
  );
}

let next = 1;

/** A new first boot, launched two minutes ago, as agents report them. */
function newBoot(): ReturnType<typeof bootReport> {
  const n = next++;
  return bootReport({
    instanceId: instanceIdOf(n),
    bootId: `boot-${instanceIdOf(n)}`,
    launchedAt: new Date(Date.now() - 120_000).toISOString(),
  });
}

async function writeBatches(store: Store, boots: number, batch: number): Promise<void> {
  for (let i = 0; i < boots; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, boots - i) }, () =>
        store.upsertBoot(newBoot(), Date.now()),
      ),
    );
  }
}

/** SQLite: the frames that `commits` batches of `batch` reports append to an emptied WAL. */
async function sqliteFrames(
  store: Store,
  path: string,
  batch: number,
  commits: number,
): Promise<WalFrames> {
  const other = new Database(path);
  try {
    other.pragma('wal_checkpoint(TRUNCATE)');
    await writeBatches(store, batch * commits, batch);
    const pages = walFramePages(readFileSync(`${path}-wal`));
    const owner = new Map(
      (
        other.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[]
      ).map((r) => [r.pageno, r.name]),
    );
    const perBoot: Record<string, number> = {};
    for (const p of pages) {
      const name = owner.get(p) ?? 'free or new';
      perBoot[name] = (perBoot[name] ?? 0) + 1 / (batch * commits);
    }
    return { batch, perBoot, total: pages.length / (batch * commits) };
  } finally {
    other.close();
  }
}

export async function benchWrites(
  engine: 'sqlite' | 'postgres',
  batches: readonly number[],
  boots: number,
  rounds: number,
): Promise<{ writes: WriteFigures[]; frames: WalFrames | null } | null> {
  const s = await benchStore(engine, 'bw_writes');
  if (s === null) return null;
  const store = await openStore(s.spec, { replicaId: 'bench-writes' });
  try {
    await writeBatches(store, 5000, 16); // a table that is not empty, and compiled code
    const wall = new Map<number, number[]>(batches.map((b) => [b, []]));
    const cpu = new Map<number, number[]>(batches.map((b) => [b, []]));
    for (let r = 0; r < rounds; r++) {
      for (const batch of batches) {
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        await writeBatches(store, boots, batch);
        const us = Number(process.hrtime.bigint() - t0) / 1000;
        const c = process.cpuUsage(c0);
        wall.get(batch)!.push(us / boots);
        cpu.get(batch)!.push((c.user + c.system) / boots);
      }
    }
    const frames = engine === 'sqlite' ? await sqliteFrames(store, s.spec, 16, 10) : null;
    return {
      writes: batches.map((batch) => ({
        engine,
        batch,
        wallUs: summarize(wall.get(batch)!),
        cpuUs: summarize(cpu.get(batch)!),
      })),
      frames,
    };
  } finally {
    await closeStore(store);
    await s.drop();
  }
}
