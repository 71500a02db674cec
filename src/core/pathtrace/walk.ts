/**
 * The packet walker: follows one packet through the modelled AWS network the
 * way AWS forwards it (security groups, network ACLs, route tables, gateways)
 * and records every component it passes as a hop.
 *
 * The walk is deterministic except where AWS itself has choices (ECMP routes
 * on a transit gateway), where it branches depth-first. The same walker runs
 * replies ("return" mode): security groups are skipped (stateful), ACLs must
 * pass every port of the client's ephemeral range, NAT translations made on
 * the way out are undone, and the reply must arrive back at the client.
 */
import { cidrContainsIp, formatIPv4, isPublicIPv4 } from '../network/ip.ts';
import {
  type EndpointM,
  type EniM,
  type IgwM,
  type NatM,
  type NetworkModel,
  privateAddressFor,
  publicAddressFor,
  type RouteM,
  type RouteTableM,
  type SubnetM,
  type TgwAttachmentM,
  type TgwRouteM,
  type VgwM,
  type VpcM,
} from './model.ts';
import { formatPorts, intersectRange, isEmpty, type PortSet, union } from './portset.ts';
import { evaluateNaclExists, evaluateNaclForAll, evaluateSecurityGroups } from './rules.ts';
import type { Disposition, Hop, HopKind, NetworkAclRuleRef, RouteRef, TransitGatewayRouteRef } from './types.ts';

/** Where a packet starts or is expected to arrive. */
export type Endpoint =
  | { kind: 'eni'; eni: EniM; ip: number }
  | { kind: 'subnet'; subnet: SubnetM; ip: number }
  | { kind: 'internet'; ip: number };

export interface Packet {
  src: number;
  dst: number;
  proto: number;
  ports: PortSet;
  /** Set while the packet is inside a VPC it entered over this peering (peering is not transitive). */
  viaPeering: string | null;
  /** Availability Zone the flow is in, for choosing transit gateway interfaces. */
  az: string | null;
}

export interface NatRecord {
  nat: NatM;
  eni: EniM;
  originalSrc: number;
}

/** Where a packet left the modelled network. */
export type Exit =
  /** `eni` is the interface whose public address the gateway translated to. */
  | { kind: 'igw'; igw: IgwM; vpc: VpcM; eni: EniM }
  | { kind: 'vgw'; vgw: VgwM; vpc: VpcM }
  | { kind: 'tgw'; attachment: TgwAttachmentM }
  | { kind: 'vpce'; endpoint: EndpointM }
  | { kind: 'unmodelled'; what: string };

export interface Outcome {
  disposition: Disposition;
  hops: Hop[];
  blocked: Hop | null;
  /** Ports still admitted at the end. */
  ports: PortSet;
  /** Delivered to (forward ACCEPTED / DELIVERED_TO_SUBNET). */
  end: Endpoint | null;
  exit: Exit | null;
  /** Source and destination addresses as seen at the end (after translations). */
  finalSrc: number;
  finalDst: number;
  nats: NatRecord[];
  assumptions: string[];
}

export interface WalkOptions {
  mode: 'forward' | 'return';
  /** Stop exploring after the first successful outcome. */
  stopOnSuccess: boolean;
  maxOutcomes: number;
  /** Forward: the interface the query means by its destination (node destinations). */
  expectedDestination: EniM | null;
  /** Return: the client the reply must reach. */
  expectedClient: Endpoint | null;
  /** Return: NAT translations made on the way out, undone on the way back. */
  forwardNats: NatRecord[];
  /** Return: ports replies use once all NAT translations are undone (the client's ephemeral range). */
  clientPorts: PortSet;
  /**
   * Return, behind a Network Load Balancer that preserved the client's address: that address. The target
   * replies to it, so its subnet's network ACL judges the reply against it; AWS hands the reply to the
   * load balancer (the expected client) whatever the subnet's routes say.
   */
  preservedClientIp?: number;
}

const MAX_STEPS = 64;
const MAX_BUDGET = 4096;
/** NAT gateways pick source ports from 1024–65535; replies to them arrive on these. */
export const NAT_PORTS: PortSet = [1024, 65535];

/** ' (ports 1024–32767)' or ' (ICMP type 0 code 0)': what part of the flow an ACL entry blocked. */
function describeBlocked(proto: number, ports: PortSet): string {
  if (proto === 6 || proto === 17) return ` (ports ${formatPorts(ports)})`;
  if (proto === 1 && ports.length === 2 && ports[0] === ports[1])
    return ` (ICMP type ${ports[0]! >> 8} code ${ports[0]! & 255})`;
  return '';
}

export function isSuccess(d: Disposition): boolean {
  return d === 'ACCEPTED' || d === 'DELIVERED_TO_SUBNET' || d === 'EXITS_NETWORK';
}

export function lookupRoute(routes: RouteM[] | TgwRouteM[], ip: number): RouteM | TgwRouteM | null {
  for (const r of routes) if (ip >= r.first && ip <= r.last) return r;
  return null;
}

export function findSubnet(vpc: VpcM, ip: number): SubnetM | null {
  const list = vpc.subnets;
  let lo = 0;
  let hi = list.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.cidr.first <= ip) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) return null;
  const s = list[found]!;
  return ip <= s.cidr.last ? s : null;
}

function vpcContains(vpc: VpcM, ip: number): boolean {
  for (const c of vpc.cidrs) if (ip >= c.first && ip <= c.last) return true;
  return false;
}

export class Walker {
  readonly outcomes: Outcome[] = [];
  private readonly hops: Hop[] = [];
  private readonly nats: NatRecord[] = [];
  private readonly assumptions: string[] = [];
  /** Forwarding decisions on the current path (loop guard; restored when branches unwind). */
  private steps = 0;
  /** Forwarding decisions across all branches (bounds ECMP fan-out over loops). */
  private budget = MAX_BUDGET;
  private readonly forAll: boolean;
  private readonly model: NetworkModel;
  private readonly opts: WalkOptions;
  /** Forward NAT records not yet undone (return mode). */
  private readonly pendingNats: NatRecord[];

  constructor(model: NetworkModel, opts: WalkOptions, proto: number) {
    this.model = model;
    this.opts = opts;
    // Replies and 'all traffic' flows must pass every port, not some port.
    this.forAll = opts.mode === 'return' || proto === -1;
    this.pendingNats = [...opts.forwardNats];
  }

  get done(): boolean {
    if (this.outcomes.length >= this.opts.maxOutcomes) return true;
    return this.opts.stopOnSuccess && this.outcomes.some((o) => isSuccess(o.disposition));
  }

  // --- bookkeeping ---------------------------------------------------------------

