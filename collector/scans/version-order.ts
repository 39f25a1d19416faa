// Which AMI version replaces which: versions in the order the image registry first heard of them
// (the earliest registration of any AMI of the version, in any region), so that the newest
// version is the one the bake pipeline registered last and the one before it is what it
// replaces. `unknown` (no version known) has no place in the order.
import { UnknownVersion } from '../../shared/conventions.js';
import type { ImageRecord } from '../model.js';

/** Versions, first registered first; a tie (one pipeline run, several regions) by version. */
export function versionsInOrder(images: readonly ImageRecord[]): string[] {
  const first = new Map<string, number>();
  for (const image of images) {
    if (image.version === UnknownVersion) continue;
    const known = first.get(image.version);
    if (known === undefined || image.registeredAtMs < known) {
      first.set(image.version, image.registeredAtMs);
    }
  }
  return [...first.entries()]
    .sort(([va, a], [vb, b]) => a - b || va.localeCompare(vb, 'en', { numeric: true }))
    .map(([version]) => version);
}

/** The newest version and the one it replaces (null for the first version ever registered). */
export function newestVersion(
  images: readonly ImageRecord[],
): { version: string; replaces: string | null } | null {
  const order = versionsInOrder(images);
  const version = order.at(-1);
  if (version === undefined) return null;
  return { version, replaces: order.at(-2) ?? null };
}
