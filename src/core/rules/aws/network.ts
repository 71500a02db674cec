/**
 * Network exposure rules: security groups, network ACLs, subnets. They read the normalised attributes of
 * src/core/network/attributes.ts, which both the Terraform and the AWS snapshot parsers write.
 */
import type { JsonObject, NodeInput } from '../../inventory/types.ts';
import {
  fail,
  isRec,
  label,
  notApplicable,
  pass,
  type Rec,
  readBool,
  readList,
  readNum,
  readStr,
  skip,
  UNK,
} from '../read.ts';
import type { ControlRef, GraphView, Rule, Severity, Verdict } from '../types.ts';

const SG = 'aws.ec2.security_group';
const PREFIX_LIST = 'aws.ec2.managed_prefix_list';
const NACL = 'aws.ec2.network_acl';
const SUBNET = 'aws.ec2.subnet';

type Family = 'ipv4' | 'ipv6';
const PROTOCOL_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '-1': 'all' };
const protocolName = (p: string) => PROTOCOL_NAMES[p] ?? `protocol ${p}`;
/** A source that is the whole internet: any address (`0.0.0.0/0`, `::/0`). */
const isAnywhere = (cidr: string, family: Family) =>
  cidr.endsWith('/0') && (family === 'ipv6' ? cidr.includes(':') : !cidr.includes(':'));

interface Exposure extends JsonObject {
  rule_index: number;
  protocol: string;
  port: number;
  /** The CIDR; `prefix_list_id` (when present) names the managed prefix list it is an entry of. */
  source: string;
  rule_ports: string;
}

/** The managed prefix lists of the inventory by id (an index built once per evaluation). */
const prefixLists = (graph: GraphView) =>
  graph.memo(`${PREFIX_LIST}#prefix_list_id`, () => {
    const m = new Map<string, NodeInput[]>();
    for (const n of graph.ofType(PREFIX_LIST)) {
      const id = n.attributes.prefix_list_id;
      if (typeof id === 'string' && id !== '') m.set(id, [...(m.get(id) ?? []), n]);
    }
    return m;
  });

/** `all ports`, `port 22`, `ports 20-25`. */
function portsText(from: number | null, to: number | null): string {
  if (from === null || to === null) return 'all ports';
  return from === to ? `port ${from}` : `ports ${from}-${to}`;
}

/**
 * The ingress rules of a group that let TCP `ports` in from anywhere (`families`): a CIDR of the rule, or one
 * of a managed prefix list it names (when the list is in the inventory). `unknown` says some rule or part of
 * one is known only after apply (then a group with no known exposure cannot be called clean).
 */
function exposures(node: NodeInput, ports: readonly number[], families: readonly Family[], graph: GraphView) {
  const ingress = readList(node.attributes.ingress);
  if (ingress === UNK) return { found: [] as Exposure[], unknown: true, recorded: true };
  if (ingress === null) return { found: [] as Exposure[], unknown: false, recorded: false };
  const found: Exposure[] = [];
  let unknown = false;
  ingress.forEach((raw, index) => {
    if (!isRec(raw)) {
      unknown ||= raw !== null;
      return;
    }
    const protocol = readStr(raw.protocol);
    if (protocol === UNK) {
      unknown = true;
      return;
    }
    if (protocol !== '6' && protocol !== '-1') return; // only TCP (or all traffic) reaches these services
    const from = readNum(raw.from_port);
    const to = readNum(raw.to_port);
    if (from === UNK || to === UNK) {
      unknown = true;
      return;
    }
    const covered = ports.filter((p) => from === null || to === null || (from <= p && p <= to));
    if (covered.length === 0) return;
    const expose = (cidr: string, prefixList: string | null) => {
      for (const port of covered)
        found.push({
          rule_index: index,
          protocol: protocolName(protocol),
          port,
          source: cidr,
          ...(prefixList === null ? {} : { prefix_list_id: prefixList }),
          rule_ports: portsText(from, to),
        });
    };
    for (const family of families) {
      const list = readList(family === 'ipv4' ? raw.cidrs : raw.ipv6_cidrs);
      if (list === UNK) {
        unknown = true;
        continue;
      }
      for (const cidr of list ?? []) {
        if (typeof cidr !== 'string') {
          unknown ||= cidr !== null;
          continue;
        }
        if (isAnywhere(cidr, family)) expose(cidr, null);
      }
    }
    // A prefix list holding 0.0.0.0/0 or ::/0 opens the rule to the whole internet as the CIDR itself would.
    const lists = readList(raw.prefix_list_ids);
    if (lists === UNK) unknown = true;
    for (const id of lists === UNK ? [] : (lists ?? [])) {
      if (typeof id !== 'string') {
        unknown ||= id !== null;
        continue;
      }
      // The same list may be in the inventory more than once (listed by each account it is shared with).
      const anywhere = new Set<string>();
      for (const pl of prefixLists(graph).get(id) ?? []) {
        const cidrs = readList(pl.attributes.cidrs);
        if (cidrs === UNK) unknown = true;
        else
          for (const cidr of cidrs ?? [])
            if (typeof cidr === 'string' && families.some((f) => isAnywhere(cidr, f))) anywhere.add(cidr);
      }
      for (const cidr of anywhere) expose(cidr, id);
    }
  });
  return { found, unknown, recorded: true };
}