  private hop(h: Hop): Hop {
    this.hops.push(h);
    return h;
  }

  private assume(list: string[]): void {
    for (const a of list) if (!this.assumptions.includes(a)) this.assumptions.push(a);
  }

  private finish(
    disposition: Disposition,
    p: Packet,
    extra: { end?: Endpoint | null; exit?: Exit | null; blocked?: Hop | null } = {},
  ): void {
    const blocked = isSuccess(disposition) ? null : (extra.blocked ?? this.hops[this.hops.length - 1] ?? null);
    this.outcomes.push({
      disposition,
      hops: this.hops.slice(),
      blocked,
      ports: p.ports,
      end: extra.end ?? null,
      exit: extra.exit ?? null,
      finalSrc: p.src,
      finalDst: p.dst,
      nats: this.nats.slice(),
      assumptions: this.assumptions.slice(),
    });
  }

  /** Runs `fn` and then restores hops, NAT records and assumptions (for branching). */
  private branch(fn: () => void): void {
    const h = this.hops.length;
    const n = this.nats.length;
    const a = this.assumptions.length;
    const pending = this.pendingNats.slice();
    const steps = this.steps;
    fn();
    this.steps = steps;
    this.hops.length = h;
    this.nats.length = n;
    this.assumptions.length = a;
    this.pendingNats.length = 0;
    this.pendingNats.push(...pending);
  }

  /** Loop and fan-out guard for every forwarding decision. */
  private overBudget(p: Packet, kind: HopKind, nodeId: string | null, nativeId: string): boolean {
    if (--this.budget < 0) {
      this.drop(
        'UNSUPPORTED',
        p,
        kind,
        nodeId,
        nativeId,
        'too many equal-cost branches to explore; the analysis stopped here',
      );
      return true;
    }
    if (++this.steps > MAX_STEPS) {
      this.drop('NO_ROUTE', p, kind, nodeId, nativeId, 'routing loop: the packet keeps being forwarded');
      return true;
    }
    return false;
  }

  private drop(
    disposition: Disposition,
    p: Packet,
    kind: HopKind,
    nodeId: string | null,
    nativeId: string | null,
    note: string,
  ): void {
    const h = this.hop({
      node_id: nodeId,
      native_id: nativeId,
      kind,
      direction: 'forward',
      decision: 'drop',
      rule: null,
      note,
    });
    this.finish(disposition, p, { blocked: h });
  }

  // --- starts ----------------------------------------------------------------------

  /** A packet leaving an interface (forward: after its security groups admit it). */
  startAtEni(eni: EniM, p: Packet): void {
    this.assume(eni.assumptions);
    this.hop({
      node_id: eni.nodeId,
      native_id: eni.id,
      kind: 'eni',
      direction: 'egress',
      decision: 'forward',
      rule: null,
      note: `${eni.synthesized ? 'interface assumed for' : 'interface'} ${eni.ownerName ?? eni.id} sends from ${formatIPv4(p.src)}`,
    });
    const loopback = p.dst >>> 24 === 127;
    if (this.opts.mode === 'forward' && (loopback || eni.ips.includes(p.dst))) {
      // Traffic to one's own address, or to loopback, never leaves the host: no group, ACL or route sees it.
      this.hop({
        node_id: eni.nodeId,
        native_id: eni.id,
        kind: 'eni',
        direction: 'ingress',
        decision: 'allow',
        rule: null,
        note: loopback
          ? `${formatIPv4(p.dst)} is the loopback address; the traffic stays on the host`
          : `${formatIPv4(p.dst)} is the interface's own address; the traffic stays on the host`,
      });
      this.finish('ACCEPTED', p, { end: { kind: 'eni', eni, ip: p.dst } });
      return;
    }
    if (this.opts.mode === 'forward') {
      const ports = this.checkSecurityGroups(eni, 'egress', p);
      if (!ports) return;
      p = { ...p, ports };
    }
    this.routeFrom(eni.subnet, p);
  }

  /** A packet from an address in a subnet that no known interface has. */
  startAtSubnetAddress(subnet: SubnetM, p: Packet): void {
    this.hop({
      node_id: subnet.nodeId,
      native_id: subnet.id,
      kind: 'subnet',
      direction: 'egress',
      decision: 'forward',
      rule: null,
      note: `${formatIPv4(p.src)} has no known interface in ${subnet.id}; no security groups are evaluated for it`,
    });
    if (this.opts.mode === 'forward') {
      this.assume([
        `${formatIPv4(p.src)} has no known network interface, so no security groups are evaluated at the source`,
      ]);
    }
    this.routeFrom(subnet, p);
  }

  /** A packet from an internet address to an interface's public address. */
  startFromInternet(eni: EniM, p: Packet): void {
    this.hop({
      node_id: null,
      native_id: null,
      kind: 'internet',
      direction: 'forward',
      decision: 'forward',
      rule: null,
      note: `from internet address ${formatIPv4(p.src)}`,
    });
    this.enterFromInternet(eni, p);
  }

  /** Replies that come back in through the gateway the forward packet left by. */
  startReturnAtExit(exit: Exit, p: Packet): void {
    switch (exit.kind) {
      case 'igw': {
        this.hop({
          node_id: null,
          native_id: null,
          kind: 'internet',
          direction: 'forward',
          decision: 'forward',
          rule: null,
          note: `reply from ${formatIPv4(p.src)}`,
        });
        this.enterFromInternet(exit.eni, p);
        return;
      }
      case 'vgw': {
        this.hop({
          node_id: exit.vgw.nodeId,
          native_id: exit.vgw.id,
          kind: 'vpn_gateway',
          direction: 'ingress',
          decision: 'forward',
          rule: null,
          note: `reply from ${formatIPv4(p.src)} enters ${exit.vpc.id}`,
        });
        const edge = exit.vpc.edgeRouteTables.get(exit.vgw.id);
        if (edge) this.routeWith(exit.vpc, edge, null, p);
        else this.deliverLocal(exit.vpc, null, p);
        return;
      }
      case 'tgw': {
        this.hop({
          node_id: exit.attachment.nodeId,
          native_id: exit.attachment.id,
          kind: 'transit_gateway_attachment',
          direction: 'ingress',
          decision: 'forward',
          rule: null,
          note: `reply from ${formatIPv4(p.src)} enters transit gateway ${exit.attachment.tgwId}`,
        });
        this.tgwRoute(exit.attachment, p);
        return;
      }
      case 'vpce': {
        const vpc = this.model.vpcs.get(exit.endpoint.vpcId ?? '');
        this.hop({
          node_id: exit.endpoint.nodeId,
          native_id: exit.endpoint.id,
          kind: 'vpc_endpoint',
          direction: 'ingress',
          decision: 'forward',
          rule: null,
          note: `reply from ${exit.endpoint.serviceName ?? 'the service'}`,
        });
        if (!vpc) {
          this.drop('NO_ROUTE', p, 'vpc_endpoint', exit.endpoint.nodeId, exit.endpoint.id, 'endpoint VPC is unknown');
          return;
        }
        this.deliverLocal(vpc, null, p);
        return;
      }
      case 'unmodelled':
        this.assume([`replies from ${exit.what} are assumed to come back the way the traffic left`]);
        this.finish('ACCEPTED', p);
        return;
    }
  }

