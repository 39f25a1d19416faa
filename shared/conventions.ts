// Every name that crosses a boundary between the parts of bootwatch: OTLP resource and data point
// attributes, OTLP metric names, Prometheus metric and label names, boot phases and failure
// reasons. Rules, dashboards, the agent and the collector all read them from here, so renaming one
// is a change in one file (and a regenerated golden file), never a search-and-replace.

/** OTLP resource attributes of a boot report (OpenTelemetry semantic conventions where one exists). */
export const ResourceAttr = {
  cloudProvider: 'cloud.provider',
  cloudPlatform: 'cloud.platform',
  cloudRegion: 'cloud.region',
  cloudZone: 'cloud.availability_zone',
  cloudAccount: 'cloud.account.id',
  hostId: 'host.id',
  hostType: 'host.type',
  hostArch: 'host.arch',
  hostName: 'host.name',
  imageId: 'host.image.id',
  imageName: 'host.image.name',
  imageVersion: 'host.image.version',
  osType: 'os.type',
  osDescription: 'os.description',
  osVersion: 'os.version',
  serviceName: 'service.name',
  serviceVersion: 'service.version',
  bootId: 'bootwatch.boot.id',
  bootFirst: 'bootwatch.boot.first',
  bootLaunchedAt: 'bootwatch.boot.launched_at',
  bootKernelStartedAt: 'bootwatch.boot.kernel_started_at',
  asgName: 'aws.autoscaling.group.name',
  hostCpuCount: 'bootwatch.host.cpu.count',
  hostCpuModel: 'bootwatch.host.cpu.model',
  hostMemoryBytes: 'bootwatch.host.memory.bytes',
  cloudInitVersion: 'bootwatch.cloud_init.version',
  cloudInitDatasource: 'bootwatch.cloud_init.datasource',
  /** Human-readable detail of a failure: the cloud-init error text, the probe that timed out. */
  failureDetail: 'bootwatch.boot.failure_detail',
} as const;

export const ServiceName = 'bootwatch-agent';
export const CloudProvider = 'aws';
export const CloudPlatform = 'aws_ec2';

/** OTLP metric names (a contract: the collector, rules and dashboards depend on them). */
export const MetricName = {
  timeToReady: 'bootwatch.boot.time_to_ready',
  phaseDuration: 'bootwatch.boot.phase.duration',
  outcome: 'bootwatch.boot.outcome',
  heartbeat: 'bootwatch.agent.heartbeat',
} as const;

/** OTLP data point attributes. */
export const PointAttr = {
  outcome: 'outcome',
  reason: 'reason',
  phase: 'phase',
} as const;

export const Outcomes = ['success', 'failure'] as const;
export type Outcome = (typeof Outcomes)[number];

/**
 * Failure reasons. The agent decides the first four; the collector decides `no_report` (a launch
 * seen in events whose agent never reported before the deadline) and `terminated_before_ready`.
 * A success carries the reason `none`, so that the Prometheus label is never empty.
 */
export const AgentReasons = [
  'cloud_init_error',
  'probe_timeout',
  'unit_failed',
  'agent_error',
] as const;
export const CollectorReasons = ['no_report', 'terminated_before_ready'] as const;
export const Reasons = ['none', ...AgentReasons, ...CollectorReasons] as const;
export type Reason = (typeof Reasons)[number];
export const SuccessReason = 'none';

/**
 * Boot phases, in boot order. Each cloud-init stage is a phase of its own; a stage that did not
 * run (init-local on a datasource without a local stage) is simply absent.
 */
export const Phases = [
  'provisioning', // launched_at -> kernel started (btime): EC2 placement, firmware, bootloader
  'kernel', // kernel started -> PID 1 (systemd) started
  'userspace', // PID 1 started -> cloud-init's first stage started
  'cloud_init_init_local',
  'cloud_init_init',
  'cloud_init_modules_config',
  'cloud_init_modules_final',
  'probe_wait', // cloud-init finished -> every readiness probe passed
] as const;
export type Phase = (typeof Phases)[number];

/** HTTP headers that carry the signed instance identity document from agent to collector. */
export const IdentityHeader = {
  /** base64 of the identity document exactly as IMDS served it (the signature covers these bytes). */
  document: 'x-bootwatch-identity-document',
  /** `/latest/dynamic/instance-identity/signature` (base64 RSA-SHA256), its line breaks removed. */
  signature: 'x-bootwatch-identity-signature',
  /** `/latest/dynamic/instance-identity/rsa2048` with its line breaks removed (base64 PKCS#7). */
  pkcs7: 'x-bootwatch-identity-pkcs7',
} as const;

