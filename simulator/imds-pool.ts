// A few fake IMDS servers shared by many simulated instances: an instance leases one for the
// length of its agent run and the server serves that instance's identity meanwhile. As many
// servers as agents run at once, so hundreds of instances cost a handful of ports, not hundreds.
import {
  imdsValuesFor,
  startFakeImds,
  type FakeImds,
  type FakeInstanceIdentity,
} from './fake-imds.js';

export class ImdsPool {
  private readonly free: FakeImds[];
  private readonly waiting: ((imds: FakeImds) => void)[] = [];

  private constructor(private readonly servers: FakeImds[]) {
    this.free = [...servers];
  }

  static async start(size: number): Promise<ImdsPool> {
    const servers: FakeImds[] = [];
    try {
      for (let i = 0; i < size; i++) servers.push(await startFakeImds());
    } catch (e) {
      await Promise.all(servers.map((s) => s.close()));
      throw e;
    }
    return new ImdsPool(servers);
  }

  /** Runs `work` with an IMDS that serves `identity` (and nothing else) until it settles. */
  async lease<T>(
    identity: FakeInstanceIdentity,
    work: (endpoint: string) => Promise<T>,
  ): Promise<T> {
    const imds = this.free.pop() ?? (await new Promise<FakeImds>((r) => this.waiting.push(r)));
    try {
      // Tokens issued to the previous instance must not work for this one.
      imds.revokeTokens();
      imds.setValues(imdsValuesFor(identity, { signature: 'c2ltdWxhdGVk' }));
      return await work(imds.url);
    } finally {
      const next = this.waiting.shift();
      if (next) next(imds);
      else this.free.push(imds);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
  }
}
