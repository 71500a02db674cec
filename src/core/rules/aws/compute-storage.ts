/**
 * Rules on instances, volumes, databases and load balancers. Each reads attributes both parsers write
 * (src/core/ingest/aws-shapes.ts for AWS snapshots, src/core/ingest/terraform-aws.ts plus the raw
 * Terraform attributes for Terraform) and skips a node whose value is unknown or not recorded.
 */
import type { NodeInput } from '../../inventory/types.ts';
import {
  fail,
  isRec,
  label,
  notApplicable,
  pass,
  readBlock,
  readBool,
  readList,
  readNum,
  readStr,
  skip,
  UNK,
} from '../read.ts';
import type { GraphView, Rule, Verdict } from '../types.ts';

const INSTANCE = 'aws.ec2.instance';
const VOLUME = 'aws.ec2.volume';
const EBS_DEFAULT = 'aws.ebs.encryption_by_default';
const DB = 'aws.rds.db_instance';
/** Terraform's aws_rds_cluster_instance (an Aurora instance; AWS snapshots list it among DBInstances). */
const CLUSTER_INSTANCE = 'aws.rds.cluster_instance';
const CLUSTER = 'aws.rds.cluster';
const LB = 'aws.elbv2.load_balancer';

/** Instances on their way out (or gone) carry no risk worth a finding. */
const GONE_STATES = new Set(['terminated', 'shutting-down']);

function liveInstance(node: NodeInput): boolean {
  const state = readStr(node.attributes.state);
  return !(typeof state === 'string' && GONE_STATES.has(state));
}

const instanceLabel = (node: NodeInput) => {
  const id = readStr(node.attributes.instance_id);
  return label(node.name, typeof id === 'string' ? id : null);
};

const dbLabel = (node: NodeInput) => {
  const id = readStr(node.attributes.db_instance_identifier ?? node.attributes.identifier);
  return typeof id === 'string' ? id : node.name;
};

/**
 * Whether a database instance's storage is encrypted: its own setting, or for a Terraform Aurora instance
 * (which has none) its cluster's, as describe-db-instances reports it for Aurora instances.
 */
function storageEncrypted(node: NodeInput, graph: GraphView): unknown {
  if (node.type !== CLUSTER_INSTANCE || 'storage_encrypted' in node.attributes)
    return node.attributes.storage_encrypted;
  const id = readStr(node.attributes.cluster_identifier);
  if (id === UNK) return node.attributes.cluster_identifier;
  const cluster = graph
    .ofType(CLUSTER)
    .find((c) => c.attributes.cluster_identifier === id && (!node.account || !c.account || c.account === node.account));
  return cluster?.attributes.storage_encrypted;
}

/** Aurora instances take storage, backup and deletion settings from their cluster. */
const isAurora = (node: NodeInput) => {
  const engine = readStr(node.attributes.engine);
  return typeof engine === 'string' && engine.startsWith('aurora');
};

/** A boolean attribute that must be true (`want`), with the usual unknown / not-recorded handling. */
function boolSetting(
  value: unknown,
  name: string,
  want: boolean,
  failMessage: () => string,
  evidence: Record<string, string | number | boolean | null> = {},
): Verdict {
  const v = readBool(value);
  if (v === UNK) return skip(`${name} is known only after apply`);
  if (v === null) return skip(`${name} is not recorded`);
  if (v === want) return pass();
  return fail(failMessage(), { [name]: v, ...evidence });
}

/**
 * A Terraform instance's EBS volumes (`root_block_device`, `ebs_block_device`), which are no nodes of their
 * own. A volume that is a node (describe-volumes, aws_ebs_volume) is judged there; an instance without these
 * blocks (AWS snapshots: describe-volumes lists its volumes) is not counted.
 */
