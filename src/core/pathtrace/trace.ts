/**
 * trace(): answers "can traffic get from A to B on port P?" over a model.
 *
 * It resolves the query's source and destination to concrete start points
 * and addresses (a node may have several interfaces, a public and a private
 * address, or sit behind a load balancer; "the internet" and "0.0.0.0/0" are
 * turned into representative addresses), walks each candidate forward and
 * back, and returns the first reachable path, or the first path when none is.
 */
import type { NodeInput } from '../inventory/types.ts';
import { AWS_NETWORK_TYPES as T } from '../network/attributes.ts';
import { formatIPv4, type Ipv4Cidr, isIPv6, isPublicIPv4, parseIPv4, parseIPv4Cidr } from '../network/ip.ts';
import { str } from './attrs.ts';
import { awsServiceAt, LINK_LOCAL, LINK_LOCAL_SERVICE_LIST } from './aws-services.ts';
import { cidrDestinationCandidates, internetSourceCandidates } from './candidates.ts';
import { endpointRefusal } from './endpoints.ts';
import { describeFlow, explain } from './explain.ts';
import {
  type EniM,
  icmpSpan,
  type LbListenerM,
  type LbM,
  type LbRuleM,
  type LbTargetM,
  type NetworkModel,
  type NodeEntry,
  privateAddressFor,
  protocolNumber,
  type SubnetM,
} from './model.ts';
import { ALL_PORTS, formatPorts, intersectRange, isEmpty, type PortSet, toRanges, union } from './portset.ts';
import type {
  Disposition,
  Hop,
  HopKind,
  ReturnPath,
  TraceEndpoint,
  TracePath,
  TraceQuery,
  TraceResult,
} from './types.ts';
import { type Endpoint, isSuccess, NAT_PORTS, type Outcome, type Packet, Walker } from './walk.ts';

/** A field of the query and what is wrong with it. */
export interface TraceQueryProblem {
  /** Path in the query: `source.ip`, `destination.node_id`, `port`, `icmp_code`, `ports` (exposure)… */
  field: string;
  message: string;
}

/**
 * A query the tracer cannot run as asked: unknown node (`NODE_NOT_FOUND`), malformed
 * address or port (`INVALID_QUERY`), a node that is neither a source nor a destination
 * of traffic, such as a security group (`NOT_AN_ENDPOINT`). `problems` names the fields.
 */
export class TraceQueryError extends Error {
  constructor(
    readonly code: 'NODE_NOT_FOUND' | 'INVALID_QUERY' | 'NOT_AN_ENDPOINT',
    message: string,
    readonly problems: TraceQueryProblem[] = [],
  ) {
    super(message);
    this.name = 'TraceQueryError';
  }
}

/** An INVALID_QUERY naming its fields; the message says what is wrong with each. */
export function invalidQuery(problems: TraceQueryProblem[], message?: string): TraceQueryError {
  return new TraceQueryError(
    'INVALID_QUERY',
    message ?? problems.map((p) => `${p.field} ${p.message}`).join('; '),
    problems,
  );
}

export interface Flow {
  proto: number;
  ports: PortSet;
  /** False when the query named no port/type (every port is asked about). */
  portsAsked: boolean;
  /** Whether the protocol has a port (or ICMP type/code) dimension. */
  hasPorts: boolean;
  protocolName: string;
  description: string;
}

const DEFAULT_CLIENT_PORTS: PortSet = [1024, 65535];
const PROTOCOL_NAME: Record<number, string> = { [-1]: 'all', 6: 'tcp', 17: 'udp', 1: 'icmp' };

function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535;
}

export function parseFlow(q: Pick<TraceQuery, 'protocol' | 'port' | 'port_range' | 'icmp_type' | 'icmp_code'>): Flow {
  const proto = protocolNumber(q.protocol as string | number);
  if (proto === null) {
    throw invalidQuery(
      [{ field: 'protocol', message: 'must be tcp, udp, icmp, all or an IP protocol number 0–255' }],
      `unknown protocol ${JSON.stringify(q.protocol)}`,
    );
  }
  const hasPortsDim = proto === 6 || proto === 17;
  const given = (fields: readonly (keyof typeof q)[]) => fields.filter((f) => q[f] !== undefined);
  if (!hasPortsDim && given(['port', 'port_range']).length > 0) {
    throw invalidQuery(
      given(['port', 'port_range']).map((field) => ({ field, message: 'applies only to tcp and udp' })),
    );
  }
  if (q.port !== undefined && q.port_range !== undefined) {
    throw invalidQuery([{ field: 'port_range', message: 'give either port or port_range, not both' }]);
  }
  if (proto !== 1 && given(['icmp_type', 'icmp_code']).length > 0) {
    throw invalidQuery(given(['icmp_type', 'icmp_code']).map((field) => ({ field, message: 'applies only to icmp' })));
  }
  let ports: PortSet = ALL_PORTS;
  let portsAsked = false;
  if (hasPortsDim && q.port !== undefined) {
    if (!isPort(q.port)) throw invalidQuery([{ field: 'port', message: `must be an integer 0–65535, got ${q.port}` }]);
    ports = [q.port, q.port];
    portsAsked = true;
  } else if (hasPortsDim && q.port_range !== undefined) {
    const { from, to } = q.port_range;
    if (!isPort(from) || !isPort(to) || from > to) {
      throw invalidQuery([{ field: 'port_range', message: 'needs integers 0 ≤ from ≤ to ≤ 65535' }]);
    }
    ports = [from, to];
    portsAsked = true;
  } else if (proto === 1 && q.icmp_type !== undefined) {
    const t = q.icmp_type;
    const c = q.icmp_code;
    const byte = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 255;
    const bad = (['icmp_type', 'icmp_code'] as const).filter((f) => q[f] !== undefined && !byte(q[f]));
    if (bad.length > 0) throw invalidQuery(bad.map((field) => ({ field, message: 'must be an integer 0–255' })));
    const [lo, hi] = icmpSpan(t, c ?? null);
    ports = [lo, hi];
    portsAsked = true;
  } else if (proto === 1 && q.icmp_code !== undefined) {
    throw invalidQuery([{ field: 'icmp_code', message: 'needs icmp_type' }]);
  } else if (!hasPortsDim && proto !== 1 && proto !== -1) {
    // Protocols without ports: one point stands for "the protocol".
    ports = [0, 0];
  }
  return {
    proto,
    ports,
    portsAsked,
    hasPorts: hasPortsDim || proto === 1,
    protocolName: PROTOCOL_NAME[proto] ?? String(proto),
    description: describeFlow(proto, ports, portsAsked),
  };
}

// ---------------------------------------------------------------------------

type Start =
  | { kind: 'eni'; eni: EniM; ip: number }
  | { kind: 'subnet'; subnet: SubnetM; ip: number }
  | { kind: 'internet'; ip: number | null };

type Target =
  | { kind: 'address'; ip: number; eni: EniM | null; label: string }
  /** A target interface through a load balancer: every registration (port) of it, in registration order. */
  | { kind: 'lb'; lb: LbM; registrations: LbTargetM[]; name: string }
  | { kind: 'cidr'; cidr: Ipv4Cidr; label: string };