  /** Replies from a destination interface or subnet address back towards the client. */
  startReturnAt(end: Endpoint, p: Packet): void {
    const client = this.opts.expectedClient;
    if (end.kind === 'eni' && client?.kind === 'eni' && client.eni === end.eni && end.eni.ips.includes(p.dst)) {
      this.finish('ACCEPTED', p, { end: client });
      return;
    }
    if (end.kind === 'eni') {
      this.hop({
        node_id: end.eni.nodeId,
        native_id: end.eni.id,
        kind: 'eni',
        direction: 'egress',
        decision: 'forward',
        rule: null,
        note: 'reply leaves (security groups are stateful: replies are always allowed)',
      });
      const preserved = this.opts.preservedClientIp;
      if (preserved !== undefined && client !== null) {
        this.replyToLoadBalancer(end.eni, client, p, preserved);
        return;
      }
      this.routeFrom(end.eni.subnet, p);
    } else if (end.kind === 'subnet') {
      this.routeFrom(end.subnet, p);
    }
  }

  /**
   * A target's reply to a client whose address the load balancer preserved: it leaves the target's subnet
   * addressed to the client (its outbound ACL judges that), and the load balancer takes it back.
   */
  private replyToLoadBalancer(target: EniM, lb: Endpoint, p: Packet, clientIp: number): void {
    const subnet = target.subnet;
    let ports = p.ports;
    // A client inside the target's own subnet is reached without crossing its ACL.
    if (!cidrContainsIp(subnet.cidr, clientIp)) {
      const admitted = this.checkNacl(subnet, 'egress', { ...p, dst: clientIp });
      if (!admitted) return;
      ports = admitted;
    }
    this.hop({
      node_id: lb.kind === 'eni' ? lb.eni.nodeId : null,
      native_id: lb.kind === 'eni' ? lb.eni.id : null,
      kind: 'eni',
      direction: 'ingress',
      decision: 'forward',
      rule: null,
      note: `the load balancer takes back the reply to ${formatIPv4(clientIp)}, whose address it preserved`,
    });
    this.finish('ACCEPTED', { ...p, ports }, { end: lb });
  }

  // --- security groups and ACLs ------------------------------------------------------

  /** Returns the admitted ports, or null after recording the denial. */
  private checkSecurityGroups(eni: EniM, direction: 'ingress' | 'egress', p: Packet): PortSet | null {
    if (eni.noSecurityGroups) return p.ports;
    if (eni.sgs.length === 0 && eni.missingSgIds.length === 0) {
      this.assume([`no security groups are known for ${eni.id}; treated as allowing all traffic`]);
      return p.ports;
    }
    const peer = direction === 'egress' ? p.dst : p.src;
    const ev = evaluateSecurityGroups(eni, direction, peer, p.proto, p.ports);
    const denyDisposition: Disposition = direction === 'egress' ? 'DENIED_OUT' : 'DENIED_IN';
    const peerText = `${direction === 'egress' ? 'to' : 'from'} ${formatIPv4(peer)}`;
    if (!isEmpty(ev.allowed) && ev.decidedBy) {
      const { sg, rule } = ev.decidedBy;
      this.hop({
        node_id: sg.nodeId,
        native_id: sg.id,
        kind: 'security_group',
        direction,
        decision: 'allow',
        rule: {
          type: 'security_group_rule',
          security_group_id: sg.id,
          direction,
          rule_index: rule.index,
          rule: rule.raw,
        },
        note: `${direction} rule ${rule.index} of ${sg.id} allows it ${peerText}`,
      });
      if (ev.uncertain && ev.allowed.length !== p.ports.length) {
        this.assume([
          `${ev.uncertain.sg.id} ${direction} rule ${ev.uncertain.rule.index} references ${ev.uncertain.rule.unresolved.join(', ')}, which the inventory lacks; it was treated as not matching`,
        ]);
      }
      return ev.allowed;
    }
    const groupIds = [...eni.sgs.map((s) => s.id), ...eni.missingSgIds];
    const first = eni.sgs[0];
    if (ev.uncertain || eni.missingSgIds.length > 0) {
      const why = ev.uncertain
        ? `${ev.uncertain.sg.id} ${direction} rule ${ev.uncertain.rule.index} references ${ev.uncertain.rule.unresolved.join(', ')}, which the inventory lacks, so whether it matches cannot be decided`
        : `security group(s) ${eni.missingSgIds.join(', ')} attached to ${eni.id} are not in the inventory, so their rules cannot be evaluated`;
      const h = this.hop({
        node_id: ev.uncertain?.sg.nodeId ?? first?.nodeId ?? null,
        native_id: ev.uncertain?.sg.id ?? first?.id ?? eni.missingSgIds[0] ?? null,
        kind: 'security_group',
        direction,
        decision: 'drop',
        rule: { type: 'security_group_no_match', direction, security_group_ids: groupIds },
        note: why,
      });
      this.assume([why]);
      this.finish('UNSUPPORTED', p, { blocked: h });
      return null;
    }
    const h = this.hop({
      node_id: first?.nodeId ?? null,
      native_id: first?.id ?? null,
      kind: 'security_group',
      direction,
      decision: 'deny',
      rule: { type: 'security_group_no_match', direction, security_group_ids: groupIds },
      note: `no ${direction} rule of ${groupIds.join(', ')} allows it ${peerText}`,
    });
    this.finish(denyDisposition, p, { blocked: h });
    return null;
  }