/** Label value that AMI versions past the cardinality cap, and unknown values, fold into. */
export const OtherLabelValue = 'other';
export const UnknownVersion = 'unknown';
/**
 * What the collector stores for a fact no source gave: an AMI id, region or instance type of a
 * report sent without IMDS (and its version, UnknownVersion, the same word).
 */
export const UnknownFact = UnknownVersion;

/** Prometheus metric names exported by the collector. */
export const PromMetric = {
  bootsTotal: 'bootwatch_boots_total',
  /** Boots whose outcome a later report corrected, with the labels they were first counted under. */
  bootsRetractedTotal: 'bootwatch_boots_retracted_total',
  timeToReadySeconds: 'bootwatch_time_to_ready_seconds',
  /** Time-to-ready observations a correction took back, with the labels they were made under. */
  timeToReadyRetractedSeconds: 'bootwatch_time_to_ready_retracted_seconds',
  launchesTotal: 'bootwatch_launches_total',
  bootPhaseSeconds: 'bootwatch_boot_phase_seconds',
  agentsReporting: 'bootwatch_agents_reporting',
  instancesRunning: 'bootwatch_instances_running',
  sliRatio: 'bootwatch_sli_ratio',
  errorBudgetRemaining: 'bootwatch_error_budget_remaining_ratio',
  burnRate: 'bootwatch_burn_rate',
  sloAlertState: 'bootwatch_slo_alert_state',
  /** OTLP data points a partial success rejected (this replica, since it started). */
  rejectedDataPoints: 'bootwatch_rejected_data_points_total',
  /** Vulnerabilities in the latest scan of each AMI version, by severity and fixable. */
  imageVulnerabilities: 'bootwatch_image_vulnerabilities',
  /** When the latest scan of each AMI version was made (the report's own time). */
  imageScanTimestamp: 'bootwatch_image_scan_timestamp_seconds',
  /** Instances running per AMI version (launches joined with the image registry). */
  imageInstancesRunning: 'bootwatch_image_instances_running',
  /** 1 for the newest registered AMI version, labelled with the version it replaces. */
  imageReplaces: 'bootwatch_image_replaces_info',
  /** Finished rollouts by outcome (promoted, rolled_back, aborted) and source (api, detected). */
  rolloutsTotal: 'bootwatch_rollouts_total',
  /** 1 per active rollout (a canary), labelled with its id, versions and state. */
  rolloutInfo: 'bootwatch_rollout_info',
  /** Per active rollout, 1 for its latest verdict (promote, hold, rollback), 0 for the others. */
  rolloutVerdict: 'bootwatch_rollout_verdict',
} as const;

/** Prometheus label names, the group-by vocabulary of SLOs. */
export const PromLabel = {
  amiId: 'ami_id',
  amiVersion: 'ami_version',
  region: 'region',
  asg: 'asg',
  instanceType: 'instance_type',
  outcome: 'outcome',
  reason: 'reason',
  phase: 'phase',
  slo: 'slo',
  window: 'window',
  severity: 'severity',
  fixable: 'fixable',
  replacedVersion: 'replaced_version',
  rollout: 'rollout',
  candidate: 'candidate',
  baseline: 'baseline',
  state: 'state',
  source: 'source',
  verdict: 'verdict',
} as const;

/** The `baseline` label of a rollout without one (a first version, judged against its SLOs). */
export const NoBaselineLabelValue = 'none';

/**
 * Vulnerability severities as bootwatch counts them (the `severity` label of
 * bootwatch_image_vulnerabilities), worst first. Trivy writes these upper-case; Grype writes
 * them capitalised, and its `Negligible` counts as `low` (scan-summary.ts).
 */
export const VulnerabilitySeverities = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export type VulnerabilitySeverity = (typeof VulnerabilitySeverities)[number];

/**
 * Time-to-ready histogram bucket bounds, in seconds. Shared by the agent's OTLP histogram, the
 * collector's rollups and its Prometheus histogram, so that a bucket means the same everywhere and
 * "ready within 120 s" is an exact bucket count, not an interpolation.
 */
export const TimeToReadyBuckets = [
  5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1800,
] as const;

/** Phase duration histogram bucket bounds, in seconds. */
export const PhaseBuckets = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600] as const;
