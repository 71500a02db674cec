/**
 * S3, IAM and logging rules. Most of what they read comes from Terraform (raw attributes of aws_s3_bucket,
 * aws_iam_policy, aws_cloudtrail, aws_kms_key, and the companion resources aws_s3_bucket_public_access_block,
 * aws_s3_bucket_policy, aws_iam_user_policy_attachment, aws_flow_log, which become generic nodes); AWS
 * snapshots record less, and a node whose setting is not recorded is skipped, never failed.
 */
import type { JsonObject, NodeInput } from '../../inventory/types.ts';
import {
  asList,
  fail,
  isRec,
  notApplicable,
  pass,
  type Rec,
  readBool,
  readList,
  readPolicy,
  readStr,
  skip,
  statements,
  UNK,
} from '../read.ts';
import type { GraphView, Rule } from '../types.ts';

const BUCKET = 'aws.s3.bucket';
const BUCKET_PAB = 'aws.s3.bucket_public_access_block';
const ACCOUNT_PAB = 'aws.s3.account_public_access_block';
const BUCKET_POLICY = 'aws.s3.bucket_policy';
const IAM_POLICY = 'aws.iam.policy';
const IAM_USER = 'aws.iam.user';
const VPC = 'aws.ec2.vpc';
const FLOW_LOG = 'aws.ec2.flow_log';
const TRAIL = 'aws.cloudtrail.trail';
const KMS_KEY = 'aws.kms.key';

/** Nodes of `type` grouped by the string value of one attribute (an index built once per evaluation). */
function byAttribute(graph: GraphView, type: string, attribute: string): Map<string, NodeInput[]> {
  return graph.memo(`${type}#${attribute}`, () => {
    const m = new Map<string, NodeInput[]>();
    for (const n of graph.ofType(type)) {
      const v = n.attributes[attribute];
      if (typeof v !== 'string' || v === '') continue;
      const list = m.get(v);
      if (list) list.push(n);
      else m.set(v, [n]);
    }
    return m;
  });
}

const bucketName = (node: NodeInput): string => {
  const b = readStr(node.attributes.bucket);
  return typeof b === 'string' ? b : node.name;
};

const PAB_FLAGS = [
  'block_public_acls',
  'block_public_policy',
  'ignore_public_acls',
  'restrict_public_buckets',
] as const;

/** The four flags of a public access block (or those of `flags`): all true, some false (listed), or unknown. */
function pabState(n: NodeInput, flags: readonly string[] = PAB_FLAGS): { off: string[]; unknown: boolean } {
  const off: string[] = [];
  let unknown = false;
  for (const f of flags) {
    const v = readBool(n.attributes[f]);
    if (v === UNK || v === null) unknown = true;
    else if (!v) off.push(f);
  }
  return { off, unknown };
}

/** A statement that denies requests not sent over TLS (`aws:SecureTransport` = false). */
function deniesInsecureTransport(st: Rec): boolean {
  if (st.Effect !== 'Deny' || !isRec(st.Condition)) return false;
  for (const [op, cond] of Object.entries(st.Condition)) {
    if (!/^Bool(IfExists)?$/.test(op) || !isRec(cond)) continue;
    for (const [k, v] of Object.entries(cond)) {
      if (k.toLowerCase() === 'aws:securetransport' && asList(typeof v === 'boolean' ? String(v) : v).includes('false'))
        return true;
    }
  }
  return false;
}

/** Whether an IAM resource pattern (`*` and `?` wildcards) matches this S3 ARN in some partition. */
function s3ArnMatches(pattern: string, resource: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return ['aws', 'aws-cn', 'aws-us-gov'].some((p) => re.test(`arn:${p}:s3:::${resource}`));
}

/**
 * How a bucket policy denies plain HTTP, as AWS Config's s3-bucket-ssl-requests-only (FSBP S3.5) reads it:
 * `full` when Deny statements with aws:SecureTransport = false cover every principal and every S3 action on
 * the bucket and on all its objects; `partial`, the indexes of such statements that cover less.
 */
function insecureTransportDenial(policy: Rec, bucket: string): { full: boolean; partial: number[] } {
  let onBucket = false;
  let onObjects = false;
  const partial: number[] = [];
  statements(policy).forEach((st, i) => {
    if (!deniesInsecureTransport(st)) return;
    const principal = st.Principal;
    const everyone =
      !('NotPrincipal' in st) && (principal === '*' || (isRec(principal) && asList(principal.AWS).includes('*')));
    const everyAction = !('NotAction' in st) && asList(st.Action).some((a) => a === '*' || a.toLowerCase() === 's3:*');
    const resources = 'NotResource' in st ? [] : asList(st.Resource);
    const bucketToo = resources.some((r) => s3ArnMatches(r, bucket));
    // An object key no prefix in a pattern can match: only a wildcard for every key covers it.
    const objectsToo = resources.some((r) => s3ArnMatches(r, `${bucket}/\u0000`));
    if (everyone && everyAction) {
      onBucket ||= bucketToo;
      onObjects ||= objectsToo;
    }
    if (!(everyone && everyAction && bucketToo && objectsToo)) partial.push(i);
  });
  return { full: onBucket && onObjects, partial };
}