  /** Returns the admitted ports, or null after recording the denial. */
  private checkNacl(subnet: SubnetM, direction: 'ingress' | 'egress', p: Packet): PortSet | null {
    const nacl = subnet.nacl;
    if (!nacl) {
      this.assume(subnet.assumptions);
      return p.ports;
    }
    const entries = direction === 'egress' ? nacl.egress : nacl.ingress;
    const peer = direction === 'egress' ? p.dst : p.src;
    const side = direction === 'egress' ? `outbound from ${subnet.id}` : `inbound to ${subnet.id}`;
    let allowed: PortSet;
    let entry: (typeof entries)[number];
    let blockedText = '';
    if (this.forAll) {
      const ev = evaluateNaclForAll(entries, peer, p.proto, p.ports);
      allowed = ev.allowed ? p.ports : [];
      entry = ev.entry;
      if (!ev.allowed) blockedText = describeBlocked(p.proto, ev.blockedPorts);
    } else {
      const ev = evaluateNaclExists(entries, peer, p.proto, p.ports);
      allowed = ev.allowed;
      entry = ev.entry;
    }
    const rule: NetworkAclRuleRef = {
      type: 'network_acl_entry',
      network_acl_id: nacl.id,
      rule_number: entry.ruleNumber,
      egress: direction === 'egress',
      action: entry.allow ? 'allow' : 'deny',
      entry: entry.raw,
    };
    const ruleName = entry.raw ? `rule ${entry.ruleNumber}` : 'the default rule * (32767)';
    const ok = !isEmpty(allowed);
    const h = this.hop({
      node_id: nacl.nodeId,
      native_id: nacl.id,
      kind: 'network_acl',
      direction,
      decision: ok ? 'allow' : 'deny',
      rule,
      note: `${ruleName} of ${nacl.id} ${ok ? 'allows' : 'denies'} it ${side}${blockedText}`,
    });
    if (!ok) {
      this.finish(direction === 'egress' ? 'DENIED_OUT' : 'DENIED_IN', p, { blocked: h });
      return null;
    }
    return allowed;
  }

  /** ACL checks for a packet moving from one subnet (or a gateway, null) into another. */
  private crossSubnets(from: SubnetM | null, to: SubnetM, p: Packet): Packet | null {
    if (from === to) return p;
    if (from) {
      const ports = this.checkNacl(from, 'egress', p);
      if (!ports) return null;
      p = { ...p, ports };
    }
    const ports = this.checkNacl(to, 'ingress', p);
    if (!ports) return null;
    return { ...p, ports };
  }

  private leaveSubnet(from: SubnetM | null, p: Packet): Packet | null {
    if (!from) return p;
    const ports = this.checkNacl(from, 'egress', p);
    return ports ? { ...p, ports } : null;
  }

  // --- routing -------------------------------------------------------------------------

  private routeFrom(subnet: SubnetM, p: Packet): void {
    this.routeWith(subnet.vpc, subnet.routeTable, subnet, { ...p, az: subnet.az ?? p.az });
  }

  private routeWith(vpc: VpcM, rt: RouteTableM, from: SubnetM | null, p: Packet): void {
    if (this.overBudget(p, 'route_table', rt.nodeId, rt.id)) return;
    this.assume(rt.assumptions);
    const route = lookupRoute(rt.routes, p.dst) as RouteM | null;
    if (!route) {
      const h = this.hop({
        node_id: rt.nodeId,
        native_id: rt.implied ? null : rt.id,
        kind: 'route_table',
        direction: 'forward',
        decision: 'drop',
        rule: { type: 'no_route', route_table_id: rt.implied ? null : rt.id, destination_ip: formatIPv4(p.dst) },
        note: `${rt.implied ? 'the implied main route table' : rt.id} has no route to ${formatIPv4(p.dst)}`,
      });
      this.finish('NO_ROUTE', p, { blocked: h });
      return;
    }
    const r = route.raw;
    const rule: RouteRef = {
      type: 'route',
      route_table_id: rt.id,
      destination: route.destination,
      target_type: r.target_type,
      target_id: r.target_id,
      state: r.state,
      origin: r.origin,
      ...(route.implied || rt.implied ? { implied: true } : {}),
    };
    if (r.state === 'blackhole') {
      const h = this.hop({
        node_id: rt.nodeId,
        native_id: rt.id,
        kind: 'route_table',
        direction: 'forward',
        decision: 'drop',
        rule,
        note: `route ${route.destination} → ${r.target_id || r.target_type} in ${rt.id} is a blackhole`,
      });
      this.finish('NULL_ROUTED', p, { blocked: h });
      return;
    }
    this.hop({
      node_id: rt.nodeId,
      native_id: rt.implied ? null : rt.id,
      kind: 'route_table',
      direction: 'forward',
      decision: 'forward',
      rule,
      note: `route ${route.destination} → ${r.target_type === 'local' ? 'local' : r.target_id} in ${rt.id}`,
    });
    switch (r.target_type) {
      case 'local':
        this.deliverLocal(vpc, from, p);
        return;
      case 'internet_gateway':
        this.toInternetGateway(vpc, from, p, r.target_id);
        return;
      case 'nat_gateway':
        this.toNatGateway(vpc, from, p, r.target_id);
        return;
      case 'vpc_peering_connection':
        this.toPeering(vpc, from, p, r.target_id);
        return;
      case 'transit_gateway':
        this.toTransitGateway(vpc, from, p, r.target_id);
        return;
      case 'vpn_gateway':
        this.toVpnGateway(vpc, from, p, r.target_id);
        return;
      case 'vpc_endpoint':
        this.toGatewayEndpoint(from, p, r.target_id);
        return;
      case 'network_interface':
      case 'instance':
        this.toAppliance(vpc, from, p, r.target_type, r.target_id);
        return;
      default:
        this.drop(
          'UNSUPPORTED',
          p,
          'route_table',
          rt.nodeId,
          rt.id,
          `routes to ${r.target_type} targets (${r.target_id}) are not modelled`,
        );
    }
  }

  // --- delivery inside a VPC -------------------------------------------------------------

  private deliverLocal(vpc: VpcM, from: SubnetM | null, p: Packet): void {
    const subnet = findSubnet(vpc, p.dst);
    if (!subnet) {
      this.drop(
        'NO_ROUTE',
        p,
        'subnet',
        vpc.nodeId,
        vpc.id,
        `no subnet of ${vpc.id} contains ${formatIPv4(p.dst)}, so the local route delivers it nowhere`,
      );
      return;
    }
    const crossed = this.crossSubnets(from, subnet, p);
    if (!crossed) return;
    this.arrive(subnet, subnet.eniByIp.get(crossed.dst) ?? null, crossed);
  }