function instanceVolumesVerdict(node: NodeInput, graph: GraphView): Verdict {
  if (!liveInstance(node)) return notApplicable();
  const root = readList(node.attributes.root_block_device);
  const ebs = readList(node.attributes.ebs_block_device);
  if (root === null && ebs === null) return notApplicable();
  const volumeNodes = graph.memo(`${VOLUME}#volume_id`, () => {
    const ids = new Set<string>();
    for (const v of graph.ofType(VOLUME))
      if (typeof v.attributes.volume_id === 'string') ids.add(v.attributes.volume_id);
    return ids;
  });
  let unknown = root === UNK || ebs === UNK;
  let judged = 0;
  const unencrypted: { volume_id: string | null; device: string }[] = [];
  const devices = [
    ...(Array.isArray(root) ? root.map((b) => ({ b, root: true })) : []),
    ...(Array.isArray(ebs) ? ebs.map((b) => ({ b, root: false })) : []),
  ];
  for (const { b, root: isRoot } of devices) {
    if (!isRec(b)) {
      unknown ||= b !== null;
      continue;
    }
    const volumeId = readStr(b.volume_id);
    if (typeof volumeId === 'string' && volumeNodes.has(volumeId)) continue;
    const encrypted = readBool(b.encrypted);
    if (encrypted === UNK || encrypted === null) {
      unknown = true;
      continue;
    }
    judged++;
    if (encrypted) continue;
    const name = readStr(b.device_name);
    unencrypted.push({
      volume_id: typeof volumeId === 'string' ? volumeId : null,
      device: isRoot ? 'root' : typeof name === 'string' ? name : 'ebs',
    });
  }
  if (unencrypted.length > 0)
    return fail(
      `instance ${instanceLabel(node)} has unencrypted EBS volume(s): ` +
        unencrypted.map((v) => (v.volume_id ? `${v.volume_id} (${v.device})` : v.device)).join(', '),
      { instance_id: node.attributes.instance_id ?? null, unencrypted_volumes: unencrypted },
    );
  if (unknown) return skip('the encryption of a volume of the instance is known only after apply or not recorded');
  return judged === 0 ? notApplicable() : pass();
}