interface Ctx {
  model: NetworkModel;
  flow: Flow;
  allPaths: boolean;
  maxPaths: number;
  checkReturn: boolean;
  clientPorts: PortSet;
  /** Assumptions per path, kept aside so the result can report those of the paths it shows. */
  pathAssumptions: Map<TracePath, string[]>;
  queryAssumptions: string[];
}

function eniLabel(eni: EniM, ip: number): string {
  return `${eni.ownerName ?? eni.id} (${formatIPv4(ip)})`;
}

function startLabel(s: Start, ip: number): string {
  if (s.kind === 'eni') return eniLabel(s.eni, ip);
  if (s.kind === 'subnet') return `${formatIPv4(ip)} in ${s.subnet.id}`;
  return `internet address ${formatIPv4(ip)}`;
}

function startInfo(s: Start, ip: number): TraceEndpoint {
  if (s.kind === 'eni') {
    return { node_id: s.eni.ownerNodeId ?? s.eni.nodeId, eni_id: s.eni.id, ip: formatIPv4(ip), kind: 'eni' };
  }
  if (s.kind === 'subnet')
    return { node_id: s.subnet.nodeId, eni_id: null, ip: formatIPv4(ip), kind: 'subnet_address' };
  return { node_id: null, eni_id: null, ip: formatIPv4(ip), kind: 'internet' };
}

function clientOf(s: Start, ip: number): Endpoint {
  if (s.kind === 'eni') return { kind: 'eni', eni: s.eni, ip };
  if (s.kind === 'subnet') return { kind: 'subnet', subnet: s.subnet, ip };
  return { kind: 'internet', ip };
}

function subnetsContaining(model: NetworkModel, ip: number): SubnetM[] {
  const out: SubnetM[] = [];
  for (const s of model.subnetsSorted) {
    if (s.cidr.first > ip) break;
    if (ip <= s.cidr.last) out.push(s);
  }
  return out;
}

function destInfo(model: NetworkModel, ip: number, eni: EniM | null): TraceEndpoint {
  if (eni) return { node_id: eni.ownerNodeId ?? eni.nodeId, eni_id: eni.id, ip: formatIPv4(ip), kind: 'eni' };
  const s = subnetsContaining(model, ip)[0];
  if (s) return { node_id: s.nodeId, eni_id: null, ip: formatIPv4(ip), kind: 'subnet_address' };
  return { node_id: null, eni_id: null, ip: formatIPv4(ip), kind: 'external' };
}

/** A path that failed before any walk (inactive node, no public address…). */
function staticPath(
  ctx: Ctx,
  disposition: Disposition,
  source: TraceEndpoint,
  destination: TraceEndpoint,
  hop: Hop,
  labels: { source: string; destination: string },
): TracePath {
  const return_path: ReturnPath = { evaluated: false, allowed: false };
  const path: TracePath = {
    reachable: false,
    disposition,
    source,
    destination,
    hops: [hop],
    blocked_by: hop,
    return_path,
    // Nothing gets through; null stays for protocols without ports.
    reachable_ports: ctx.flow.hasPorts ? [] : null,
    explanation: explain({
      flow: ctx.flow.description,
      source: labels.source,
      destination: labels.destination,
      disposition,
      hops: [hop],
      blocked: hop,
      returnPath: return_path,
      checkReturn: ctx.checkReturn,
      reachablePorts: null,
    }),
  };
  ctx.pathAssumptions.set(path, []);
  return path;
}

/** The hop kind that stands for a node reached through its interfaces (or a gateway endpoint). */
function nodeHopKind(type: string): HopKind {
  if (type === T.natGateway) return 'nat_gateway';
  if (type === T.loadBalancer) return 'load_balancer';
  if (type === T.vpcEndpoint) return 'vpc_endpoint';
  return 'eni';
}

/** A node named as source or destination that carries no traffic (stopped, deleted, no interface known). */
function inactiveHop(node: NodeInput, note: string, direction: 'egress' | 'ingress'): Hop {
  const kind = nodeHopKind(node.type);
  return { node_id: node.id, native_id: node.native_id, kind, direction, decision: 'drop', rule: null, note };
}

/** The endpoint for a node no address of which was used: its interfaces', or outside (a gateway endpoint's service). */
function nodeEndpoint(node: NodeInput, entry: NodeEntry | undefined): TraceEndpoint {
  const gateway = entry?.endpoint?.type === 'Gateway';
  return { node_id: node.id, eni_id: null, ip: null, kind: gateway ? 'external' : 'eni' };
}

/** The source as the answer reports it when no walk ran. */
function startEndpoint(s: Start | undefined): TraceEndpoint {
  if (!s || (s.kind === 'internet' && s.ip === null)) {
    return { node_id: null, eni_id: null, ip: null, kind: 'internet' };
  }
  return startInfo(s, s.ip as number);
}

// --- source and destination resolution ----------------------------------------------

/**
 * A node named as the source or destination must be something traffic starts from or goes to;
 * anything else (a security group, a route table, a VPC as a source) is a query error naming
 * the fields, never a verdict. Both ends are checked, so one error lists both. `outside`: nodes
 * the caller knows that the model does not hold (a bucket, a role), refused alike.
 */
export function checkEndpoints(
  model: NetworkModel,
  q: TraceQuery,
  outside: ReadonlyMap<string, { id: string; type: string }> = new Map(),
): void {
  const problems: TraceQueryProblem[] = [];
  const messages: string[] = [];
  for (const role of ['source', 'destination'] as const) {
    const end = q[role] as Record<string, unknown>;
    if (typeof end.node_id !== 'string') continue;
    const node = model.nodes.get(end.node_id) ?? outside.get(end.node_id);
    if (!node) continue; // NODE_NOT_FOUND, when it is resolved
    const gateway = model.entries.get(node.id)?.endpoint?.type === 'Gateway';
    const refusal = endpointRefusal(node, role, gateway);
    if (!refusal) continue;
    problems.push({ field: `${role}.node_id`, message: refusal.detail });
    messages.push(refusal.message);
  }
  if (problems.length > 0) throw new TraceQueryError('NOT_AN_ENDPOINT', messages.join('; '), problems);
}