function groupLabel(node: NodeInput): string {
  const id = readStr(node.attributes.group_id);
  const name = readStr(node.attributes.group_name);
  const gid = typeof id === 'string' ? id : node.name;
  return typeof name === 'string' && name !== gid ? `${gid} (${name})` : gid;
}

const MAX_LISTED = 20;

/** The verdict of a port-exposure rule on a security group. */
function exposureVerdict(
  node: NodeInput,
  ports: readonly number[],
  families: readonly Family[],
  graph: GraphView,
): Verdict {
  const { found, unknown, recorded } = exposures(node, ports, families, graph);
  if (!recorded) return skip('the group’s ingress rules are not recorded');
  if (found.length === 0) return unknown ? skip('some ingress rules are known only after apply') : pass();
  const first = found[0] as Exposure;
  const more = found.length > 1 ? ` and ${found.length - 1} more` : '';
  return fail(
    `security group ${groupLabel(node)} allows ${first.protocol === 'all' ? 'all traffic, including' : first.protocol} ` +
      `port ${first.port} from ${first.source}${typeof first.prefix_list_id === 'string' ? ` (prefix list ${first.prefix_list_id})` : ''} (ingress rule index ${first.rule_index}: ${first.protocol} ${first.rule_ports})${more}`,
    {
      group_id: readStr(node.attributes.group_id) === UNK ? null : (readStr(node.attributes.group_id) as string | null),
      exposures: found.slice(0, MAX_LISTED),
      exposures_total: found.length,
    },
  );
}

function portRule(o: {
  id: string;
  title: string;
  severity: Severity;
  ports: readonly number[];
  families: readonly Family[];
  description: string;
  remediation: string;
  controls: readonly ControlRef[];
}): Rule {
  return {
    id: o.id,
    title: o.title,
    severity: o.severity,
    description: o.description,
    remediation: o.remediation,
    resource_types: [SG],
    controls: o.controls,
    check: (node, graph) => exposureVerdict(node, o.ports, o.families, graph),
  };
}

const ADMIN_REMEDIATION =
  'Remove the ingress rule, or narrow its source to the addresses that administer the servers (a VPN or bastion ' +
  'range); prefer AWS Systems Manager Session Manager, which needs no inbound port at all.';

/**
 * Ports FSBP EC2.19 calls high risk (its default `blockedPorts`): FTP, SSH, Telnet, SMTP, POP3, RPC, IMAP,
 * SMB, SQL Server, MySQL, PostgreSQL, Kibana, Elasticsearch, RDP and common development ports.
 */
export const HIGH_RISK_PORTS = [
  20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888,
  9200, 9300,
] as const;

/** The ingress entries of a NACL in evaluation order (lowest rule number first). */
function naclIngress(node: NodeInput): Rec[] | typeof UNK | null {
  const entries = readList(node.attributes.entries);
  if (entries === UNK || entries === null) return entries;
  return entries
    .filter(isRec)
    .filter((e) => readBool(e.egress) !== true)
    .sort((a, b) => (readNum(a.rule_number) as number) - (readNum(b.rule_number) as number));
}

/**
 * Whether traffic from the whole internet (`0.0.0.0/0` or `::/0`) reaches TCP `port` through a network ACL:
 * only entries whose source is the whole address family match every internet source, so the first of those
 * that covers the port decides (a narrower deny before it still lets the rest of the internet through).
 */
