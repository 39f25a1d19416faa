// pkijs does its cryptography through a WebCrypto engine it keeps in a process-wide slot. We set
// node's own webcrypto there explicitly rather than rely on pkijs guessing from globalThis at
// import time, so that verification never depends on which module happened to load first.
import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';

/** The DOM Crypto type pkijs is declared against (our tsconfig has no DOM lib). */
type EngineCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'];

let installed = false;

/** Installs node's webcrypto as the pkijs engine (idempotent). Call before any pkijs crypto. */
export function usePkijsNodeEngine(): void {
  if (installed) return;
  const name = 'node-webcrypto';
  // node's webcrypto implements the DOM Crypto interface pkijs is typed against.
  pkijs.setEngine(
    name,
    new pkijs.CryptoEngine({ name, crypto: webcrypto as unknown as EngineCrypto }),
  );
  installed = true;
}