function resolveSource(ctx: Ctx, q: TraceQuery): Start[] | TracePath {
  const { model } = ctx;
  const src = q.source as Record<string, unknown>;
  if (src.internet === true) return [{ kind: 'internet', ip: null }];
  if (typeof src.ip === 'string') {
    const ip = parseIPv4(src.ip);
    if (ip === null) {
      throw invalidQuery(
        [{ field: 'source.ip', message: notIPv4Problem(src.ip, 'address') }],
        notIPv4('source ip', src.ip),
      );
    }
    const subnets = subnetsContaining(model, ip);
    if (subnets.length === 0) {
      const byPublic = model.publicIpIndex.get(ip);
      if (byPublic) return [{ kind: 'eni', eni: byPublic, ip: privateAddressFor(byPublic, ip) }];
      if (isPublicIPv4(ip)) return [{ kind: 'internet', ip }];
      throw invalidQuery(
        [
          {
            field: 'source.ip',
            message:
              'is not inside any modelled subnet, not the public address of a modelled interface, and not a public (internet) address',
          },
        ],
        `source ip ${src.ip} is not inside any modelled subnet`,
      );
    }
    if (subnets.length > 1) {
      ctx.queryAssumptions.push(
        `${src.ip} is inside several modelled subnets (${subnets.map((s) => s.id).join(', ')}); each is tried`,
      );
    }
    return subnets.map((s): Start => {
      const eni = s.eniByIp.get(ip);
      return eni ? { kind: 'eni', eni, ip } : { kind: 'subnet', subnet: s, ip };
    });
  }
  if (typeof src.node_id === 'string') {
    const entry = model.entries.get(src.node_id);
    const node = model.nodes.get(src.node_id);
    if (!node) throw nodeNotFound('source', src.node_id);
    const labels = { source: node.name, destination: destinationText(q, model) };
    const nowhere: TraceEndpoint = { node_id: null, eni_id: null, ip: null, kind: 'external' };
    if (entry?.subnet) {
      const s = entry.subnet;
      let ip = s.cidr.first + 4;
      while (s.eniByIp.has(ip) && ip < s.cidr.last - 1) ip++;
      return [{ kind: 'subnet', subnet: s, ip }];
    }
    if (!entry || entry.enis.length === 0 || entry.inactiveReason) {
      // A node that sends traffic, but not now or not that the inventory shows: the data decides, so an answer.
      const note = entry?.inactiveReason ?? `the inventory has no network interface of ${node.name} (${node.type})`;
      return staticPath(
        ctx,
        'UNSUPPORTED',
        nodeEndpoint(node, entry),
        nowhere,
        inactiveHop(node, note, 'egress'),
        labels,
      );
    }
    return entry.enis.map((eni): Start => ({ kind: 'eni', eni, ip: eni.ips[0]! }));
  }
  throw invalidQuery([{ field: 'source', message: 'needs node_id, ip or internet: true' }]);
}

function nodeNotFound(role: 'source' | 'destination', nodeId: string): TraceQueryError {
  return new TraceQueryError('NODE_NOT_FOUND', `${role} node ${nodeId} is not in the inventory`, [
    { field: `${role}.node_id`, message: 'is not in the inventory' },
  ]);
}

function notIPv4(what: string, text: string): string {
  return isIPv6(text)
    ? `${what} ${text} is IPv6; the path tracer models IPv4 only`
    : `${what} ${text} is not an IPv4 ${what.endsWith('cidr') ? 'CIDR' : 'address'}`;
}

function notIPv4Problem(text: string, kind: 'address' | 'cidr'): string {
  return isIPv6(text) || isIPv6(text.split('/')[0] ?? '')
    ? 'is IPv6; the path tracer models IPv4 only'
    : `must be an IPv4 ${kind === 'address' ? 'address, e.g. 10.0.1.10' : 'CIDR, e.g. 10.0.0.0/16'}`;
}

function destinationText(q: TraceQuery, model?: NetworkModel): string {
  const d = q.destination as Record<string, unknown>;
  const named = typeof d.node_id === 'string' ? model?.nodes.get(d.node_id)?.name : undefined;
  return String(named ?? d.node_id ?? d.ip ?? d.cidr ?? 'the destination');
}

/**
 * From the internet, a set of addresses (a CIDR, a subnet, a VPC) means the public addresses
 * that lead into it: each interface's public address whose own address, private or public,
 * is in one of `cidrs`.
 */
function internetTargetsIn(ctx: Ctx, cidrs: Ipv4Cidr[], source: TraceEndpoint, label: string): Target[] | TracePath {
  const { model } = ctx;
  const targets: Target[] = [];
  const within = (ip: number) => cidrs.some((c) => ip >= c.first && ip <= c.last);
  for (const eni of model.enis) {
    if (targets.length >= 32) break;
    if (eni.nat) continue;
    // Each public address of the interface, as the private address it translates to.
    for (const [priv, pub] of eni.publicByPrivate) {
      if ((within(pub) || within(priv)) && targets.length < 32)
        targets.push({ kind: 'address', ip: pub, eni, label: eniLabel(eni, pub) });
    }
  }
  if (targets.length > 0) return targets;
  const hop: Hop = {
    node_id: null,
    native_id: null,
    kind: 'internet',
    direction: 'ingress',
    decision: 'drop',
    rule: null,
    note: `no interface with a public IP address has an address in ${cidrs.map((c) => c.text).join(', ')}`,
  };
  return staticPath(ctx, 'NO_PUBLIC_IP', source, destInfo(model, cidrs[0]?.first ?? 0, null), hop, {
    source: 'the internet',
    destination: label,
  });
}