  private arrive(subnet: SubnetM, eni: EniM | null, p: Packet): void {
    if (this.opts.mode === 'return') {
      this.arriveReply(subnet, eni, p);
      return;
    }
    const expected = this.opts.expectedDestination;
    if (expected && eni !== expected) {
      // Overlapping CIDRs: the address exists here too, but it is not the destination asked for.
      this.drop(
        'NO_ROUTE',
        p,
        'subnet',
        subnet.nodeId,
        subnet.id,
        `${formatIPv4(p.dst)} is routed into ${subnet.id} in ${subnet.vpc.id}${eni ? ` (to ${eni.id})` : ''}, not to the destination ${expected.id} in ${expected.vpc.id}`,
      );
      return;
    }
    if (!eni) {
      this.hop({
        node_id: subnet.nodeId,
        native_id: subnet.id,
        kind: 'subnet',
        direction: 'ingress',
        decision: 'forward',
        rule: null,
        note: `${formatIPv4(p.dst)} is in ${subnet.id} but no known interface has it`,
      });
      this.finish('DELIVERED_TO_SUBNET', p, { end: { kind: 'subnet', subnet, ip: p.dst } });
      return;
    }
    this.assume(eni.assumptions);
    if (eni.nat) {
      this.drop(
        'DENIED_IN',
        p,
        'nat_gateway',
        eni.nat.nodeId,
        eni.nat.id,
        `${eni.nat.id} only carries replies to connections started from inside; it does not accept connections`,
      );
      return;
    }
    const ports = this.checkSecurityGroups(eni, 'ingress', p);
    if (!ports) return;
    p = { ...p, ports };
    if (eni.lb && eni.lb.listeners.length > 0 && (p.proto === 6 || p.proto === 17)) {
      const lb = eni.lb;
      let listened: PortSet = [];
      let listener: { port: number; protocol: string } | null = null;
      for (const l of lb.listeners) {
        const hit = intersectRange(p.ports, l.port, l.port);
        if (!isEmpty(hit)) {
          listened = union(listened, hit);
          listener ??= l;
        }
      }
      if (!listener) {
        this.drop(
          'DENIED_IN',
          p,
          'load_balancer',
          lb.nodeId,
          lb.arn,
          `${lb.name} has no listener on port ${formatPorts(p.ports)} (listeners: ${lb.listeners.map((l) => l.port).join(', ')})`,
        );
        return;
      }
      p = { ...p, ports: listened };
      this.hop({
        node_id: lb.nodeId,
        native_id: lb.arn,
        kind: 'load_balancer',
        direction: 'ingress',
        decision: 'allow',
        rule: { type: 'listener', load_balancer_arn: lb.arn, port: listener.port, protocol: listener.protocol },
        note: `listener ${listener.protocol}:${listener.port} of ${lb.name}`,
      });
    }
    this.hop({
      node_id: eni.nodeId,
      native_id: eni.id,
      kind: 'eni',
      direction: 'ingress',
      decision: 'allow',
      rule: null,
      note: `delivered to ${eni.ownerName ?? eni.id} at ${formatIPv4(p.dst)}`,
    });
    this.finish('ACCEPTED', p, { end: { kind: 'eni', eni, ip: p.dst } });
  }

  /** Return mode: the reply must reach the client, after undoing NAT translations. */
  private arriveReply(subnet: SubnetM, eni: EniM | null, p: Packet): void {
    const client = this.opts.expectedClient;
    if (eni?.nat) {
      const idx = this.pendingNats.findLastIndex((n) => n.eni === eni);
      if (idx >= 0) {
        const rec = this.pendingNats[idx]!;
        this.pendingNats.splice(idx, 1);
        this.hop({
          node_id: rec.nat.nodeId,
          native_id: rec.nat.id,
          kind: 'nat_gateway',
          direction: 'forward',
          decision: 'forward',
          rule: null,
          note: `translates the reply back to ${formatIPv4(rec.originalSrc)}`,
        });
        const ports = this.pendingNats.length > 0 ? NAT_PORTS : this.opts.clientPorts;
        this.routeWith(rec.nat.vpc, rec.nat.subnet.routeTable, rec.nat.subnet, {
          ...p,
          dst: rec.originalSrc,
          ports: p.proto === 6 || p.proto === 17 ? ports : p.ports,
        });
        return;
      }
    }
    if (client?.kind === 'eni' && eni === client.eni && p.dst === client.ip) {
      this.hop({
        node_id: eni.nodeId,
        native_id: eni.id,
        kind: 'eni',
        direction: 'ingress',
        decision: 'allow',
        rule: null,
        note: 'reply delivered to the client',
      });
      this.finish('ACCEPTED', p, { end: client });
      return;
    }
    if (client?.kind === 'subnet' && !eni && subnet === client.subnet && p.dst === client.ip) {
      this.hop({
        node_id: subnet.nodeId,
        native_id: subnet.id,
        kind: 'subnet',
        direction: 'ingress',
        decision: 'forward',
        rule: null,
        note: 'reply delivered to the client address',
      });
      this.finish('ACCEPTED', p, { end: client });
      return;
    }
    this.drop(
      'NO_ROUTE',
      p,
      eni ? 'eni' : 'subnet',
      eni?.nodeId ?? subnet.nodeId,
      eni?.id ?? subnet.id,
      `the reply reaches ${eni ? eni.id : subnet.id} in ${subnet.vpc.id}, not the client (asymmetric routing)`,
    );
  }

  // --- gateways -------------------------------------------------------------------------------

  private notTransitive(p: Packet, kind: HopKind, nodeId: string | null, nativeId: string): boolean {
    if (!p.viaPeering) return false;
    this.drop(
      'NO_ROUTE',
      p,
      kind,
      nodeId,
      nativeId,
      `traffic that arrived over ${p.viaPeering} cannot leave through ${nativeId}: VPC peering is not transitive`,
    );
    return true;
  }

