// What the store knows of each launch into an Auto Scaling group, for the rollout detector
// (rollouts/detect.ts): group, region, AMI version and launch time. A launch is known from
// EventBridge / CloudTrail events (the launches table: its AMI's version through the image
// registry), from an agent's report (its first boot names its own version and group), or both:
// the agent's version wins (it read the image's manifest), and facts an event did not carry (an
// EC2 state change names no group) come from the report. A report whose launch event never came
// is a sighting too. Launches without a group (not Auto Scaling) are left out.
import type { LaunchSighting } from '../rollouts/detect.js';

/** The query, with the engine's placeholders and boolean literal; `since` (epoch ms) is bound twice. */
export function launchSightingsSql(dialect: {
  param: (n: number) => string;
  true: string;
}): string {
  const [since1, since2] = [dialect.param(1), dialect.param(2)];
  const agentFirst = `b.first_boot = ${dialect.true} AND b.source = 'agent'`;
  return `SELECT l.instance_id,
       COALESCE(l.launched_at_ms, b.launched_at_ms) AS at_ms,
       COALESCE(l.region, b.region) AS region,
       COALESCE(NULLIF(l.asg, ''), b.asg) AS asg,
       COALESCE(b.ami_version, i.version, 'unknown') AS ami_version
     FROM launches l
     LEFT JOIN boots b ON b.instance_id = l.instance_id AND ${agentFirst}
     LEFT JOIN images i ON i.ami_id = l.ami_id
     WHERE COALESCE(l.launched_at_ms, b.launched_at_ms) >= ${since1}
       AND COALESCE(NULLIF(l.asg, ''), b.asg, '') <> ''
       AND COALESCE(l.region, b.region) IS NOT NULL
   UNION ALL
   SELECT b.instance_id, b.launched_at_ms, b.region, b.asg, b.ami_version
     FROM boots b
     WHERE ${agentFirst} AND b.launched_at_ms >= ${since2} AND COALESCE(b.asg, '') <> ''
       AND NOT EXISTS (SELECT 1 FROM launches l WHERE l.instance_id = b.instance_id)`;
}

export function rowToSighting(row: Record<string, unknown>): LaunchSighting {
  return {
    instanceId: String(row.instance_id),
    atMs: Number(row.at_ms),
    region: String(row.region),
    asg: String(row.asg),
    amiVersion: String(row.ami_version),
  };
}