function resolveDestination(ctx: Ctx, q: TraceQuery, starts: Start[]): Target[] | TracePath {
  const { model } = ctx;
  const internetSource = starts.some((s) => s.kind === 'internet');
  const dst = q.destination as Record<string, unknown>;
  const source = startEndpoint(starts[0]);
  if (typeof dst.ip === 'string') {
    const ip = parseIPv4(dst.ip);
    if (ip === null) {
      throw invalidQuery(
        [{ field: 'destination.ip', message: notIPv4Problem(dst.ip, 'address') }],
        notIPv4('destination ip', dst.ip),
      );
    }
    if (internetSource) {
      const eni = model.publicIpIndex.get(ip);
      if (eni) return [{ kind: 'address', ip, eni, label: eniLabel(eni, ip) }];
      const inside = subnetsContaining(model, ip)[0];
      const d = destInfo(model, ip, null);
      const linkLocal = ip >= LINK_LOCAL.first && ip <= LINK_LOCAL.last;
      const note = inside
        ? `${dst.ip} is a private address in ${inside.id}; the internet can only reach public addresses`
        : linkLocal
          ? `${dst.ip} is link-local (169.254.0.0/16): it is answered only on an instance's own interface, never from the internet`
          : !isPublicIPv4(ip)
            ? `${dst.ip} is not a public address, so the internet cannot deliver it`
            : `${dst.ip} is not an address of the modelled network`;
      const hop: Hop = {
        node_id: inside?.nodeId ?? null,
        native_id: inside?.id ?? null,
        kind: inside ? 'subnet' : 'internet',
        direction: 'ingress',
        decision: 'drop',
        rule: null,
        note,
      };
      const disposition: Disposition = inside ? 'NO_PUBLIC_IP' : isPublicIPv4(ip) ? 'UNSUPPORTED' : 'NO_ROUTE';
      return staticPath(ctx, disposition, source, d, hop, { source: 'the internet', destination: dst.ip });
    }
    return [{ kind: 'address', ip, eni: null, label: dst.ip }];
  }
  if (typeof dst.cidr === 'string') {
    const cidr = parseIPv4Cidr(dst.cidr);
    if (!cidr) {
      throw invalidQuery(
        [{ field: 'destination.cidr', message: notIPv4Problem(dst.cidr, 'cidr') }],
        notIPv4('destination cidr', dst.cidr),
      );
    }
    if (internetSource) return internetTargetsIn(ctx, [cidr], source, cidr.text);
    return [{ kind: 'cidr', cidr, label: cidr.text }];
  }
  if (typeof dst.node_id === 'string') {
    const node = model.nodes.get(dst.node_id);
    if (!node) throw nodeNotFound('destination', dst.node_id);
    const entry = model.entries.get(node.id);
    const d = nodeEndpoint(node, entry);
    const labels = { source: sourceText(q, model), destination: node.name };
    if (entry?.inactiveReason) {
      return staticPath(ctx, 'UNSUPPORTED', source, d, inactiveHop(node, entry.inactiveReason, 'ingress'), labels);
    }
    // A subnet or a VPC: any address in it, as its CIDRs would be.
    const cidrs = entry?.subnet ? [entry.subnet.cidr] : (entry?.vpc?.cidrs ?? []);
    if (cidrs.length > 0) {
      if (internetSource) return internetTargetsIn(ctx, cidrs, source, node.name);
      return cidrs.map((cidr): Target => ({ kind: 'cidr', cidr, label: `${node.name} (${cidr.text})` }));
    }
    if (entry?.endpoint && entry.endpoint.type === 'Gateway') {
      const vpc = entry.endpoint.vpcId ?? 'its VPC';
      if (internetSource) {
        const note = `${node.name} is a gateway VPC endpoint, reached only from inside ${vpc} through its route tables; the internet cannot address it`;
        return staticPath(ctx, 'NO_ROUTE', source, d, inactiveHop(node, note, 'ingress'), labels);
      }
      const ip = gatewayEndpointAddress(model, entry.endpoint.id);
      if (ip !== null) return [{ kind: 'address', ip, eni: null, label: `${node.name} (${formatIPv4(ip)})` }];
      const note = `no route table of the inventory routes a prefix list to ${node.name}, so no address behind it is known`;
      return staticPath(ctx, 'UNSUPPORTED', source, d, inactiveHop(node, note, 'ingress'), labels);
    }
    if (!entry || entry.enis.length === 0) {
      const note = `the inventory has no network interface of ${node.name} (${node.type})`;
      return staticPath(ctx, 'UNSUPPORTED', source, d, inactiveHop(node, note, 'ingress'), labels);
    }
    const targets: Target[] = [];
    for (const eni of entry.enis) {
      if (!internetSource)
        targets.push({ kind: 'address', ip: eni.ips[0]!, eni, label: `${node.name} (${formatIPv4(eni.ips[0]!)})` });
    }
    for (const eni of entry.enis) {
      if (eni.publicIp !== null || (internetSource && eni.publicIpUnknown)) {
        const ip = eni.publicIp ?? 0;
        targets.push({
          kind: 'address',
          ip,
          eni,
          label: `${node.name} (${eni.publicIp === null ? 'its public address' : formatIPv4(ip)})`,
        });
      }
    }
    // Load balancers that have the node (by any of its identities or addresses) as a target:
    // one attempt per (load balancer, interface), trying each port the interface is registered on.
    const viaLb = new Map<LbM, Map<EniM, Target & { kind: 'lb' }>>();
    for (const t of model.lbTargetsByNode.get(node.id) ?? []) {
      if (internetSource && t.lb.scheme !== 'internet-facing') continue;
      let byEni = viaLb.get(t.lb);
      if (!byEni) {
        byEni = new Map();
        viaLb.set(t.lb, byEni);
      }
      const existing = byEni.get(t.eni);
      if (existing) existing.registrations.push(t);
      else {
        const target = { kind: 'lb' as const, lb: t.lb, registrations: [t], name: node.name };
        byEni.set(t.eni, target);
        targets.push(target);
      }
    }
    if (targets.length === 0 && internetSource) {
      const eni = entry.enis[0]!;
      const hop: Hop = {
        node_id: eni.nodeId,
        native_id: eni.id,
        kind: 'eni',
        direction: 'ingress',
        decision: 'drop',
        rule: null,
        note: `${eni.id} has no public IP address, and no internet-facing load balancer targets ${node.name}, so the internet cannot address it`,
      };
      return staticPath(ctx, 'NO_PUBLIC_IP', source, destInfo(model, eni.ips[0]!, eni), hop, labels);
    }
    return targets;
  }
  throw invalidQuery([{ field: 'destination', message: 'needs node_id, ip or cidr' }]);
}

function sourceText(q: TraceQuery, model?: NetworkModel): string {
  const s = q.source as Record<string, unknown>;
  if (s.internet === true) return 'the internet';
  const named = typeof s.node_id === 'string' ? model?.nodes.get(s.node_id)?.name : undefined;
  return String(named ?? s.node_id ?? s.ip ?? 'the source');
}

/** An address behind a gateway endpoint: the first CIDR of a prefix list routed to it. */
function gatewayEndpointAddress(model: NetworkModel, endpointId: string): number | null {
  for (const rt of model.routeTables.values()) {
    for (const r of rt.routes) {
      if (r.raw.target_id === endpointId && r.raw.destination_prefix_list_id)
        return r.first + 1 <= r.last ? r.first + 1 : r.first;
    }
  }
  return null;
}

// --- walking ------------------------------------------------------------------------------

function forward(
  ctx: Ctx,
  start: Start,
  srcIp: number,
  dstIp: number,
  expected: EniM | null,
  ports?: PortSet,
): Outcome[] {
  const walker = new Walker(
    ctx.model,
    {
      mode: 'forward',
      stopOnSuccess: !ctx.allPaths,
      maxOutcomes: ctx.maxPaths,
      expectedDestination: expected,
      expectedClient: null,
      forwardNats: [],
      clientPorts: ctx.clientPorts,
    },
    ctx.flow.proto,
  );
  const p: Packet = {
    src: srcIp,
    dst: dstIp,
    proto: ctx.flow.proto,
    ports: ports ?? ctx.flow.ports,
    viaPeering: null,
    az: null,
  };
  if (start.kind === 'eni') walker.startAtEni(start.eni, p);
  else if (start.kind === 'subnet') walker.startAtSubnetAddress(start.subnet, p);
  else if (expected) walker.startFromInternet(expected, p);
  return walker.outcomes;
}

interface ReturnResult extends ReturnPath {
  assumptions: string[];
}

/** `preservedClientIp`: the reply is a load balancer target's to a client whose address it kept (see Walker). */
function returnPath(ctx: Ctx, o: Outcome, client: Endpoint, preservedClientIp?: number): ReturnResult {
  if (!isSuccess(o.disposition) || !ctx.checkReturn) return { evaluated: false, allowed: false, assumptions: [] };
  const { proto } = ctx.flow;
  const tcpUdp = proto === 6 || proto === 17;
  // Replies go to the client's ephemeral port (or the NAT gateway's); ICMP replies are echo replies.
  const ports: PortSet = tcpUdp
    ? o.nats.length > 0
      ? NAT_PORTS
      : ctx.clientPorts
    : proto === 1
      ? [0, 0]
      : ctx.flow.ports;
  const walker = new Walker(
    ctx.model,
    {
      mode: 'return',
      stopOnSuccess: true,
      maxOutcomes: 4,
      expectedDestination: null,
      expectedClient: client,
      forwardNats: o.nats,
      clientPorts: ctx.clientPorts,
      ...(preservedClientIp === undefined ? {} : { preservedClientIp }),
    },
    proto,
  );
  const p: Packet = { src: o.finalDst, dst: o.finalSrc, proto, ports, viaPeering: null, az: null };
  if (o.end) walker.startReturnAt(o.end, p);
  else if (o.exit) walker.startReturnAtExit(o.exit, p);
  const best = walker.outcomes.find((r) => r.disposition === 'ACCEPTED') ?? walker.outcomes[0];
  const portsInfo = tcpUdp ? { ports: toRanges(ctx.clientPorts) } : {};
  if (!best) return { evaluated: true, allowed: false, blocked_by: null, hops: [], assumptions: [], ...portsInfo };
  const allowed = best.disposition === 'ACCEPTED';
  return {
    evaluated: true,
    allowed,
    blocked_by: allowed ? null : best.blocked,
    hops: best.hops,
    assumptions: best.assumptions,
    ...portsInfo,
  };
}

