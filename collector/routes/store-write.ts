// A failed store write is the client's cue to retry (503 + Retry-After), not a bug (500): the
// store rolled the transaction back, so a retry writes it whole.
import { BootwatchError, errorMessage, isBootwatchError } from '../../shared/errors.js';

export async function storeWrite<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (isBootwatchError(e)) throw e;
    throw new BootwatchError(
      'BW_STORE_WRITE',
      `writing ${what} failed and was rolled back; retry: ${errorMessage(e)}`,
      { cause: e },
    );
  }
}