function naclDecision(entries: Rec[], port: number, family: Family): { allowed: boolean; rule: number } | null {
  for (const e of entries) {
    const cidr = family === 'ipv4' ? readStr(e.cidr) : readStr(e.ipv6_cidr);
    if (typeof cidr !== 'string' || !isAnywhere(cidr, family)) continue;
    const protocol = readStr(e.protocol);
    if (protocol !== '-1' && protocol !== '6') continue;
    const range = e.port_range;
    if (isRec(range)) {
      const from = readNum(range.from);
      const to = readNum(range.to);
      if (typeof from === 'number' && typeof to === 'number' && (port < from || port > to)) continue;
    }
    return { allowed: readStr(e.action) !== 'deny', rule: readNum(e.rule_number) as number };
  }
  return null; // the implicit `*` rule denies
}

export const networkRules: Rule[] = [
  portRule({
    id: 'aws.sg.ssh_open_to_internet',
    title: 'Security group allows SSH (TCP 22) from 0.0.0.0/0',
    severity: 'HIGH',
    ports: [22],
    families: ['ipv4'],
    description:
      'An ingress rule lets any IPv4 address on the internet reach TCP port 22 of everything in the group. ' +
      'SSH exposed to the internet is brute-forced within minutes of launch.',
    remediation: ADMIN_REMEDIATION,
    controls: [{ framework: 'cis-aws-foundations', control: '5.2' }],
  }),
  portRule({
    id: 'aws.sg.ssh_open_to_ipv6_internet',
    title: 'Security group allows SSH (TCP 22) from ::/0',
    severity: 'HIGH',
    ports: [22],
    families: ['ipv6'],
    description: 'An ingress rule lets any IPv6 address reach TCP port 22 of everything in the group.',
    remediation: ADMIN_REMEDIATION,
    controls: [{ framework: 'cis-aws-foundations', control: '5.3' }],
  }),
  portRule({
    id: 'aws.sg.rdp_open_to_internet',
    title: 'Security group allows RDP (TCP 3389) from 0.0.0.0/0',
    severity: 'HIGH',
    ports: [3389],
    families: ['ipv4'],
    description: 'An ingress rule lets any IPv4 address on the internet reach TCP port 3389 (Remote Desktop).',
    remediation: ADMIN_REMEDIATION,
    controls: [{ framework: 'cis-aws-foundations', control: '5.2' }],
  }),
  portRule({
    id: 'aws.sg.rdp_open_to_ipv6_internet',
    title: 'Security group allows RDP (TCP 3389) from ::/0',
    severity: 'HIGH',
    ports: [3389],
    families: ['ipv6'],
    description: 'An ingress rule lets any IPv6 address reach TCP port 3389 (Remote Desktop).',
    remediation: ADMIN_REMEDIATION,
    controls: [{ framework: 'cis-aws-foundations', control: '5.3' }],
  }),
  portRule({
    id: 'aws.sg.high_risk_ports_open_to_internet',
    title: 'Security group allows unrestricted access to high-risk ports',
    severity: 'CRITICAL',
    ports: HIGH_RISK_PORTS,
    families: ['ipv4', 'ipv6'],
    description:
      'An ingress rule lets the whole internet (0.0.0.0/0 or ::/0) reach a port of a service that should never ' +
      `face it: ${HIGH_RISK_PORTS.join(', ')} (FTP, SSH, Telnet, SMTP, POP3, RPC, IMAP, SMB, databases, ` +
      'Elasticsearch/Kibana, RDP, development servers).',
    remediation:
      'Restrict the rule’s source to known address ranges or security groups, or put the service behind a load ' +
      'balancer or VPN; databases belong in private subnets reachable only from the application’s security group.',
    controls: [{ framework: 'aws-fsbp', control: 'EC2.19' }],
  }),
  {
    id: 'aws.sg.default_group_allows_traffic',
    title: 'Default security group of a VPC does not restrict all traffic',
    severity: 'MEDIUM',
    description:
      'Every VPC has a default security group that resources join when no group is given. With any ingress or ' +
      'egress rule it lets such resources talk to each other or out, by accident.',
    remediation:
      'Remove every inbound and outbound rule of the default group (with Terraform: an aws_default_security_group ' +
      'with no ingress or egress blocks) and give resources purpose-made groups.',
    resource_types: [SG],
    controls: [
      { framework: 'cis-aws-foundations', control: '5.4' },
      { framework: 'aws-fsbp', control: 'EC2.2' },
    ],
    check(node) {
      const name = readStr(node.attributes.group_name);
      if (name === UNK) return skip('the group name is known only after apply');
      if (name !== 'default') return notApplicable();
      const ingress = readList(node.attributes.ingress);
      const egress = readList(node.attributes.egress);
      if (ingress === UNK || egress === UNK) return skip('the group’s rules are known only after apply');
      if (ingress === null || egress === null) return skip('the group’s rules are not recorded');
      if (ingress.length === 0 && egress.length === 0) return pass();
      const vpc = readStr(node.attributes.vpc_id);
      return fail(
        `default security group ${groupLabel(node)}${typeof vpc === 'string' ? ` of ${vpc}` : ''} has ` +
          `${ingress.length} ingress and ${egress.length} egress rule(s); it should have none`,
        { group_id: node.attributes.group_id ?? null, ingress_rules: ingress.length, egress_rules: egress.length },
      );
    },
  },
  {
    id: 'aws.nacl.admin_ports_open_to_internet',
    title: 'Network ACL allows ingress from the internet to remote administration ports',
    severity: 'MEDIUM',
    description:
      'The network ACL admits traffic from 0.0.0.0/0 or ::/0 to TCP port 22 (SSH) or 3389 (RDP): the subnet-level ' +
      'guard rail is open, leaving only security groups between the internet and remote administration.',
    remediation:
      'Add a deny entry for TCP 22 and 3389 from 0.0.0.0/0 and ::/0 numbered below the allow entry, or narrow the ' +
      'allow entry’s source to trusted ranges.',
    resource_types: [NACL],
    controls: [
      { framework: 'cis-aws-foundations', control: '5.1' },
      { framework: 'aws-fsbp', control: 'EC2.21' },
    ],
    check(node) {
      const entries = naclIngress(node);
      if (entries === UNK) return skip('the ACL’s entries are known only after apply');
      if (entries === null) return skip('the ACL’s entries are not recorded');
      const open: JsonObject[] = [];
      for (const port of [22, 3389])
        for (const family of ['ipv4', 'ipv6'] as const) {
          const d = naclDecision(entries, port, family);
          if (d?.allowed) open.push({ port, source: family === 'ipv4' ? '0.0.0.0/0' : '::/0', rule_number: d.rule });
        }
      if (open.length === 0) return pass();
      const first = open[0] as { port: number; source: string; rule_number: number };
      const id = readStr(node.attributes.network_acl_id);
      return fail(
        `network ACL ${label(node.name, typeof id === 'string' ? id : null)} allows tcp port ${first.port} from ` +
          `${first.source} (ingress rule ${first.rule_number})${open.length > 1 ? ` and ${open.length - 1} more` : ''}`,
        { network_acl_id: typeof id === 'string' ? id : null, open },
      );
    },
  },
  {
    id: 'aws.ec2.subnet_auto_assigns_public_ip',
    title: 'Subnet assigns public IPv4 addresses automatically',
    severity: 'MEDIUM',
    description:
      'Instances launched in the subnet get a public IPv4 address unless told otherwise, which puts them on the ' +
      'internet as soon as a route and a security group allow it.',
    remediation:
      'Turn off "auto-assign public IPv4 address" (map_public_ip_on_launch = false) and give public addresses ' +
      'explicitly to the few instances that need one, or put them behind a load balancer.',
    resource_types: [SUBNET],
    controls: [{ framework: 'aws-fsbp', control: 'EC2.15' }],
    check(node) {
      const v = readBool(node.attributes.map_public_ip_on_launch);
      if (v === UNK) return skip('map_public_ip_on_launch is known only after apply');
      if (v === null) return skip('map_public_ip_on_launch is not recorded');
      if (!v) return pass();
      const id = readStr(node.attributes.subnet_id);
      return fail(`subnet ${label(node.name, typeof id === 'string' ? id : null)} has map_public_ip_on_launch = true`, {
        subnet_id: typeof id === 'string' ? id : null,
        map_public_ip_on_launch: true,
      });
    },
  },
];