function assemble(
  ctx: Ctx,
  labels: { source: string; destination: string },
  source: TraceEndpoint,
  destination: TraceEndpoint,
  disposition: Disposition,
  hops: Hop[],
  blocked: Hop | null,
  ports: PortSet,
  ret: ReturnResult,
  assumptions: string[],
): TracePath {
  const forwardOk = isSuccess(disposition);
  const reachable = forwardOk && (!ctx.checkReturn || ret.allowed);
  const { assumptions: retAssumptions, ...return_path } = ret;
  const partial =
    forwardOk &&
    ctx.flow.hasPorts &&
    ctx.flow.portsAsked &&
    ports.length > 0 &&
    !(ports.length === ctx.flow.ports.length && ports.every((v, i) => v === ctx.flow.ports[i]))
      ? formatPorts(ports)
      : null;
  const path: TracePath = {
    reachable,
    disposition,
    source,
    destination,
    hops,
    blocked_by: blocked ?? (forwardOk && ctx.checkReturn && !ret.allowed ? (ret.blocked_by ?? null) : null),
    return_path,
    reachable_ports: ctx.flow.hasPorts ? (forwardOk ? toRanges(ports) : []) : null,
    explanation: explain({
      flow: ctx.flow.description,
      source: labels.source,
      destination: labels.destination,
      disposition,
      hops,
      blocked,
      returnPath: return_path,
      checkReturn: ctx.checkReturn,
      reachablePorts: partial,
    }),
  };
  ctx.pathAssumptions.set(path, [...new Set([...assumptions, ...retAssumptions])]);
  return path;
}

function destinationOf(ctx: Ctx, o: Outcome, fallbackIp: number, fallbackEni: EniM | null): TraceEndpoint {
  if (o.end?.kind === 'eni') return destInfo(ctx.model, o.end.ip, o.end.eni);
  return destInfo(ctx.model, fallbackIp, fallbackEni);
}

// --- addresses AWS answers itself ----------------------------------------------------------

const NO_RETURN: ReturnResult = { evaluated: false, allowed: false, assumptions: [] };

/**
 * The path to an address AWS answers without the VPC routing it (see aws-services.ts), or null
 * for an ordinary address. Link-local services answer only an EC2 instance, on its own
 * interface; a VPC's Amazon DNS server answers any address of that VPC. Security groups,
 * network ACLs and route tables do not apply, so the path is the sender and the service, and
 * a refusal says why (not an instance, metadata turned off, a port the service does not answer).
 */
function awsServicePath(ctx: Ctx, start: Start, srcIp: number, dstIp: number, label: string): TracePath | null {
  if (start.kind === 'internet') return null;
  const found = awsServiceAt(ctx.model, dstIp);
  if (found === null) return null;
  const { flow, model } = ctx;
  const dst = formatIPv4(dstIp);
  const eni = start.kind === 'eni' ? start.eni : null;
  const subnet = start.kind === 'eni' ? start.eni.subnet : start.subnet;
  const vpc = subnet.vpc;
  const senderName = eni ? (eni.ownerName ?? eni.id) : formatIPv4(srcIp);
  const sender: Hop = eni
    ? {
        node_id: eni.nodeId,
        native_id: eni.id,
        kind: 'eni',
        direction: 'egress',
        decision: 'forward',
        rule: null,
        note: `interface ${senderName} sends from ${formatIPv4(srcIp)}`,
      }
    : {
        node_id: subnet.nodeId,
        native_id: subnet.id,
        kind: 'subnet',
        direction: 'egress',
        decision: 'forward',
        rule: null,
        note: `${formatIPv4(srcIp)} has no known interface in ${subnet.id}`,
      };
  const labels = { source: startLabel(start, srcIp), destination: label };
  const srcInfo = startInfo(start, srcIp);
  const assumptions = eni ? [...eni.assumptions] : [];
  const dropAtSender = (disposition: Disposition, note: string, destination: TraceEndpoint) => {
    const hop: Hop = { ...sender, decision: 'drop', note };
    return assemble(ctx, labels, srcInfo, destination, disposition, [hop], hop, [], NO_RETURN, assumptions);
  };
  if (found === 'link_local') {
    return dropAtSender(
      'NO_ROUTE',
      `${dst} is link-local (169.254.0.0/16), which the VPC does not route, and no AWS service answers there (AWS answers ${LINK_LOCAL_SERVICE_LIST})`,
      destInfo(model, dstIp, null),
    );
  }
  // Overlapping VPCs each have their own DNS server at that address: the sender's answers it.
  const service = found.find((s) => s.vpc === null || s.vpc === vpc) ?? found[0]!;
  const destination: TraceEndpoint = {
    node_id: service.vpc?.nodeId ?? null,
    eni_id: null,
    ip: dst,
    kind: 'aws_service',
  };
  const refuse = (note: string) => {
    const hop: Hop = {
      node_id: service.vpc?.nodeId ?? null,
      native_id: null,
      kind: 'aws_service',
      direction: 'ingress',
      decision: 'deny',
      rule: null,
      note,
    };
    return assemble(ctx, labels, srcInfo, destination, 'DENIED_IN', [sender, hop], hop, [], NO_RETURN, assumptions);
  };
  if (service.instanceOnly) {
    const onlyInstances = `only an EC2 instance reaches ${service.name} at ${dst}, on its own interface`;
    if (!eni || eni.role === 'interface') {
      // An address or interface whose owner the inventory lacks could be an instance's: the data cannot decide.
      const why = eni
        ? `${eni.id} is attached to something the inventory lacks`
        : `${formatIPv4(srcIp)} has no known interface`;
      return dropAtSender('UNSUPPORTED', `${why}, and ${onlyInstances}`, destination);
    }
    if (eni.role !== 'instance') {
      return dropAtSender(
        'NO_ROUTE',
        `${dst} is link-local, which the VPC does not route, and ${onlyInstances}; ${senderName} is not one`,
        destination,
      );
    }
    if (service.imds) {
      const owner = eni.ownerNodeId ? model.nodes.get(eni.ownerNodeId) : undefined;
      const endpoint = owner ? str(owner.attributes, 'metadata_http_endpoint') : null;
      if (endpoint === 'disabled') {
        return refuse(
          `the instance metadata service is turned off for ${senderName} (its metadata options have HttpEndpoint disabled)`,
        );
      }
      if (endpoint === null) {
        assumptions.push(
          `the metadata options of ${senderName} are not in the inventory; its instance metadata service is assumed on, as AWS defaults`,
        );
      }
    }
  } else if (service.vpc !== vpc) {
    return refuse(`${service.name} of ${service.vpc?.id} answers only addresses inside ${service.vpc?.id}`);
  }
  if (service.dns) {
    assumptions.push(
      `whether DNS resolution (enableDnsSupport) is on in ${vpc.id} is not in the inventory; it is assumed on, as AWS defaults`,
    );
  }
  const port = service.ports.get(flow.proto);
  const served = port === undefined ? [] : intersectRange(flow.ports, port, port);
  if (isEmpty(served)) return refuse(`${service.name} answers only ${service.portsText}`);
  const answered: Hop = {
    node_id: service.vpc?.nodeId ?? null,
    native_id: null,
    kind: 'aws_service',
    direction: 'ingress',
    decision: 'allow',
    rule: null,
    note: service.instanceOnly
      ? `${service.name} answers on ${senderName}'s own interface, where no security group, network ACL or route table applies`
      : `${service.name} of ${vpc.id} answers every address of the VPC, and no security group, network ACL or route table applies`,
  };
  // Replies come straight back from the service: nothing filters them either.
  const replies: ReturnResult = { evaluated: true, allowed: true, blocked_by: null, hops: [], assumptions: [] };
  return assemble(
    ctx,
    labels,
    srcInfo,
    destination,
    'ACCEPTED',
    [sender, answered],
    null,
    served,
    replies,
    assumptions,
  );
}

