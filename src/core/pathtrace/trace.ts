/**
 * trace(): answers "can traffic get from A to B on port P?" over a model.
 *
 * It resolves the query's source and destination to concrete start points
 * and addresses (a node may have several interfaces, a public and a private
 * address, or sit behind a load balancer; "the internet" and "0.0.0.0/0" are
 * turned into representative addresses), walks each candidate forward and
 * back, and returns the first reachable path, or the first path when none is.
 */
import { formatIPv4, type Ipv4Cidr, isIPv6, isPublicIPv4, parseIPv4, parseIPv4Cidr } from '../network/ip.ts';
import { cidrDestinationCandidates, internetSourceCandidates } from './candidates.ts';
import { describeFlow, explain } from './explain.ts';
import {
  type EniM,
  icmpSpan,
  type LbListenerM,
  type LbM,
  type LbRuleM,
  type LbTargetM,
  type NetworkModel,
  privateAddressFor,
  protocolNumber,
  type SubnetM,
} from './model.ts';
import { ALL_PORTS, formatPorts, intersectRange, isEmpty, type PortSet, toRanges, union } from './portset.ts';
import type { Disposition, Hop, ReturnPath, TraceEndpoint, TracePath, TraceQuery, TraceResult } from './types.ts';
import { type Endpoint, isSuccess, NAT_PORTS, type Outcome, type Packet, Walker } from './walk.ts';

