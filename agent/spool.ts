// The spool: where a boot report waits until the collector acknowledged it. Delivery is
// at-least-once: a report is written here (atomically: temp file, fsync, rename) before the first
// send and removed only after a 2xx; a marker then remembers that the boot was reported, so that
// an agent restarted by systemd, or after a crash, never builds a second record for the same boot.
//
// Layout under the spool directory:
//   pending/<bootId>.json      reports not yet acknowledged (from this boot or an earlier one)
//   sent/<bootId>              acknowledged boots (empty files)
//   rejected/<bootId>.json     reports the collector refused (the entry and its answer): never sent
//                              again by the agent; an operator moves one back to pending/ to resend
//   seen/<instanceId>/<bootId> boots this agent observed on an instance (first boot vs reboot)
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
  existsSync,
} from 'node:fs';
import { join } from 'node:path';
import { bootReportProblems, type BootReport } from '../shared/boot-report.js';
import { BootwatchError, errorMessage } from '../shared/errors.js';

/** The signed identity, as the collector needs it to verify the sender. */
export interface SpooledIdentity {
  documentB64: string;
  signatureB64: string | null;
  pkcs7B64: string | null;
}

/** What the collector needs from an IMDS identity to verify the sender (headers of each send). */
export function spooledIdentity(identity: {
  documentRaw: string;
  signature: string | null;
  pkcs7: string | null;
}): SpooledIdentity {
  return {
    documentB64: Buffer.from(identity.documentRaw, 'utf8').toString('base64'),
    signatureB64: identity.signature,
    pkcs7B64: identity.pkcs7,
  };
}

export interface SpoolEntry {
  version: 1;
  report: BootReport;
  /** The OTLP resource attributes, fixed when the report was built (host facts included). */
  resource: Record<string, string | number | boolean>;
  identity: SpooledIdentity | null;
  createdAtMs: number;
}

/** Why the collector refused a report, kept beside it under rejected/. */
export interface Rejection {
  atMs: number;
  /** The collector's words: the partial success's error message, or the 400 answer. */
  message: string;
  /** From a partial success: how many of the `sentDataPoints` it rejected. */
  rejectedDataPoints?: number;
  sentDataPoints?: number;
  /** From an HTTP error answer. */
  status?: number;
}

/** Boot ids and instance ids become file names: refuse anything that could escape the folder. */
const SafeName = /^[A-Za-z0-9._:-]{1,128}$/;

function safe(name: string, what: string): string {
  if (!SafeName.test(name) || name === '.' || name === '..') {
    throw new BootwatchError('BW_SPOOL_IO', `${what} '${name}' cannot be used as a file name`);
  }
  return name;
}

function io<T>(action: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BootwatchError) throw e;
    throw new BootwatchError('BW_SPOOL_IO', `${action}: ${errorMessage(e)}`, { cause: e });
  }
}

export class Spool {
  constructor(readonly dir: string) {}

  private path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Writes the entry durably; a crash leaves either the old state or the complete new file. */
  put(entry: SpoolEntry): void {
    this.writeDurably('pending', safe(entry.report.bootId, 'boot id'), JSON.stringify(entry));
  }

  private writeDurably(folder: string, id: string, text: string): void {
    io(`writing ${this.path(folder, id)}.json`, () => {
      mkdirSync(this.path(folder), { recursive: true });
      const tmp = this.path(folder, `.${id}.${process.pid}.tmp`);
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path(folder, `${id}.json`));
      fsyncDir(this.path(folder));
    });
  }

  /** Pending entries, oldest first. A file that does not parse is moved aside, not lost. */
  pending(log: (msg: string) => void = () => {}): SpoolEntry[] {
    const dir = this.path('pending');
    if (!existsSync(dir)) return [];
    const entries: SpoolEntry[] = [];
    for (const name of io(`listing ${dir}`, () => readdirSync(dir)).sort()) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const file = join(dir, name);
      try {
        const entry = JSON.parse(readFileSync(file, 'utf8')) as SpoolEntry;
        const problems =
          entry.version === 1 ? bootReportProblems(entry.report) : ['unknown version'];
        if (problems.length > 0) throw new Error(problems.join(', '));
        entries.push(entry);
      } catch (e) {
        log(`spool entry ${file} is unreadable (${errorMessage(e)}); moved to ${file}.bad`);
        io(`moving ${file} aside`, () => renameSync(file, `${file}.bad`));
      }
    }
    return entries.sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  /** After a 2xx: remember the boot as sent, then drop the pending file (in that order). */
  acknowledge(bootId: string): void {
    const id = safe(bootId, 'boot id');
    io(`acknowledging ${id}`, () => {
      mkdirSync(this.path('sent'), { recursive: true });
      closeSync(openSync(this.path('sent', id), 'w'));
      fsyncDir(this.path('sent'));
      rmSync(this.path('pending', `${id}.json`), { force: true });
    });
  }

  /**
   * Moves a report the collector refused out of pending/ into rejected/, with the collector's
   * answer: kept for whoever fixes the cause, never resent blindly. Returns the file's path.
   */
  reject(entry: SpoolEntry, rejection: Rejection): string {
    const id = safe(entry.report.bootId, 'boot id');
    this.writeDurably('rejected', id, JSON.stringify({ ...entry, rejection }));
    io(`removing ${this.path('pending', id)}.json`, () =>
      rmSync(this.path('pending', `${id}.json`), { force: true }),
    );
    return this.path('rejected', `${id}.json`);
  }

  isRejected(bootId: string): boolean {
    return existsSync(this.path('rejected', `${safe(bootId, 'boot id')}.json`));
  }

  isSent(bootId: string): boolean {
    return existsSync(this.path('sent', safe(bootId, 'boot id')));
  }

  hasPending(bootId: string): boolean {
    return existsSync(this.path('pending', `${safe(bootId, 'boot id')}.json`));
  }

  /**
   * Records that this boot was observed on this instance and tells whether it is the first one:
   * true when no other boot of the same instance id was seen before. An image baked with an empty
   * spool (the Packer example removes it) starts every new instance with a first boot.
   */
  markSeen(instanceId: string, bootId: string): boolean {
    const first = this.isFirstBoot(instanceId, bootId);
    const dir = this.path('seen', safe(instanceId, 'instance id'));
    io(`recording boot ${bootId}`, () => {
      mkdirSync(dir, { recursive: true });
      closeSync(openSync(join(dir, safe(bootId, 'boot id')), 'a'));
    });
    return first;
  }

  /** markSeen's answer without recording anything (for --dry-run). */
  isFirstBoot(instanceId: string, bootId: string): boolean {
    const dir = this.path('seen', safe(instanceId, 'instance id'));
    if (!existsSync(dir)) return true;
    return io(`listing ${dir}`, () => readdirSync(dir)).every((n) => n === bootId);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