/** Paths from one start to one address. */
function runAddress(
  ctx: Ctx,
  start: Start,
  srcIp: number,
  dstIp: number,
  eni: EniM | null,
  label: string,
): TracePath[] {
  const service = awsServicePath(ctx, start, srcIp, dstIp, label);
  if (service) return [service];
  const outcomes = forward(ctx, start, srcIp, dstIp, eni);
  const labels = { source: startLabel(start, srcIp), destination: label };
  const srcInfo = startInfo(start, srcIp);
  return outcomes.map((o) =>
    assemble(
      ctx,
      labels,
      srcInfo,
      destinationOf(ctx, o, start.kind === 'internet' && eni ? privateAddressFor(eni, dstIp) : dstIp, eni),
      o.disposition,
      o.hops,
      o.blocked,
      o.ports,
      returnPath(ctx, o, clientOf(start, srcIp)),
      o.assumptions,
    ),
  );
}

/**
 * Paths to a load balancer's target through the load balancer (two connections). `registrations`
 * are the target's registrations with this load balancer (one interface, one per port): the
 * target is reached when some registration is, and each registration's path names its port.
 * Returns the first reachable path (every registration's path with `all_paths`), else one
 * failed path per registration in registration order (or the first leg's failure).
 */
function runViaLoadBalancer(
  ctx: Ctx,
  start: Start,
  srcIp: number,
  lb: LbM,
  registrations: readonly LbTargetM[],
  name: string,
): TracePath[] {
  const first = registrations[0];
  if (!first) return [];
  const target = first.eni;
  const srcInfo = startInfo(start, srcIp);
  const dstInfo = destInfo(ctx.model, first.ip, target);
  const tcpUdp = ctx.flow.proto === 6 || ctx.flow.proto === 17;
  const candidates =
    start.kind === 'internet' ? lb.enis.filter((e) => e.publicIp !== null || e.publicIpUnknown) : lb.enis;
  // Prefer the load balancer node in the target's Availability Zone.
  const ordered = [...candidates].sort(
    (a, b) => Number(b.subnet.az === target.subnet.az) - Number(a.subnet.az === target.subnet.az),
  );
  let firstLegFailure: TracePath | null = null;
  /** Per registration: its reachable path, else its first failure. */
  const results = new Map<LbTargetM, TracePath>();
  for (const lbEni of ordered) {
    const dst = start.kind === 'internet' ? (lbEni.publicIp ?? 0) : lbEni.ips[0]!;
    const leg1 = forward(ctx, start, srcIp, dst, lbEni);
    const o1 = leg1.find((o) => isSuccess(o.disposition)) ?? leg1[0];
    if (!o1) continue;
    if (!isSuccess(o1.disposition)) {
      firstLegFailure ??= assemble(
        ctx,
        { source: startLabel(start, srcIp), destination: `${name} (through ${lb.name})` },
        srcInfo,
        dstInfo,
        o1.disposition,
        o1.hops,
        o1.blocked,
        o1.ports,
        { evaluated: false, allowed: false, assumptions: [] },
        o1.assumptions,
      );
      continue;
    }
    for (const reg of registrations) {
      if (results.get(reg)?.reachable) continue;
      const path = secondLeg(ctx, start, srcIp, lb, reg, lbEni, o1, name, srcInfo, dstInfo, tcpUdp);
      if (!path) continue;
      if (path.reachable) {
        results.set(reg, path);
        if (!ctx.allPaths) return [path];
      } else if (!results.has(reg)) results.set(reg, path);
    }
    if (registrations.every((r) => results.get(r)?.reachable)) break;
  }
  const paths = registrations.flatMap((r) => results.get(r) ?? []);
  if (paths.length > 0) return paths;
  return firstLegFailure ? [firstLegFailure] : [];
}

