// Every file the agent reads goes under a root prefix (BOOTWATCH_ROOT, default '/'), so that tests
// and the fleet simulator can hand it a fake machine: /proc, /run/cloud-init, /var/lib/cloud and
// /etc/bootwatch laid out in a temporary directory.
import path from 'node:path';

export const DefaultRoot = '/';

/**
 * The path of `absPath` under `root`: rootPath('/tmp/r', '/proc/uptime') = '/tmp/r/proc/uptime'.
 * `absPath` is normalized against '/' first, so '..' cannot climb out of the root
 * (rootPath('/tmp/r', '/../etc/passwd') = '/tmp/r/etc/passwd').
 */
export function rootPath(root: string, absPath: string): string {
  const inside = path.posix.normalize(`/${absPath}`);
  return path.posix.join(root === '' ? DefaultRoot : root, inside);
}
