// The fake IMDS moved to simulator/fake-imds.ts (the fleet simulator is product code and must not
// import from test/); this re-exports it for the tests. The loader of the amazon-ec2-metadata-mock
// fixture stays here, beside the fixture it reads.
import { readFileSync } from 'node:fs';
import type { FakeInstanceIdentity } from '../../simulator/fake-imds.js';

export * from '../../simulator/fake-imds.js';

/** One instance for the agent's tests: launched 2026-11-25 12:00:00, in an Auto Scaling group. */
export const ExampleIdentity: FakeInstanceIdentity = {
  instanceId: 'i-0123456789abcdef0',
  imageId: 'ami-0fedcba9876543210',
  region: 'eu-west-1',
  availabilityZone: 'eu-west-1b',
  accountId: '123456789012',
  instanceType: 'm7i.large',
  pendingTime: '2026-11-25T12:00:00Z',
  tags: { 'aws:autoscaling:groupName': 'web-asg', 'bootwatch:ami-version': '2026.11.1' },
};

export const AemmFixturePath = new URL(
  '../fixtures/real/imds/aemm-metadata-default-values.json',
  import.meta.url,
);

type AemmSection = { paths: Record<string, string>; values: Record<string, unknown> };

/**
 * The path -> value map of amazon-ec2-metadata-mock's defaults (see SOURCES.md). Names without a
 * value (spot, events: absent on a normal instance) are left out, so they answer 404. JSON values
 * are served pretty-printed, user data decoded from the base64 the mock stores it in.
 */
export function loadAemmValues(file: URL | string = AemmFixturePath): Record<string, string> {
  const aemm = JSON.parse(readFileSync(file, 'utf8')) as Record<string, AemmSection>;
  const values: Record<string, string> = {};
  for (const [sectionName, section] of Object.entries(aemm)) {
    for (const [name, path] of Object.entries(section.paths)) {
      const v = section.values[name];
      if (v === undefined) continue;
      if (typeof v !== 'string') values[path] = JSON.stringify(v, null, 2);
      else if (sectionName === 'userdata') values[path] = Buffer.from(v, 'base64').toString('utf8');
      else values[path] = v;
    }
  }
  return values;
}