/** The load balancer's connection to one registration of the target, after the client's reached `lbEni`. */
function secondLeg(
  ctx: Ctx,
  start: Start,
  srcIp: number,
  lb: LbM,
  reg: LbTargetM,
  lbEni: EniM,
  o1: Outcome,
  name: string,
  srcInfo: TraceEndpoint,
  dstInfo: TraceEndpoint,
  tcpUdp: boolean,
): TracePath | null {
  const target = reg.eni;
  const targetPort = reg.port;
  const translated = targetPort !== null && tcpUdp;
  const labels = {
    source: startLabel(start, srcIp),
    destination: `${name} (through ${lb.name}${translated ? ` to port ${targetPort}` : ''})`,
  };
  const lbStart: Start = { kind: 'eni', eni: lbEni, ip: lbEni.ips[0]! };
  const targetText = `${target.ownerName ?? target.id} (${formatIPv4(reg.ip)}${translated ? ` port ${targetPort}` : ''})`;
  const group = reg.targetGroup === null ? '' : ` in target group ${targetGroupLabel(reg.targetGroup)}`;
  // Which listeners the client reached forward to this registration's target group.
  const fwd = tcpUdp
    ? listenerForwarding(lb, reg, o1.ports, srcIp)
    : { ports: o1.ports, assumptions: [], refusal: null };
  let refusal = fwd.refusal;
  if (refusal === null && !reg.routed) {
    const reason = reg.healthReason ? ` (${reg.healthReason})` : '';
    refusal = `${lb.name} does not route to target ${targetText}${group}: its health state is ${reg.health}${reason}; the load balancer sends new connections only to healthy targets`;
  }
  if (refusal !== null) {
    const dropHop: Hop = {
      node_id: lb.nodeId,
      native_id: lb.arn,
      kind: 'load_balancer',
      direction: 'forward',
      decision: 'drop',
      rule: null,
      note: refusal,
    };
    return assemble(
      ctx,
      labels,
      srcInfo,
      dstInfo,
      'DENIED_IN',
      [...o1.hops, dropHop],
      dropHop,
      [],
      { evaluated: false, allowed: false, assumptions: [] },
      [...o1.assumptions, ...fwd.assumptions],
    );
  }
  const failOpenNote = reg.failOpen
    ? `${group}; its health state is ${reg.health}, but no target of the group is healthy, so the load balancer fails open and routes to all of them`
    : '';
  // With client IP preservation the target (its security groups, its subnet's network ACL) sees the client's
  // address; otherwise the load balancer's own.
  const preservedNote = reg.clientIpPreserved ? `, keeping the client's address ${formatIPv4(srcIp)}` : '';
  const lbHop: Hop = {
    node_id: lb.nodeId,
    native_id: lb.arn,
    kind: 'load_balancer',
    direction: 'forward',
    decision: 'forward',
    rule: null,
    note: `${lb.name} forwards to target ${targetText}${failOpenNote}${preservedNote}`,
  };
  const portAssumptions = translated
    ? []
    : [
        `target ports of ${lb.name} are not in the inventory; targets are assumed to listen on the port the load balancer receives`,
      ];
  const leg2Source = reg.clientIpPreserved ? srcIp : lbEni.ips[0]!;
  const leg2 = forward(ctx, lbStart, leg2Source, reg.ip, target, translated ? [targetPort, targetPort] : fwd.ports);
  const o2 = leg2.find((o) => isSuccess(o.disposition)) ?? leg2[0];
  if (!o2) return null;
  const hops = [...o1.hops, lbHop, ...o2.hops];
  // The load balancer takes a preserved client's replies back itself, whatever the target subnet's routes;
  // the target subnet's network ACL sees them addressed to the client.
  const replied = reg.clientIpPreserved ? { ...o2, finalSrc: lbEni.ips[0]! } : o2;
  const ret2 = returnPath(
    ctx,
    replied,
    { kind: 'eni', eni: lbEni, ip: lbEni.ips[0]! },
    reg.clientIpPreserved ? srcIp : undefined,
  );
  const ret1 = isSuccess(o2.disposition) ? returnPath(ctx, o1, clientOf(start, srcIp)) : ret2;
  const ret: ReturnResult =
    ret2 === ret1
      ? ret2
      : {
          evaluated: ret2.evaluated && ret1.evaluated,
          allowed: ret2.allowed && ret1.allowed,
          blocked_by: !ret2.allowed ? (ret2.blocked_by ?? null) : (ret1.blocked_by ?? null),
          hops: [...(ret2.hops ?? []), ...(ret1.hops ?? [])],
          assumptions: [...ret2.assumptions, ...ret1.assumptions],
          ...(ret1.ports ? { ports: ret1.ports } : {}),
        };
  // With a known target port the client-facing ports are the listener ports that got through.
  const ports = translated ? (isSuccess(o2.disposition) ? fwd.ports : []) : o2.ports;
  return assemble(ctx, labels, srcInfo, dstInfo, o2.disposition, hops, o2.blocked, ports, ret, [
    ...o1.assumptions,
    ...fwd.assumptions,
    ...o2.assumptions,
    ...portAssumptions,
  ]);
}

/** A target group's name from its ARN (`…:targetgroup/<name>/<id>`), else the id as given. */
function targetGroupLabel(id: string): string {
  const m = /:targetgroup\/([^/]+)\//.exec(id);
  return m ? m[1]! : id;
}

/**
 * The client-facing ports (of `ports`, those the listeners admitted) whose listener forwards
 * traffic from `srcIp` to the registration's target group. A listener whose target groups the
 * inventory lacks, a registration whose group is unknown, and a group no listener's default
 * action or rule names (it is attached to the load balancer, so some rule the inventory lacks
 * forwards to it) are assumed to be behind every listener, and the answer says so. A listener
 * whose rules are known forwards from `srcIp` only to the groups of the rules whose `source-ip`
 * conditions admit it (the client chooses the rest of its request) up to the first that
 * answers every request, and to its default groups unless such a rule came first.
 * `refusal` explains an empty result.
 */
function listenerForwarding(
  lb: LbM,
  reg: LbTargetM,
  ports: PortSet,
  srcIp: number,
): { ports: PortSet; assumptions: string[]; refusal: string | null } {
  const reached = lb.listeners.filter((l) => !isEmpty(intersectRange(ports, l.port, l.port)));
  if (reached.length === 0) return { ports, assumptions: [], refusal: null };
  const group = reg.targetGroup;
  const named = group !== null && lb.listeners.some((l) => l.targetGroups?.includes(group));
  let allowed: PortSet = [];
  const assumptions: string[] = [];
  const refusals: string[] = [];
  for (const l of reached) {
    const hit = intersectRange(ports, l.port, l.port);
    if (l.targetGroups === null) {
      assumptions.push(
        `the target groups listener ${l.protocol}:${l.port} of ${lb.name} forwards to are not in the inventory; every target registration of ${lb.name} is assumed to be behind it`,
      );
      allowed = union(allowed, hit);
    } else if (group === null) {
      assumptions.push(
        `the target group of ${lb.name}'s registration of ${reg.id} is not in the inventory; it is assumed to be behind listener ${l.protocol}:${l.port}`,
      );
      allowed = union(allowed, hit);
    } else if (!named) {
      assumptions.push(
        `target group ${targetGroupLabel(group)} of ${lb.name} is not named by any listener's actions in the inventory; it is assumed to be forwarded to by listener rules behind every listener`,
      );
      allowed = union(allowed, hit);
    } else {
      const routed = routedGroups(l, srcIp, group);
      if (routed.groups.includes(group)) allowed = union(allowed, hit);
      else refusals.push(routed.explanation);
    }
  }
  if (!isEmpty(allowed)) return { ports: allowed, assumptions, refusal: null };
  return {
    ports: [],
    assumptions,
    refusal: `${lb.name} does not forward this traffic to ${reg.eni.ownerName ?? reg.eni.id}${group === null ? '' : ` (target group ${targetGroupLabel(group)})`}: ${refusals.join('; ')}`,
  };
}

/**
 * The target groups listener `l` forwards traffic from `srcIp` to (see `listenerForwarding`),
 * and, for a refusal, a sentence on where it sends that traffic and why `group` is not reached.
 */
function routedGroups(l: LbListenerM, srcIp: number, group: string): { groups: string[]; explanation: string } {
  const listener = `listener ${l.protocol}:${l.port}`;
  const groupsText = (groups: Iterable<string>) => {
    const labels = [...groups].map(targetGroupLabel);
    return labels.length > 0 ? `target group ${labels.join(', ')}` : 'no target group';
  };
  if (l.routing === null) {
    const groups = l.targetGroups ?? [];
    return { groups, explanation: `${listener} forwards to ${groupsText(groups)}` };
  }
  const from = formatIPv4(srcIp);
  const groups = new Set<string>();
  const why: string[] = [];
  // The first rule of known priority that answers every request from srcIp hides the later ones.
  let catchAll: LbRuleM | null = null;
  let defaultHiddenBy: LbRuleM | null = null;
  for (const rule of l.routing.rules) {
    const names = rule.groups.includes(group);
    if (rule.sources !== null && !rule.sources.some((c) => srcIp >= c.first && srcIp <= c.last)) {
      if (names) why.push(`its ${ruleLabel(rule)} forwards to it only from ${rule.sourceText.join(', ')}`);
      continue;
    }
    if (catchAll !== null && rule.priority !== null) {
      if (names) why.push(`its ${ruleLabel(rule)}, which forwards to it, comes after ${ruleLabel(catchAll)}`);
      continue;
    }
    for (const g of rule.groups) groups.add(g);
    if (rule.anyRequest) {
      if (rule.priority !== null) catchAll ??= rule;
      defaultHiddenBy ??= rule;
    }
  }
  if (defaultHiddenBy === null) for (const g of l.routing.defaultGroups) groups.add(g);
  else if (l.routing.defaultGroups.includes(group))
    why.push(`its default action, which forwards to it, is never reached: ${ruleLabel(defaultHiddenBy)} comes first`);
  const decider = catchAll ?? defaultHiddenBy;
  const answers = decider === null ? '' : ` (${ruleLabel(decider)} answers every request from ${from})`;
  return {
    groups: [...groups],
    explanation: `${listener} forwards traffic from ${from} to ${groupsText(groups)}${answers}${why.length > 0 ? `; ${why.join('; ')}` : ''}`,
  };
}