/** A query the tracer cannot run as asked: unknown node, malformed address, bad port… */
export class TraceQueryError extends Error {
  constructor(
    readonly code: 'NODE_NOT_FOUND' | 'INVALID_QUERY',
    message: string,
  ) {
    super(message);
    this.name = 'TraceQueryError';
  }
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
  if (proto === null) throw new TraceQueryError('INVALID_QUERY', `unknown protocol ${JSON.stringify(q.protocol)}`);
  const hasPortsDim = proto === 6 || proto === 17;
  if ((q.port !== undefined || q.port_range !== undefined) && !hasPortsDim) {
    throw new TraceQueryError('INVALID_QUERY', 'port and port_range apply only to tcp and udp');
  }
  if (q.port !== undefined && q.port_range !== undefined) {
    throw new TraceQueryError('INVALID_QUERY', 'give either port or port_range, not both');
  }
  if ((q.icmp_type !== undefined || q.icmp_code !== undefined) && proto !== 1) {
    throw new TraceQueryError('INVALID_QUERY', 'icmp_type and icmp_code apply only to icmp');
  }
  let ports: PortSet = ALL_PORTS;
  let portsAsked = false;
  if (hasPortsDim && q.port !== undefined) {
    if (!isPort(q.port)) throw new TraceQueryError('INVALID_QUERY', `port must be an integer 0–65535, got ${q.port}`);
    ports = [q.port, q.port];
    portsAsked = true;
  } else if (hasPortsDim && q.port_range !== undefined) {
    const { from, to } = q.port_range;
    if (!isPort(from) || !isPort(to) || from > to) {
      throw new TraceQueryError('INVALID_QUERY', 'port_range needs integers 0 ≤ from ≤ to ≤ 65535');
    }
    ports = [from, to];
    portsAsked = true;
  } else if (proto === 1 && q.icmp_type !== undefined) {
    const t = q.icmp_type;
    const c = q.icmp_code;
    const byte = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 255;
    if (!byte(t) || (c !== undefined && !byte(c))) {
      throw new TraceQueryError('INVALID_QUERY', 'icmp_type and icmp_code must be integers 0–255');
    }
    const [lo, hi] = icmpSpan(t, c ?? null);
    ports = [lo, hi];
    portsAsked = true;
  } else if (proto === 1 && q.icmp_code !== undefined) {
    throw new TraceQueryError('INVALID_QUERY', 'icmp_code needs icmp_type');
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
    reachable_ports: null,
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

function inactiveHop(nodeId: string, nativeId: string | null, note: string, direction: 'egress' | 'ingress'): Hop {
  return { node_id: nodeId, native_id: nativeId, kind: 'eni', direction, decision: 'drop', rule: null, note };
}

// --- source and destination resolution ----------------------------------------------

function resolveSource(ctx: Ctx, q: TraceQuery): Start[] | TracePath {
  const { model } = ctx;
  const src = q.source as Record<string, unknown>;
  if (src.internet === true) return [{ kind: 'internet', ip: null }];
  if (typeof src.ip === 'string') {
    const ip = parseIPv4(src.ip);
    if (ip === null) throw new TraceQueryError('INVALID_QUERY', notIPv4('source ip', src.ip));
    const subnets = subnetsContaining(model, ip);
    if (subnets.length === 0) {
      const byPublic = model.publicIpIndex.get(ip);
      if (byPublic) return [{ kind: 'eni', eni: byPublic, ip: privateAddressFor(byPublic, ip) }];
      if (isPublicIPv4(ip)) return [{ kind: 'internet', ip }];
      throw new TraceQueryError('INVALID_QUERY', `source ip ${src.ip} is not inside any modelled subnet`);
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
    if (!node) throw new TraceQueryError('NODE_NOT_FOUND', `source node ${src.node_id} is not in the inventory`);
    const source: TraceEndpoint = { node_id: node.id, eni_id: null, ip: null, kind: 'eni' };
    const labels = { source: node.name, destination: destinationText(q, model) };
    const nowhere: TraceEndpoint = { node_id: null, eni_id: null, ip: null, kind: 'external' };
    if (entry?.subnet) {
      const s = entry.subnet;
      let ip = s.cidr.first + 4;
      while (s.eniByIp.has(ip) && ip < s.cidr.last - 1) ip++;
      return [{ kind: 'subnet', subnet: s, ip }];
    }
    if (!entry || (entry.enis.length === 0 && !entry.inactiveReason)) {
      const note = entry?.endpoint
        ? `${node.name} is a gateway endpoint; traffic can go to it but not start from it`
        : `${node.name} (${node.type}) is not a network endpoint that sends traffic`;
      return staticPath(
        ctx,
        'UNSUPPORTED',
        source,
        nowhere,
        inactiveHop(node.id, node.native_id, note, 'egress'),
        labels,
      );
    }
    if (entry.inactiveReason) {
      return staticPath(
        ctx,
        'UNSUPPORTED',
        source,
        nowhere,
        inactiveHop(node.id, node.native_id, entry.inactiveReason, 'egress'),
        labels,
      );
    }
    return entry.enis.map((eni): Start => ({ kind: 'eni', eni, ip: eni.ips[0]! }));
  }
  throw new TraceQueryError('INVALID_QUERY', 'source needs node_id, ip or internet: true');
}

function notIPv4(what: string, text: string): string {
  return isIPv6(text)
    ? `${what} ${text} is IPv6; the path tracer models IPv4 only`
    : `${what} ${text} is not an IPv4 ${what.endsWith('cidr') ? 'CIDR' : 'address'}`;
}

function destinationText(q: TraceQuery, model?: NetworkModel): string {
  const d = q.destination as Record<string, unknown>;
  const named = typeof d.node_id === 'string' ? model?.nodes.get(d.node_id)?.name : undefined;
  return String(named ?? d.node_id ?? d.ip ?? d.cidr ?? 'the destination');
}

function resolveDestination(ctx: Ctx, q: TraceQuery, internetSource: boolean): Target[] | TracePath {
  const { model } = ctx;
  const dst = q.destination as Record<string, unknown>;
  const source: TraceEndpoint = sourceEndpointGuess(q);
  if (typeof dst.ip === 'string') {
    const ip = parseIPv4(dst.ip);
    if (ip === null) throw new TraceQueryError('INVALID_QUERY', notIPv4('destination ip', dst.ip));
    if (internetSource) {
      const eni = model.publicIpIndex.get(ip);
      if (eni) return [{ kind: 'address', ip, eni, label: eniLabel(eni, ip) }];
      const inside = subnetsContaining(model, ip)[0];
      const d = destInfo(model, ip, null);
      const note = inside
        ? `${dst.ip} is a private address in ${inside.id}; the internet can only reach public addresses`
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
      return staticPath(ctx, inside ? 'NO_PUBLIC_IP' : 'UNSUPPORTED', source, d, hop, {
        source: 'the internet',
        destination: dst.ip,
      });
    }
    return [{ kind: 'address', ip, eni: null, label: dst.ip }];
  }
  if (typeof dst.cidr === 'string') {
    const cidr = parseIPv4Cidr(dst.cidr);
    if (!cidr) throw new TraceQueryError('INVALID_QUERY', notIPv4('destination cidr', dst.cidr));
    if (internetSource) {
      const targets: Target[] = [];
      for (const eni of model.enis) {
        if (targets.length >= 32) break;
        if (eni.nat) continue;
        // Each public address of the interface, as the private address it translates to.
        for (const [priv, pub] of eni.publicByPrivate) {
          const hitPublic = pub >= cidr.first && pub <= cidr.last;
          const hitPrivate = priv >= cidr.first && priv <= cidr.last;
          if ((hitPublic || hitPrivate) && targets.length < 32)
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
        note: `no interface with a public IP address has an address in ${cidr.text}`,
      };
      return staticPath(ctx, 'NO_PUBLIC_IP', source, destInfo(model, cidr.first, null), hop, {
        source: 'the internet',
        destination: cidr.text,
      });
    }
    return [{ kind: 'cidr', cidr, label: cidr.text }];
  }
  if (typeof dst.node_id === 'string') {
    const node = model.nodes.get(dst.node_id);
    if (!node) throw new TraceQueryError('NODE_NOT_FOUND', `destination node ${dst.node_id} is not in the inventory`);
    const entry = model.entries.get(node.id);
    const d: TraceEndpoint = { node_id: node.id, eni_id: null, ip: null, kind: 'eni' };
    const labels = { source: sourceText(q, model), destination: node.name };
    if (entry?.inactiveReason) {
      return staticPath(
        ctx,
        'UNSUPPORTED',
        source,
        d,
        inactiveHop(node.id, node.native_id, entry.inactiveReason, 'ingress'),
        labels,
      );
    }
    if (entry?.subnet)
      return [{ kind: 'cidr', cidr: entry.subnet.cidr, label: `${node.name} (${entry.subnet.cidr.text})` }];
    if (entry?.vpc?.cidrs[0]) {
      return [{ kind: 'cidr', cidr: entry.vpc.cidrs[0], label: `${node.name} (${entry.vpc.cidrs[0].text})` }];
    }
    if (entry?.endpoint && entry.endpoint.type === 'Gateway') {
      const ip = gatewayEndpointAddress(model, entry.endpoint.id);
      if (ip !== null && !internetSource)
        return [{ kind: 'address', ip, eni: null, label: `${node.name} (${formatIPv4(ip)})` }];
    }
    if (node.type === 'aws.lambda.function') {
      const hop = inactiveHop(
        node.id,
        node.native_id,
        `Lambda functions do not accept inbound network connections`,
        'ingress',
      );
      return staticPath(ctx, 'UNSUPPORTED', source, d, hop, labels);
    }
    if (!entry || entry.enis.length === 0) {
      const hop = inactiveHop(
        node.id,
        node.native_id,
        `${node.name} (${node.type}) is not a network destination the tracer can reach`,
        'ingress',
      );
      return staticPath(ctx, 'UNSUPPORTED', source, d, hop, labels);
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
  throw new TraceQueryError('INVALID_QUERY', 'destination needs node_id, ip or cidr');
}

function sourceText(q: TraceQuery, model?: NetworkModel): string {
  const s = q.source as Record<string, unknown>;
  if (s.internet === true) return 'the internet';
  const named = typeof s.node_id === 'string' ? model?.nodes.get(s.node_id)?.name : undefined;
  return String(named ?? s.node_id ?? s.ip ?? 'the source');
}

function sourceEndpointGuess(q: TraceQuery): TraceEndpoint {
  const s = q.source as Record<string, unknown>;
  if (s.internet === true) return { node_id: null, eni_id: null, ip: null, kind: 'internet' };
  return {
    node_id: typeof s.node_id === 'string' ? s.node_id : null,
    eni_id: null,
    ip: typeof s.ip === 'string' ? s.ip : null,
    kind: 'eni',
  };
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

/** Paths from one start to one address. */
function runAddress(
  ctx: Ctx,
  start: Start,
  srcIp: number,
  dstIp: number,
  eni: EniM | null,
  label: string,
): TracePath[] {
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
      throw new TraceQueryError('INVALID_QUERY', 'ephemeral_port_range needs integers 0 ≤ from ≤ to ≤ 65535');
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
  const paths: TracePath[] = [];
  const starts = resolveSource(ctx, query);
  if (Array.isArray(starts)) {
    const internet = starts.some((s) => s.kind === 'internet');
    const targets = resolveDestination(ctx, query, internet);
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
    paths.push(
      staticPath(ctx, 'UNSUPPORTED', sourceEndpointGuess(query), destInfo(model, 0, null), hop, {
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