  private toInternetGateway(vpc: VpcM, from: SubnetM | null, p: Packet, igwId: string): void {
    const igw = this.model.igws.get(igwId);
    if (!igw?.vpcIds.has(vpc.id)) {
      this.drop(
        'NULL_ROUTED',
        p,
        'internet_gateway',
        igw?.nodeId ?? null,
        igwId,
        igw ? `${igwId} is not attached to ${vpc.id}` : `${igwId} is not in the inventory`,
      );
      return;
    }
    if (this.notTransitive(p, 'internet_gateway', igw.nodeId, igw.id)) return;
    const left = this.leaveSubnet(from, p);
    if (!left) return;
    p = left;
    // The gateway translates a private address to its own public address (one to one).
    const owner = this.interfaceOf(vpc, p.src);
    const known = owner ? publicAddressFor(owner, p.src) : null;
    if (!owner || (known === null && !owner.publicIpUnknown)) {
      this.drop(
        'NO_PUBLIC_IP',
        p,
        'internet_gateway',
        igw.nodeId,
        igw.id,
        !owner
          ? `${formatIPv4(p.src)} is not an address of an interface with a public IP, so ${igw.id} cannot carry it`
          : owner.publicByPrivate.size > 0
            ? `${formatIPv4(p.src)} of ${owner.id} has no public IP address (only ${[...owner.publicByPrivate.keys()].map((ip) => formatIPv4(ip)).join(', ')} ${owner.publicByPrivate.size === 1 ? 'has' : 'have'} one), so ${igw.id} cannot carry its traffic`
            : `${owner.id} has no public IP address, so ${igw.id} cannot carry its traffic`,
      );
      return;
    }
    if (known === null) this.assume(owner.assumptions);
    const publicIp = known ?? 0;
    this.hop({
      node_id: igw.nodeId,
      native_id: igw.id,
      kind: 'internet_gateway',
      direction: 'egress',
      decision: 'forward',
      rule: null,
      note: `translates ${formatIPv4(p.src)} to ${known === null ? 'its public address' : formatIPv4(publicIp)}`,
    });
    p = { ...p, src: publicIp, viaPeering: null };
    if (!isPublicIPv4(p.dst)) {
      this.drop(
        'NO_ROUTE',
        p,
        'internet',
        null,
        null,
        `${formatIPv4(p.dst)} is not a public address, so the internet cannot deliver it`,
      );
      return;
    }
    const target = this.model.publicIpIndex.get(p.dst);
    if (target) {
      this.hop({
        node_id: null,
        native_id: null,
        kind: 'internet',
        direction: 'forward',
        decision: 'forward',
        rule: null,
        note: `across the internet to ${formatIPv4(p.dst)}`,
      });
      this.enterFromInternet(target, p);
      return;
    }
    if (this.opts.mode === 'return') {
      const client = this.opts.expectedClient;
      if (client?.kind === 'internet' && client.ip === p.dst) {
        this.hop({
          node_id: null,
          native_id: null,
          kind: 'internet',
          direction: 'forward',
          decision: 'forward',
          rule: null,
          note: `reply reaches ${formatIPv4(p.dst)}`,
        });
        this.finish('ACCEPTED', p, { end: client });
        return;
      }
      this.drop('NO_ROUTE', p, 'internet', null, null, `the reply leaves to ${formatIPv4(p.dst)}, not to the client`);
      return;
    }
    this.hop({
      node_id: null,
      native_id: null,
      kind: 'internet',
      direction: 'forward',
      decision: 'forward',
      rule: null,
      note: `to internet address ${formatIPv4(p.dst)}`,
    });
    this.finish('EXITS_NETWORK', p, { exit: { kind: 'igw', igw, vpc, eni: owner } });
  }

  /** The interface owning a private address in this VPC, if any. */
  private interfaceOf(vpc: VpcM, ip: number): EniM | null {
    const subnet = findSubnet(vpc, ip);
    return subnet?.eniByIp.get(ip) ?? null;
  }

  private enterFromInternet(eni: EniM, p: Packet): void {
    const vpc = eni.vpc;
    const igw = vpc.igw;
    if (!igw) {
      this.drop(
        'NO_ROUTE',
        p,
        'internet',
        null,
        null,
        `${vpc.id} has no internet gateway attached, so ${eni.id} cannot be reached from the internet`,
      );
      return;
    }
    // Each public address maps to its own private address of the interface.
    const known = [...eni.publicByPrivate.values()].includes(p.dst);
    const privateIp = privateAddressFor(eni, known ? p.dst : null);
    this.hop({
      node_id: igw.nodeId,
      native_id: igw.id,
      kind: 'internet_gateway',
      direction: 'ingress',
      decision: 'forward',
      rule: null,
      note: `translates ${known ? formatIPv4(p.dst) : 'the public address'} to ${formatIPv4(privateIp)}`,
    });
    if (!known) this.assume(eni.assumptions);
    const q: Packet = { ...p, dst: privateIp, viaPeering: null, az: eni.subnet.az };
    const edge = vpc.edgeRouteTables.get(igw.id);
    if (edge) this.routeWith(vpc, edge, null, q);
    else this.deliverLocal(vpc, null, q);
  }

  private toNatGateway(vpc: VpcM, from: SubnetM | null, p: Packet, natId: string): void {
    const nat = this.model.nats.get(natId);
    if (!nat?.active || !nat.eni || nat.vpc !== vpc) {
      this.drop(
        'NULL_ROUTED',
        p,
        'nat_gateway',
        nat?.nodeId ?? null,
        natId,
        nat ? `${natId} is ${nat.state ?? 'unavailable'}` : `${natId} is not in the inventory`,
      );
      return;
    }
    if (this.notTransitive(p, 'nat_gateway', nat.nodeId, nat.id)) return;
    if (this.opts.mode === 'return') {
      this.drop(
        'NO_ROUTE',
        p,
        'nat_gateway',
        nat.nodeId,
        nat.id,
        `the reply is routed to ${nat.id}, which would translate it and break the connection (asymmetric routing)`,
      );
      return;
    }
    const crossed = this.crossSubnets(from, nat.subnet, p);
    if (!crossed) return;
    const natIp = nat.eni.ips[0]!;
    this.hop({
      node_id: nat.nodeId,
      native_id: nat.id,
      kind: 'nat_gateway',
      direction: 'forward',
      decision: 'forward',
      rule: null,
      note: `translates source ${formatIPv4(crossed.src)} to ${formatIPv4(natIp)}`,
    });
    this.nats.push({ nat, eni: nat.eni, originalSrc: crossed.src });
    this.routeWith(vpc, nat.subnet.routeTable, nat.subnet, { ...crossed, src: natIp, az: nat.subnet.az });
  }

  private toPeering(vpc: VpcM, from: SubnetM | null, p: Packet, pcxId: string): void {
    const pcx = this.model.peerings.get(pcxId);
    const otherId = pcx
      ? pcx.requesterVpcId === vpc.id
        ? pcx.accepterVpcId
        : pcx.accepterVpcId === vpc.id
          ? pcx.requesterVpcId
          : null
      : null;
    if (!pcx?.active || !otherId) {
      this.drop(
        'NULL_ROUTED',
        p,
        'vpc_peering_connection',
        pcx?.nodeId ?? null,
        pcxId,
        !pcx
          ? `${pcxId} is not in the inventory`
          : !pcx.active
            ? `${pcxId} is ${pcx.status ?? 'not active'}`
            : `${pcxId} does not connect ${vpc.id}`,
      );
      return;
    }
    if (this.notTransitive(p, 'vpc_peering_connection', pcx.nodeId, pcx.id)) return;
    if (!vpcContains(vpc, p.src)) {
      // Peering carries only traffic that starts at an interface in this VPC (no edge-to-edge routing).
      this.drop(
        'NO_ROUTE',
        p,
        'vpc_peering_connection',
        pcx.nodeId,
        pcx.id,
        `${formatIPv4(p.src)} is not an address of ${vpc.id}; ${pcx.id} only carries traffic from its own VPCs`,
      );
      return;
    }
    const left = this.leaveSubnet(from, p);
    if (!left) return;
    const peer = this.model.vpcs.get(otherId);
    this.hop({
      node_id: pcx.nodeId,
      native_id: pcx.id,
      kind: 'vpc_peering_connection',
      direction: 'forward',
      decision: 'forward',
      rule: null,
      note: `from ${vpc.id} to ${otherId}`,
    });
    if (!peer) {
      this.assume([`${otherId}, the peer of ${pcx.id}, is not in the inventory; the trace stops at the peering`]);
      this.finish('EXITS_NETWORK', left, { exit: { kind: 'unmodelled', what: `${otherId} (over ${pcx.id})` } });
      return;
    }
    if (!vpcContains(peer, left.dst)) {
      this.drop(
        'NO_ROUTE',
        left,
        'vpc_peering_connection',
        pcx.nodeId,
        pcx.id,
        `${formatIPv4(left.dst)} is not inside ${peer.id}; VPC peering is not transitive`,
      );
      return;
    }
    this.deliverLocal(peer, null, { ...left, viaPeering: pcx.id });
  }

