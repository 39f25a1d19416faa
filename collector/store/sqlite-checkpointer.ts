// WAL checkpoints off the event loop. SQLite copies the WAL back into the database file every
// 1000 pages by default, in whichever commit crosses the mark, and fsyncs both files: a stall of
// the event loop that costs ingest as much as all the writes between two checkpoints. Here the
// writing connection leaves checkpoints to a worker thread with a connection of its own, which
// runs a PASSIVE checkpoint (it never blocks the writer) every CommitsPerCheckpoint commits. The
// writer keeps an automatic checkpoint at a higher mark as a backstop, should the worker fall
// behind or fail; a failed worker hands checkpoints back to the writer for good.
//
// The worker starts at the first checkpoint it is asked for, so that a store that writes little
// (tests, a small fleet) never starts one.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

export const CommitsPerCheckpoint = 128;
/** Pages: the writer checkpoints itself past this (SQLite's default is 1000). */
export const BackstopPages = 16_000;
const DefaultPages = 1000;

// CommonJS, run with `eval`: the worker needs no file of its own next to the compiled code.
const WorkerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
parentPort.on('message', (message) => {
  if (message === 'stop') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // The writer's backstop checkpoints meanwhile; the next request tries again.
  }
  parentPort.postMessage('done');
});
`;

export class SqliteCheckpointer {
  private worker: Worker | null = null;
  private failed = false;
  private inFlight = false;
  private commits = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {
    db.pragma(`wal_autocheckpoint = ${BackstopPages}`);
  }

  /** Called after each commit of the writing connection. */
  committed(): void {
    if (this.failed || this.inFlight || ++this.commits < CommitsPerCheckpoint) return;
    this.commits = 0;
    this.inFlight = true;
    this.start().postMessage('checkpoint');
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker === null) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // The worker is unref'd so that it never keeps an idle process alive, but from here the
    // caller awaits its exit: ref'd again, or the event loop may empty while the 'stop' message
    // is on its way, and Node ends the process with exit code 13 (an unsettled top-level await)
    // before the store closes.
    worker.ref();
    worker.postMessage('stop');
    await exited;
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WorkerSource, {
      eval: true,
      workerData: { driver, path: this.path, busyTimeoutMs: this.busyTimeoutMs },
    });
    worker.unref();
    worker.on('message', () => {
      this.inFlight = false;
    });
    worker.once('error', () => this.fail());
    worker.once('exit', () => {
      if (this.worker === worker) this.fail();
    });
    this.worker = worker;
    return worker;
  }

  private fail(): void {
    this.failed = true;
    this.worker = null;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DefaultPages}`);
  }
}