/** "rule of priority 10", or "rule of unknown priority". */
function ruleLabel(rule: LbRuleM): string {
  return rule.priority === null ? 'rule of unknown priority' : `rule of priority ${rule.priority}`;
}

/** Lazily yields the paths to try, in preference order. */
function* attempts(ctx: Ctx, starts: Start[], targets: Target[]): Generator<() => TracePath[]> {
  for (const start of starts) {
    for (const target of targets) {
      if (start.kind === 'internet') {
        const enis =
          target.kind === 'lb' ? target.lb.enis : target.kind === 'address' && target.eni ? [target.eni] : [];
        const sources =
          start.ip !== null ? [start.ip] : internetSourceCandidates(enis, target.kind === 'lb' ? target.lb : null);
        for (const srcIp of sources) {
          if (target.kind === 'lb')
            yield () => runViaLoadBalancer(ctx, start, srcIp, target.lb, target.registrations, target.name);
          else if (target.kind === 'address')
            yield () => runAddress(ctx, start, srcIp, target.ip, target.eni, target.label);
        }
        continue;
      }
      if (target.kind === 'address') {
        yield () => runAddress(ctx, start, start.ip, target.ip, target.eni, target.label);
      } else if (target.kind === 'lb') {
        yield () => runViaLoadBalancer(ctx, start, start.ip, target.lb, target.registrations, target.name);
      } else {
        const subnet = start.kind === 'eni' ? start.eni.subnet : start.subnet;
        const eni = start.kind === 'eni' ? start.eni : null;
        let candidates = cidrDestinationCandidates(ctx.model, target.cidr, { subnet, eni });
        if (candidates.length === 0) {
          const c = target.cidr;
          candidates = [{ ip: c.first % 256 === 0 && c.first < c.last ? c.first + 1 : c.first, eni: null }];
        }
        for (const c of candidates) {
          const label = c.eni
            ? `${eniLabel(c.eni, c.ip)}, chosen in ${target.cidr.text}`
            : `${formatIPv4(c.ip)} (chosen in ${target.cidr.text})`;
          yield () => runAddress(ctx, start, start.ip, c.ip, c.eni, label);
        }
      }
    }
  }
}

const DEFAULT_MAX_PATHS = 16;
const MAX_ATTEMPTS = 64;

/** Traces one flow through the model. Throws TraceQueryError for malformed queries or unknown nodes. */
export function trace(model: NetworkModel, query: TraceQuery): TraceResult {
  const flow = parseFlow(query);
  let clientPorts = DEFAULT_CLIENT_PORTS;
  if (query.ephemeral_port_range) {
    const { from, to } = query.ephemeral_port_range;
    if (!isPort(from) || !isPort(to) || from > to) {
      throw invalidQuery([{ field: 'ephemeral_port_range', message: 'needs integers 0 ≤ from ≤ to ≤ 65535' }]);
    }
    clientPorts = [from, to];
  }
  const maxPaths = Math.max(1, Math.min(256, Math.floor(query.max_paths ?? DEFAULT_MAX_PATHS)));
  const ctx: Ctx = {
    model,
    flow,
    allPaths: query.all_paths === true,
    maxPaths,
    checkReturn: query.check_return !== false,
    clientPorts,
    pathAssumptions: new Map(),
    queryAssumptions: [],
  };
  checkEndpoints(model, query);
  const paths: TracePath[] = [];
  const starts = resolveSource(ctx, query);
  if (Array.isArray(starts)) {
    const targets = resolveDestination(ctx, query, starts);
    if (Array.isArray(targets)) {
      let tried = 0;
      outer: for (const attempt of attempts(ctx, starts, targets)) {
        for (const path of attempt()) {
          paths.push(path);
          if (!ctx.allPaths && path.reachable) break outer;
          if (paths.length >= maxPaths) break outer;
        }
        if (++tried >= MAX_ATTEMPTS) break;
      }
    } else {
      paths.push(targets);
    }
  } else {
    paths.push(starts);
  }
  if (paths.length === 0) {
    // Nothing to walk (e.g. a CIDR with no candidate address): say so rather than invent a path.
    const hop: Hop = {
      node_id: null,
      native_id: null,
      kind: 'internet',
      direction: 'forward',
      decision: 'drop',
      rule: null,
      note: 'no concrete source and destination addresses could be chosen for this query',
    };
    const dstId = (query.destination as Record<string, unknown>).node_id;
    const dstNode = typeof dstId === 'string' ? model.nodes.get(dstId) : undefined;
    const destination: TraceEndpoint = dstNode
      ? nodeEndpoint(dstNode, model.entries.get(dstNode.id))
      : { node_id: null, eni_id: null, ip: null, kind: 'external' };
    const source = Array.isArray(starts) ? startEndpoint(starts[0]) : starts.source;
    paths.push(
      staticPath(ctx, 'UNSUPPORTED', source, destination, hop, {
        source: sourceText(query, model),
        destination: destinationText(query, model),
      }),
    );
  }
  const best = paths.find((p) => p.reachable) ?? paths[0]!;
  const shown = ctx.allPaths ? paths : [best];
  const assumptions = new Set<string>(ctx.queryAssumptions);
  for (const p of shown) for (const a of ctx.pathAssumptions.get(p) ?? []) assumptions.add(a);
  const result: TraceResult = {
    ...best,
    flow: {
      protocol: flow.protocolName,
      protocol_number: flow.proto,
      ports: flow.hasPorts ? toRanges(flow.ports) : null,
      description: flow.description,
    },
    assumptions: [...assumptions],
  };
  if (ctx.allPaths) result.paths = paths;
  return result;
}

/** A context for callers that run walks themselves (exposure). */
export function createTraceContext(model: NetworkModel, flow: Flow): Ctx {
  return {
    model,
    flow,
    allPaths: false,
    maxPaths: 4,
    checkReturn: true,
    clientPorts: DEFAULT_CLIENT_PORTS,
    pathAssumptions: new Map(),
    queryAssumptions: [],
  };
}

/** Assumptions recorded for a path built with this context. */
export function pathAssumptions(ctx: Ctx, path: TracePath): string[] {
  return ctx.pathAssumptions.get(path) ?? [];
}

export const INTERNET_START: Start = { kind: 'internet', ip: null };

export type { Ctx as TraceContext, Start as TraceStart };
export { eniLabel, runAddress, runViaLoadBalancer };