  private toTransitGateway(vpc: VpcM, from: SubnetM | null, p: Packet, tgwId: string): void {
    const tgw = this.model.tgws.get(tgwId);
    const att = vpc.tgwAttachments.find((a) => a.tgwId === tgwId && a.active);
    if (!att || (tgw && !tgw.active)) {
      this.drop(
        'NULL_ROUTED',
        p,
        'transit_gateway',
        tgw?.nodeId ?? null,
        tgwId,
        `${vpc.id} has no active attachment to ${tgwId}`,
      );
      return;
    }
    if (this.notTransitive(p, 'transit_gateway', tgw?.nodeId ?? null, tgwId)) return;
    this.assume(att.assumptions);
    const az = from?.az ?? p.az;
    let attSubnet: SubnetM | null = from;
    if (att.subnets.length > 0) {
      attSubnet = att.subnets.find((s) => s.az === az) ?? (az === null ? att.subnets[0]! : null);
      if (!attSubnet) {
        this.drop(
          'NO_ROUTE',
          p,
          'transit_gateway_attachment',
          att.nodeId,
          att.id,
          `${att.id} has no subnet in ${az}; a transit gateway only takes traffic from Availability Zones it is attached in`,
        );
        return;
      }
    }
    let q: Packet | null = p;
    if (from && attSubnet) q = this.crossSubnets(from, attSubnet, p);
    if (!q) return;
    this.hop({
      node_id: tgw?.nodeId ?? null,
      native_id: tgwId,
      kind: 'transit_gateway',
      direction: 'forward',
      decision: 'forward',
      rule: null,
      note: `enters ${tgwId} through ${att.id}${attSubnet ? ` (${attSubnet.id})` : ''}`,
    });
    this.tgwRoute(att, { ...q, az: attSubnet?.az ?? az });
  }

  private tgwRoute(inAtt: TgwAttachmentM, p: Packet): void {
    if (this.overBudget(p, 'transit_gateway', null, inAtt.tgwId)) return;
    const rtb = inAtt.rtb;
    if (!rtb) {
      this.drop(
        'NO_ROUTE',
        p,
        'transit_gateway_attachment',
        inAtt.nodeId,
        inAtt.id,
        `${inAtt.id} is not associated with a transit gateway route table`,
      );
      return;
    }
    this.assume(rtb.assumptions);
    const route = lookupRoute(rtb.routes, p.dst) as TgwRouteM | null;
    if (!route) {
      const h = this.hop({
        node_id: rtb.nodeId,
        native_id: rtb.id,
        kind: 'transit_gateway_route_table',
        direction: 'forward',
        decision: 'drop',
        rule: { type: 'no_route', route_table_id: rtb.id, destination_ip: formatIPv4(p.dst) },
        note: `${rtb.id} has no route to ${formatIPv4(p.dst)}`,
      });
      this.finish('NO_ROUTE', p, { blocked: h });
      return;
    }
    const rule: TransitGatewayRouteRef = {
      type: 'transit_gateway_route',
      transit_gateway_route_table_id: rtb.id,
      destination: route.destination,
      route_type: route.raw.type,
      state: route.raw.state,
      attachment_ids: route.raw.attachment_ids,
      ...(route.derived ? { derived: true } : {}),
    };
    if (route.raw.state === 'blackhole' || route.raw.attachment_ids.length === 0) {
      const h = this.hop({
        node_id: rtb.nodeId,
        native_id: rtb.id,
        kind: 'transit_gateway_route_table',
        direction: 'forward',
        decision: 'drop',
        rule,
        note: `route ${route.destination} in ${rtb.id} is a blackhole`,
      });
      this.finish('NULL_ROUTED', p, { blocked: h });
      return;
    }
    this.hop({
      node_id: rtb.nodeId,
      native_id: rtb.id,
      kind: 'transit_gateway_route_table',
      direction: 'forward',
      decision: 'forward',
      rule,
      note: `${route.raw.type} route ${route.destination} → ${route.raw.attachment_ids.join(', ')} in ${rtb.id}${route.derived ? ' (derived from a propagation)' : ''}`,
    });
    const targets = route.raw.attachment_ids;
    for (const attId of targets) {
      if (this.done) return;
      const run = () => this.toTgwAttachment(attId, p);
      if (targets.length === 1) run();
      else this.branch(run);
    }
  }