export const computeStorageRules: Rule[] = [
  {
    id: 'aws.ec2.imdsv2_not_required',
    title: 'EC2 instance does not require IMDSv2',
    severity: 'HIGH',
    description:
      'The instance metadata service answers IMDSv1 requests (HttpTokens = optional). IMDSv1 lets a server-side ' +
      'request forgery in any application on the instance read the instance role’s credentials.',
    remediation:
      'Set the metadata options to HttpTokens = required (Terraform: metadata_options { http_tokens = "required" }; ' +
      'CLI: aws ec2 modify-instance-metadata-options --http-tokens required), after checking the SDKs in use support IMDSv2.',
    resource_types: [INSTANCE],
    controls: [
      { framework: 'cis-aws-foundations', control: '5.6' },
      { framework: 'aws-fsbp', control: 'EC2.8' },
    ],
    check(node) {
      if (!liveInstance(node)) return notApplicable();
      const block = readBlock(node.attributes.metadata_options);
      const endpoint = readStr(node.attributes.metadata_http_endpoint ?? (isRec(block) ? block.http_endpoint : null));
      if (endpoint === 'disabled') return pass(); // no metadata service at all
      let tokens = readStr(node.attributes.metadata_http_tokens);
      if (tokens === null && isRec(block)) tokens = readStr(block.http_tokens);
      if (tokens === UNK || (tokens === null && block === UNK))
        return skip('metadata options are known only after apply');
      if (tokens === null) return skip('metadata options are not recorded');
      if (tokens === 'required') return pass();
      return fail(`instance ${instanceLabel(node)} has metadata HttpTokens = ${tokens}: IMDSv1 is allowed`, {
        instance_id: node.attributes.instance_id ?? null,
        metadata_http_tokens: tokens,
      });
    },
  },
  {
    id: 'aws.ec2.instance_has_public_ip',
    title: 'EC2 instance has a public IPv4 address',
    severity: 'HIGH',
    description:
      'The instance has a public IPv4 address, so its security groups and network ACLs are all that stands between ' +
      'it and the internet.',
    remediation:
      'Move the instance to a private subnet and reach it through a load balancer, NAT gateway or Session Manager; ' +
      'release or disassociate the public address.',
    resource_types: [INSTANCE],
    controls: [{ framework: 'aws-fsbp', control: 'EC2.9' }],
    check(node) {
      if (!liveInstance(node)) return notApplicable();
      const ip = readStr(node.attributes.public_ip);
      if (ip === UNK) return skip('the public address is known only after apply');
      if (ip === null) return pass();
      return fail(`instance ${instanceLabel(node)} has public IPv4 address ${ip}`, {
        instance_id: node.attributes.instance_id ?? null,
        public_ip: ip,
      });
    },
  },
  {
    id: 'aws.ebs.volume_not_encrypted',
    title: 'EBS volume is not encrypted',
    severity: 'MEDIUM',
    description: 'The volume’s data, its snapshots and the traffic between it and the instance are not encrypted.',
    remediation:
      'Snapshot the volume, copy the snapshot with encryption on, create a volume from it and swap it in; turn on ' +
      'EBS encryption by default in every region so new volumes are encrypted.',
    resource_types: [VOLUME, INSTANCE],
    controls: [
      { framework: 'cis-aws-foundations', control: '2.2.1' },
      { framework: 'aws-fsbp', control: 'EC2.3' },
    ],
    check: (node, graph) =>
      node.type === INSTANCE
        ? instanceVolumesVerdict(node, graph)
        : boolSetting(node.attributes.encrypted, 'encrypted', true, () => `EBS volume ${node.name} is not encrypted`, {
            volume_id: typeof node.attributes.volume_id === 'string' ? node.attributes.volume_id : null,
          }),
  },
  {
    id: 'aws.ebs.encryption_by_default_disabled',
    title: 'EBS encryption by default is off in a region',
    severity: 'MEDIUM',
    description:
      'New EBS volumes and snapshot copies in the region are created unencrypted unless each one asks for ' +
      'encryption.',
    remediation:
      'Turn on EBS encryption by default in every region you use (aws ec2 enable-ebs-encryption-by-default; ' +
      'Terraform: aws_ebs_encryption_by_default with enabled = true).',
    resource_types: [EBS_DEFAULT],
    controls: [
      { framework: 'cis-aws-foundations', control: '2.2.1' },
      { framework: 'aws-fsbp', control: 'EC2.7' },
    ],
    check: (node) =>
      boolSetting(
        node.attributes.enabled,
        'enabled',
        true,
        () => `EBS encryption by default is off in ${node.region}${node.account ? ` of account ${node.account}` : ''}`,
        { region: node.region, account: node.account ?? null },
      ),
  },
  {
    id: 'aws.rds.publicly_accessible',
    title: 'RDS instance is publicly accessible',
    severity: 'CRITICAL',
    description:
      'The database instance has PubliclyAccessible = true: its endpoint resolves to a public address, and only its ' +
      'security groups keep the internet from its database port.',
    remediation:
      'Modify the instance with PubliclyAccessible = false (Terraform: publicly_accessible = false) and reach it from ' +
      'inside the VPC.',
    resource_types: [DB, CLUSTER_INSTANCE],
    controls: [
      { framework: 'cis-aws-foundations', control: '2.3.3' },
      { framework: 'aws-fsbp', control: 'RDS.2' },
    ],
    check(node) {
      const endpoint = readStr(node.attributes.endpoint_address ?? node.attributes.endpoint);
      return boolSetting(
        node.attributes.publicly_accessible,
        'publicly_accessible',
        false,
        () => `RDS instance ${dbLabel(node)} is publicly accessible`,
        { endpoint_address: typeof endpoint === 'string' ? endpoint : null },
      );
    },
  },
  {
    id: 'aws.rds.storage_not_encrypted',
    title: 'RDS instance storage is not encrypted',
    severity: 'MEDIUM',
    description: 'The instance’s storage, automated backups, read replicas and snapshots are not encrypted at rest.',
    remediation:
      'Encryption cannot be turned on in place: snapshot the instance, copy the snapshot with encryption (a KMS key), ' +
      'restore from it and switch the application over (Terraform: storage_encrypted = true on a new instance).',
    resource_types: [DB, CLUSTER_INSTANCE],
    controls: [
      { framework: 'cis-aws-foundations', control: '2.3.1' },
      { framework: 'aws-fsbp', control: 'RDS.3' },
    ],
    check: (node, graph) =>
      boolSetting(
        storageEncrypted(node, graph),
        'storage_encrypted',
        true,
        () => `RDS instance ${dbLabel(node)} has storage_encrypted = false`,
      ),
  },
  {
    id: 'aws.rds.auto_minor_version_upgrade_disabled',
    title: 'RDS instance does not upgrade minor engine versions automatically',
    severity: 'LOW',
    description:
      'Minor engine versions carry security fixes; with automatic minor version upgrade off they are applied only ' +
      'when someone remembers.',
    remediation: 'Set AutoMinorVersionUpgrade = true (Terraform: auto_minor_version_upgrade = true).',
    resource_types: [DB, CLUSTER_INSTANCE],
    controls: [
      { framework: 'cis-aws-foundations', control: '2.3.2' },
      { framework: 'aws-fsbp', control: 'RDS.13' },
    ],
    check: (node) =>
      boolSetting(
        node.attributes.auto_minor_version_upgrade,
        'auto_minor_version_upgrade',
        true,
        () => `RDS instance ${dbLabel(node)} has auto_minor_version_upgrade = false`,
      ),
  },
  {
    id: 'aws.rds.backup_retention_too_short',
    title: 'RDS instance keeps automated backups for fewer than 7 days',
    severity: 'MEDIUM',
    description:
      'Automated backups are off (retention 0) or kept for less than a week, so a mistake noticed late cannot be ' +
      'undone by a point-in-time restore.',
    remediation: 'Set the backup retention period to 7 days or more (Terraform: backup_retention_period = 7).',
    resource_types: [DB],
    controls: [{ framework: 'aws-fsbp', control: 'RDS.11' }],
    check(node) {
      if (isAurora(node)) return notApplicable();
      const days = readNum(node.attributes.backup_retention_period);
      if (days === UNK) return skip('backup_retention_period is known only after apply');
      if (days === null) return skip('backup_retention_period is not recorded');
      if (days >= 7) return pass();
      return fail(
        days === 0
          ? `RDS instance ${dbLabel(node)} has automated backups turned off (retention 0 days)`
          : `RDS instance ${dbLabel(node)} keeps automated backups for ${days} day(s), fewer than 7`,
        { backup_retention_period: days, minimum: 7 },
      );
    },
  },
  {
    id: 'aws.rds.deletion_protection_disabled',
    title: 'RDS instance has no deletion protection',
    severity: 'LOW',
    description: 'Without deletion protection one API call (or a Terraform destroy) deletes the database.',
    remediation: 'Set DeletionProtection = true (Terraform: deletion_protection = true).',
    resource_types: [DB],
    controls: [{ framework: 'aws-fsbp', control: 'RDS.8' }],
    check: (node) =>
      isAurora(node)
        ? notApplicable()
        : boolSetting(
            node.attributes.deletion_protection,
            'deletion_protection',
            true,
            () => `RDS instance ${dbLabel(node)} has deletion_protection = false`,
          ),
  },
  {
    id: 'aws.elbv2.http_not_redirected_to_https',
    title: 'Application load balancer serves plain HTTP instead of redirecting to HTTPS',
    severity: 'MEDIUM',
    description:
      'An HTTP listener of the application load balancer forwards requests to targets, so clients can talk to the ' +
      'application unencrypted.',
    remediation:
      'Make the HTTP listener’s default action a redirect to HTTPS (port 443, status HTTP_301) and serve the ' +
      'application from an HTTPS listener only.',
    resource_types: [LB],
    controls: [{ framework: 'aws-fsbp', control: 'ELB.1' }],
    check(node) {
      const type = readStr(node.attributes.type);
      if (type !== 'application')
        return type === UNK ? skip('the load balancer type is known only after apply') : notApplicable();
      const listeners = readList(node.attributes.listeners);
      if (listeners === UNK) return skip('listeners are known only after apply');
      if (listeners === null || listeners.length === 0) return skip('no listener of the load balancer is recorded');
      const forwarding: { port: number; target_group_arns: string[] }[] = [];
      let unknown = false;
      for (const l of listeners) {
        if (!isRec(l) || String(l.protocol).toUpperCase() !== 'HTTP') continue;
        const groups = readList(l.target_group_arns);
        if (groups === null || groups === UNK) unknown = true;
        else if (groups.length > 0)
          forwarding.push({
            port: readNum(l.port) as number,
            target_group_arns: groups.filter((g): g is string => typeof g === 'string'),
          });
      }
      if (forwarding.length === 0) return unknown ? skip('an HTTP listener’s actions are not recorded') : pass();
      const first = forwarding[0] as { port: number };
      return fail(
        `load balancer ${node.name} forwards plain HTTP on port ${first.port} to targets instead of redirecting to HTTPS`,
        { http_listeners: forwarding },
      );
    },
  },
];