/** Allow statements granting every action on every resource. */
function adminStatements(policy: Rec): number[] {
  const out: number[] = [];
  statements(policy).forEach((st, i) => {
    if (st.Effect !== 'Allow') return;
    if (asList(st.Action).includes('*') && asList(st.Resource).includes('*')) out.push(i);
  });
  return out;
}

/** An AWS-managed policy (`arn:aws:iam::aws:policy/…`): not the account's to fix. */
const awsManaged = (node: NodeInput) => {
  const arn = readStr(node.attributes.arn) ?? node.native_id;
  return typeof arn === 'string' && /^arn:[^:]+:iam::aws:policy\//.test(arn);
};

export const governanceRules: Rule[] = [
  {
    id: 'aws.s3.public_access_not_blocked',
    title: 'S3 bucket does not block public access',
    severity: 'HIGH',
    description:
      'The bucket’s public access block has at least one of its four settings off (and no account-wide block ' +
      'makes up for it), so a bucket policy or ACL can make objects public.',
    remediation:
      'Turn on all four settings (block_public_acls, block_public_policy, ignore_public_acls, ' +
      'restrict_public_buckets) on the bucket, or on the account with aws_s3_account_public_access_block.',
    resource_types: [BUCKET],
    controls: [
      { framework: 'cis-aws-foundations', control: '2.1.4' },
      { framework: 'aws-fsbp', control: 'S3.8' },
    ],
    check(node, graph) {
      const accountBlocks = (node.account ? byAttribute(graph, ACCOUNT_PAB, 'account_id').get(node.account) : []) ?? [];
      if (accountBlocks.some((b) => pabState(b).off.length === 0 && !pabState(b).unknown)) return pass();
      const blocks = byAttribute(graph, BUCKET_PAB, 'bucket').get(bucketName(node)) ?? [];
      if (blocks.length === 0)
        return skip(
          'no public access block is recorded for the bucket (buckets created since April 2023 block by default)',
        );
      // S3 applies each setting that the bucket's or the account's block turns on: only the bucket's settings
      // the account's block leaves off count.
      const onForAccount = (f: string) => accountBlocks.some((b) => readBool(b.attributes[f]) === true);
      const state = pabState(
        blocks[0] as NodeInput,
        PAB_FLAGS.filter((f) => !onForAccount(f)),
      );
      if (state.off.length > 0)
        return fail(`bucket ${bucketName(node)} has public access block settings turned off: ${state.off.join(', ')}`, {
          bucket: bucketName(node),
          settings_off: state.off,
        });
      return state.unknown ? skip('public access block settings are known only after apply') : pass();
    },
  },
  {
    id: 'aws.s3.insecure_transport_allowed',
    title: 'S3 bucket policy does not deny HTTP requests',
    severity: 'MEDIUM',
    description:
      'The bucket policy does not deny requests made without TLS (aws:SecureTransport = false) to every ' +
      'principal, for every S3 action, on the bucket and all its objects, so clients may read and write over plain HTTP.',
    remediation:
      'Add a Deny statement for "s3:*" on the bucket and its objects with the condition ' +
      '{"Bool": {"aws:SecureTransport": "false"}} for every principal.',
    resource_types: [BUCKET],
    controls: [
      { framework: 'cis-aws-foundations', control: '2.1.1' },
      { framework: 'aws-fsbp', control: 'S3.5' },
    ],
    check(node, graph) {
      const name = bucketName(node);
      const policies = (byAttribute(graph, BUCKET_POLICY, 'bucket').get(name) ?? []).map((p) =>
        readPolicy(p.attributes.policy),
      );
      // aws_s3_bucket reads its policy back from AWS ("" when it has none); snapshots give aws.s3.bucket_policy nodes.
      if ('policy' in node.attributes) policies.push(readPolicy(node.attributes.policy));
      const known = policies.filter((p): p is Rec => isRec(p)).map((p) => insecureTransportDenial(p, name));
      if (known.some((d) => d.full)) return pass();
      if (policies.some((p) => p === UNK)) return skip('the bucket policy is known only after apply');
      if (policies.length === 0) return skip('the bucket’s policy is not recorded');
      const partial = [...new Set(known.flatMap((d) => d.partial))].sort((a, b) => a - b);
      if (partial.length > 0)
        return fail(
          `bucket ${name}’s policy denies requests with aws:SecureTransport = false only to some principals, ` +
            `actions or resources (statement index ${partial.join(', ')}); plain HTTP stays allowed for the rest`,
          { bucket: name, has_policy: true, partial_statement_indexes: partial },
        );
      return fail(
        known.length === 0
          ? `bucket ${name} has no bucket policy, so nothing denies requests over plain HTTP`
          : `bucket ${name}’s policy has no statement denying requests with aws:SecureTransport = false`,
        { bucket: name, has_policy: known.length > 0 },
      );
    },
  },
  {
    id: 'aws.iam.policy_allows_full_admin',
    title: 'IAM policy grants full administrative privileges ("*" on "*")',
    severity: 'HIGH',
    description:
      'A customer-managed policy allows every action on every resource. Whoever it is attached to can do anything ' +
      'in the account, including granting themselves more.',
    remediation:
      'Replace "Action": "*" with the actions the role or group really needs (IAM Access Analyzer can generate a ' +
      'policy from CloudTrail activity); keep full administration for a few break-glass roles.',
    resource_types: [IAM_POLICY],
    controls: [
      { framework: 'cis-aws-foundations', control: '1.16' },
      { framework: 'aws-fsbp', control: 'IAM.1' },
    ],
    check(node) {
      if (awsManaged(node)) return notApplicable();
      const policy = readPolicy(node.attributes.policy);
      if (policy === UNK) return skip('the policy document is known only after apply');
      if (policy === null) return skip('the policy document is not recorded');
      const admin = adminStatements(policy);
      if (admin.length === 0) return pass();
      const name = readStr(node.attributes.policy_name);
      return fail(
        `IAM policy ${typeof name === 'string' ? name : node.name} allows "*" actions on "*" resources ` +
          `(statement index ${admin.join(', ')})`,
        {
          statement_indexes: admin,
          attachment_count:
            typeof node.attributes.attachment_count === 'number' ? node.attributes.attachment_count : null,
        },
      );
    },
  },
  {
    id: 'aws.iam.user_has_direct_policies',
    title: 'IAM user has policies attached directly',
    severity: 'LOW',
    description:
      'Permissions are granted to the user itself rather than through a group or role, which makes them hard to ' +
      'review and easy to forget when people change jobs.',
    remediation:
      'Put the user in an IAM group that carries the policies (or let them assume a role) and detach the policies ' +
      'from the user.',
    resource_types: [IAM_USER],
    controls: [
      { framework: 'cis-aws-foundations', control: '1.15' },
      { framework: 'aws-fsbp', control: 'IAM.2' },
    ],
    check(node, graph) {
      const name = readStr(node.attributes.user_name);
      if (name === UNK) return skip('the user name is known only after apply');
      const userName = name ?? node.name;
      const sameAccount = (n: NodeInput) => !node.account || !n.account || n.account === node.account;
      // AWS snapshots: get-account-authorization-details' AttachedManagedPolicies; Terraform: attachment resources.
      const own = readList(node.attributes.attached_policy_arns);
      const attached = new Set(
        own === UNK || own === null ? [] : own.filter((a): a is string => typeof a === 'string'),
      );
      const attachments = graph.memo('iam-user-attachments', () => {
        const m = new Map<string, NodeInput[]>();
        const add = (user: string, n: NodeInput) => m.set(user, [...(m.get(user) ?? []), n]);
        for (const n of graph.ofType('aws.iam.user_policy_attachment')) {
          if (typeof n.attributes.user === 'string') add(n.attributes.user, n);
        }
        for (const n of graph.ofType('aws.iam.user_policy')) {
          if (typeof n.attributes.user === 'string') add(n.attributes.user, n);
        }
        for (const n of graph.ofType('aws.iam.policy_attachment')) {
          for (const u of asList(n.attributes.users)) add(u, n);
        }
        return m;
      });
      const inline = readList(node.attributes.inline_policies);
      if (Array.isArray(inline)) {
        for (const p of inline) {
          if (p && typeof p === 'object' && 'name' in p) attached.add(`inline policy ${String(p.name)}`);
        }
      }
      const terraform = (attachments.get(userName) ?? []).filter(sameAccount);
      for (const n of terraform) {
        const arn = n.attributes.policy_arn;
        attached.add(typeof arn === 'string' ? arn : `inline policy ${String(n.attributes.name ?? n.name)}`);
      }
      // An AWS snapshot's user from list-users: its policies are not in the document, so nothing is known.
      if (attached.size === 0 && node.attributes.policies_listed === false && terraform.length === 0)
        return skip(
          "the snapshot does not list the user's policies (iam list-users); get-account-authorization-details does",
        );
      if (attached.size === 0) return pass();
      const list = [...attached].sort();
      return fail(
        `IAM user ${userName} has ${list.length} policy(ies) attached directly: ${list.slice(0, 5).join(', ')}`,
        {
          user_name: userName,
          policies: list.slice(0, 50),
        },
      );
    },
  },
  {
    id: 'aws.vpc.flow_logs_disabled',
    title: 'VPC has no flow log',
    severity: 'MEDIUM',
    description:
      'No flow log records the VPC’s traffic, so there is nothing to investigate a suspicious connection or an ' +
      'exfiltration with.',
    remediation:
      'Create a flow log for the VPC (traffic type REJECT at least, ALL preferably) to CloudWatch Logs or S3 ' +
      '(Terraform: aws_flow_log with vpc_id).',
    resource_types: [VPC],
    controls: [
      { framework: 'cis-aws-foundations', control: '3.7' },
      { framework: 'aws-fsbp', control: 'EC2.6' },
    ],
    check(node, graph) {
      const vpcId = readStr(node.attributes.vpc_id);
      if (vpcId === UNK) return skip('the VPC id is known only after apply');
      const logs = byAttribute(graph, FLOW_LOG, 'vpc_id').get(vpcId ?? '') ?? [];
      if (logs.length > 0) return pass();
      // Judge a VPC only when its flow logs were read: a snapshot's describe-flow-logs of its account and region
      // says so on the VPC; otherwise (Terraform's aws_flow_log) some flow log of its account and region must be
      // in the inventory. Else "no flow log" would mean "not ingested".
      const placesWithLogs = graph.memo(
        'flow-log-places',
        () => new Set(graph.ofType(FLOW_LOG).map((n) => `${n.account}|${n.region}`)),
      );
      if (node.attributes.flow_logs_recorded !== true && !placesWithLogs.has(`${node.account}|${node.region}`))
        return skip('no flow log of this account and region is recorded in the inventory');
      return fail(`VPC ${node.name}${vpcId && vpcId !== node.name ? ` (${vpcId})` : ''} has no flow log`, {
        vpc_id: vpcId,
      });
    },
  },
  {
    id: 'aws.cloudtrail.log_file_validation_disabled',
    title: 'CloudTrail trail does not validate its log files',
    severity: 'MEDIUM',
    description:
      'Without log file validation, CloudTrail writes no signed digest files, so a log file changed or deleted ' +
      'after delivery cannot be detected.',
    remediation: 'Turn on log file validation (Terraform: enable_log_file_validation = true).',
    resource_types: [TRAIL],
    controls: [
      { framework: 'cis-aws-foundations', control: '3.2' },
      { framework: 'aws-fsbp', control: 'CloudTrail.4' },
    ],
    check(node) {
      const v = readBool(node.attributes.enable_log_file_validation ?? node.attributes.log_file_validation_enabled);
      if (v === UNK) return skip('enable_log_file_validation is known only after apply');
      if (v === null) return skip('log file validation is not recorded');
      return v
        ? pass()
        : fail(`trail ${node.name} has log file validation turned off`, { enable_log_file_validation: false });
    },
  },
  {
    id: 'aws.kms.key_rotation_disabled',
    title: 'Customer-managed KMS key is not rotated',
    severity: 'MEDIUM',
    description: 'Automatic rotation of the symmetric key is off, so the same key material protects data indefinitely.',
    remediation: 'Turn on automatic key rotation (Terraform: enable_key_rotation = true).',
    resource_types: [KMS_KEY],
    controls: [
      { framework: 'cis-aws-foundations', control: '3.6' },
      { framework: 'aws-fsbp', control: 'KMS.4' },
    ],
    check(node) {
      // Only symmetric encryption keys can be rotated automatically.
      const spec = readStr(node.attributes.customer_master_key_spec ?? node.attributes.key_spec);
      const usage = readStr(node.attributes.key_usage);
      if (spec === UNK || usage === UNK) return skip('the key spec is known only after apply');
      if ((spec !== null && spec !== 'SYMMETRIC_DEFAULT') || (usage !== null && usage !== 'ENCRYPT_DECRYPT'))
        return notApplicable();
      // AWS managed keys (describe-key's KeyManager) are rotated by AWS every year, whatever the setting says.
      if (readStr(node.attributes.key_manager) === 'AWS') return notApplicable();
      const v = readBool(node.attributes.enable_key_rotation);
      if (v === UNK) return skip('enable_key_rotation is known only after apply');
      if (v === null) return skip('key rotation is not recorded');
      const id = readStr(node.attributes.key_id);
      return v
        ? pass()
        : fail(`KMS key ${typeof id === 'string' ? id : node.name} has automatic rotation turned off`, {
            key_id: typeof id === 'string' ? id : null,
            enable_key_rotation: false,
          } as JsonObject);
    },
  },
];