  private toTgwAttachment(attId: string, p: Packet): void {
    const out = this.model.tgwAttachments.get(attId);
    if (!out?.active) {
      this.drop(
        'NULL_ROUTED',
        p,
        'transit_gateway_attachment',
        out?.nodeId ?? null,
        attId,
        out ? `${attId} is ${out.state}` : `${attId} is not in the inventory`,
      );
      return;
    }
    this.assume(out.assumptions);
    if (out.type === 'vpc') {
      const vpc = out.vpc;
      if (!vpc) {
        this.hop({
          node_id: out.nodeId,
          native_id: out.id,
          kind: 'transit_gateway_attachment',
          direction: 'forward',
          decision: 'forward',
          rule: null,
          note: `to ${out.resourceId ?? 'a VPC'}, which is not in the inventory`,
        });
        this.assume([`${out.resourceId ?? 'the VPC'} behind ${out.id} is not in the inventory; the trace stops there`]);
        this.finish('EXITS_NETWORK', p, { exit: { kind: 'unmodelled', what: `${out.resourceId} (over ${out.id})` } });
        return;
      }
      const subnet =
        out.subnets.find((s) => s.az === p.az) ?? out.subnets[0] ?? findSubnet(vpc, p.dst) ?? vpc.subnets[0] ?? null;
      this.hop({
        node_id: out.nodeId,
        native_id: out.id,
        kind: 'transit_gateway_attachment',
        direction: 'forward',
        decision: 'forward',
        rule: null,
        note: `into ${vpc.id}${subnet ? ` through ${subnet.id}` : ''}`,
      });
      if (!subnet) {
        this.drop('NO_ROUTE', p, 'transit_gateway_attachment', out.nodeId, out.id, `${vpc.id} has no subnets`);
        return;
      }
      // Traffic leaving a transit gateway is routed by the attachment subnet's route table.
      this.routeWith(vpc, subnet.routeTable, subnet, { ...p, az: subnet.az, viaPeering: null });
      return;
    }
    const what =
      out.type === 'vpn' ? `VPN connection ${out.resourceId ?? out.id}` : `${out.type} ${out.resourceId ?? out.id}`;
    this.hop({
      node_id: out.nodeId,
      native_id: out.id,
      kind: out.type === 'vpn' ? 'vpn_connection' : 'transit_gateway_attachment',
      direction: 'forward',
      decision: 'forward',
      rule: null,
      note: `leaves through ${what}`,
    });
    if (out.type !== 'vpn') this.assume([`traffic leaving through ${what} is not followed further`]);
    this.finishExit(p, { kind: 'tgw', attachment: out });
  }

  private finishExit(p: Packet, exit: Exit): void {
    if (this.opts.mode === 'return') {
      this.drop(
        'NO_ROUTE',
        p,
        this.hops[this.hops.length - 1]?.kind ?? 'route_table',
        null,
        null,
        'the reply leaves the network instead of returning to the client (asymmetric routing)',
      );
      return;
    }
    this.finish('EXITS_NETWORK', p, { exit });
  }

  private toVpnGateway(vpc: VpcM, from: SubnetM | null, p: Packet, vgwId: string): void {
    const vgw = this.model.vgws.get(vgwId);
    if (!vgw?.active || !vgw.vpcIds.has(vpc.id)) {
      this.drop(
        'NULL_ROUTED',
        p,
        'vpn_gateway',
        vgw?.nodeId ?? null,
        vgwId,
        vgw ? `${vgwId} is not attached to ${vpc.id}` : `${vgwId} is not in the inventory`,
      );
      return;
    }
    if (this.notTransitive(p, 'vpn_gateway', vgw.nodeId, vgw.id)) return;
    const left = this.leaveSubnet(from, p);
    if (!left) return;
    this.hop({
      node_id: vgw.nodeId,
      native_id: vgw.id,
      kind: 'vpn_gateway',
      direction: 'forward',
      decision: 'forward',
      rule: null,
      note: `to ${vgw.id}`,
    });
    const active = vgw.vpns.filter((v) => v.active);
    let best: {
      vpn: (typeof active)[number];
      cidr: { first: number; last: number; prefix: number };
      text: string;
    } | null = null;
    for (const vpn of active) {
      for (const r of vpn.routes) {
        if (left.dst >= r.cidr.first && left.dst <= r.cidr.last && (!best || r.cidr.prefix > best.cidr.prefix)) {
          best = { vpn, cidr: r.cidr, text: r.text };
        }
      }
    }
    if (best) {
      this.hop({
        node_id: best.vpn.nodeId,
        native_id: best.vpn.id,
        kind: 'vpn_connection',
        direction: 'forward',
        decision: 'forward',
        rule: { type: 'vpn_route', vpn_connection_id: best.vpn.id, destination: best.text, source: 'static' },
        note: `static route ${best.text} of ${best.vpn.id} leaves the network`,
      });
      this.finishExit(left, { kind: 'vgw', vgw, vpc });
      return;
    }
    const dynamic = active.find((v) => !v.staticOnly);
    if (dynamic) {
      this.assume([
        `${dynamic.id} uses BGP; its learned routes are not in the inventory, so it is assumed to accept ${formatIPv4(left.dst)}`,
      ]);
      this.hop({
        node_id: dynamic.nodeId,
        native_id: dynamic.id,
        kind: 'vpn_connection',
        direction: 'forward',
        decision: 'forward',
        rule: { type: 'vpn_route', vpn_connection_id: dynamic.id, destination: formatIPv4(left.dst), source: 'bgp' },
        note: `assumed BGP route of ${dynamic.id}`,
      });
      this.finishExit(left, { kind: 'vgw', vgw, vpc });
      return;
    }
    this.drop(
      'NO_ROUTE',
      left,
      active.length > 0 ? 'vpn_connection' : 'vpn_gateway',
      active[0]?.nodeId ?? vgw.nodeId,
      active[0]?.id ?? vgw.id,
      active.length > 0
        ? `no static route of ${active.map((v) => v.id).join(', ')} covers ${formatIPv4(left.dst)}`
        : `${vgw.id} has no available VPN connection`,
    );
  }

  private toGatewayEndpoint(from: SubnetM | null, p: Packet, vpceId: string): void {
    const ep = this.model.endpoints.get(vpceId);
    if (!ep?.active) {
      this.drop(
        'NULL_ROUTED',
        p,
        'vpc_endpoint',
        ep?.nodeId ?? null,
        vpceId,
        ep ? `${vpceId} is not available` : `${vpceId} is not in the inventory`,
      );
      return;
    }
    const left = this.leaveSubnet(from, p);
    if (!left) return;
    this.hop({
      node_id: ep.nodeId,
      native_id: ep.id,
      kind: 'vpc_endpoint',
      direction: 'forward',
      decision: 'forward',
      rule: null,
      note: `gateway endpoint to ${ep.serviceName ?? 'an AWS service'}`,
    });
    this.finishExit(left, { kind: 'vpce', endpoint: ep });
  }

  private toAppliance(vpc: VpcM, from: SubnetM | null, p: Packet, targetType: string, targetId: string): void {
    const eni =
      targetType === 'network_interface'
        ? this.model.eniById.get(targetId)
        : this.model.enis.find(
            (e) => e.role === 'instance' && this.model.nodes.get(e.ownerNodeId ?? '')?.native_id === targetId,
          );
    if (!eni) {
      this.drop(
        'NULL_ROUTED',
        p,
        'network_appliance',
        null,
        targetId,
        `${targetId} is not in the inventory or not running`,
      );
      return;
    }
    if (eni.vpc === vpc && eni.ips.includes(p.dst)) {
      this.deliverLocal(vpc, from, p);
      return;
    }
    this.drop(
      'UNSUPPORTED',
      p,
      'network_appliance',
      eni.nodeId,
      eni.id,
      `traffic is handed to appliance ${eni.ownerName ?? eni.id}; what the appliance does with it is not modelled`,
    );
  }
}
