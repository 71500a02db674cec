/**
 * Choosing concrete addresses for questions about a set of addresses
 * ("from the internet", "to 0.0.0.0/0").
 *
 * Rules only distinguish addresses at the edges of the CIDRs they mention,
 * so splitting the asked range at every such edge and tracing one address
 * per piece is exact. Pieces matched only by the broadest CIDRs come first:
 * an answer for them holds for "any address", not just a lucky one.
 */
import { NON_PUBLIC_IPV4_RANGES } from '../network/ip.ts';
import type { EniM, LbM, NetworkModel, SubnetM } from './model.ts';

export interface AddressRange {
  first: number;
  last: number;
  prefix: number;
}

export interface Representative {
  ip: number;
  /** Longest prefix among the boundary CIDRs covering it (-1: none). Lower is more general. */
  specificity: number;
}

function prefixOfRange(first: number, last: number): number {
  const size = last - first + 1;
  const bits = Math.round(Math.log2(size));
  return 32 - bits;
}

export function rangesToBoundaries(flat: number[]): AddressRange[] {
  const out: AddressRange[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    out.push({ first: flat[i]!, last: flat[i + 1]!, prefix: prefixOfRange(flat[i]!, flat[i + 1]!) });
  }
  return out;
}

/**
 * One representative address per piece of [base.first, base.last] cut at the
 * boundaries' edges, leaving out excluded ranges, most general first; pieces inside the same
 * boundaries are alike, so only the first of them is kept.
 */
export function representativeAddresses(
  base: { first: number; last: number },
  boundaries: AddressRange[],
  excluded: readonly { first: number; last: number }[],
  limit: number,
): Representative[] {
  const cuts = new Set<number>([base.first]);
  const addCut = (v: number) => {
    if (v > base.first && v <= base.last) cuts.add(v);
  };
  for (const b of boundaries) {
    addCut(b.first);
    addCut(b.last + 1);
  }
  for (const x of excluded) {
    addCut(x.first);
    addCut(x.last + 1);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const reps: Representative[] = [];
  // Pieces inside the same boundaries are judged alike (cuts at excluded ranges alone make more):
  // one address for each.
  const seen = new Set<string>();
  for (let i = 0; i < points.length; i++) {
    const start = points[i]!;
    const end = i + 1 < points.length ? points[i + 1]! - 1 : base.last;
    if (excluded.some((x) => start >= x.first && start <= x.last)) continue;
    let specificity = -1;
    const inside: number[] = [];
    boundaries.forEach((b, index) => {
      if (start < b.first || start > b.last) return;
      inside.push(index);
      if (b.prefix > specificity) specificity = b.prefix;
    });
    const key = inside.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    // Avoid handing out a network address (x.x.x.0) when the piece has another.
    const ip = start % 256 === 0 && start + 1 <= end ? start + 1 : start;
    reps.push({ ip, specificity });
  }
  reps.sort((a, b) => a.specificity - b.specificity || a.ip - b.ip);
  return reps.slice(0, limit);
}

/** Address ranges an internet source is judged by on its way into these interfaces. */
export function ingressBoundaries(enis: readonly EniM[]): AddressRange[] {
  const out: AddressRange[] = [];
  const seenSubnets = new Set<SubnetM>();
  for (const eni of enis) {
    for (const sg of eni.sgs) for (const r of sg.ingress) out.push(...rangesToBoundaries(r.ranges));
    if (eni.subnet.nacl && !seenSubnets.has(eni.subnet)) {
      seenSubnets.add(eni.subnet);
      // Outbound entries matter too: replies to the client go through them.
      for (const e of eni.subnet.nacl.ingress)
        out.push({ first: e.first, last: e.last, prefix: prefixOfRange(e.first, e.last) });
      for (const e of eni.subnet.nacl.egress)
        out.push({ first: e.first, last: e.last, prefix: prefixOfRange(e.first, e.last) });
    }
  }
  return out;
}

/**
 * Address ranges behind a load balancer that tell its clients apart: its listener rules' `source-ip`
 * conditions (which groups a client reaches), and the ingress rules of the targets that see the client's
 * own address (client IP preservation).
 */
export function loadBalancerSourceBoundaries(lb: LbM): AddressRange[] {
  const out: AddressRange[] = [];
  for (const l of lb.listeners) {
    for (const rule of l.routing?.rules ?? []) {
      for (const c of rule.sources ?? []) out.push({ first: c.first, last: c.last, prefix: c.prefix });
    }
  }
  const preserving = new Set(lb.targets.filter((t) => t.clientIpPreserved).map((t) => t.eni));
  out.push(...ingressBoundaries([...preserving]));
  return out;
}

/**
 * Internet addresses worth trying as the source of traffic into these interfaces (of a load
 * balancer `lb`, whose listener rules may tell sources apart too).
 */
export function internetSourceCandidates(enis: readonly EniM[], lb: LbM | null = null, limit = 12): number[] {
  const boundaries = ingressBoundaries(enis);
  if (lb !== null) boundaries.push(...loadBalancerSourceBoundaries(lb));
  return representativeAddresses({ first: 0, last: 0xffffffff }, boundaries, NON_PUBLIC_IPV4_RANGES, limit).map(
    (r) => r.ip,
  );
}

/** Address ranges that decide where traffic from this subnet/interface to an outside address goes. */
export function egressBoundaries(subnet: SubnetM, eni: EniM | null): AddressRange[] {
  const out: AddressRange[] = [];
  for (const r of subnet.routeTable.routes) out.push({ first: r.first, last: r.last, prefix: r.prefix });
  if (subnet.nacl) {
    for (const e of subnet.nacl.egress)
      out.push({ first: e.first, last: e.last, prefix: prefixOfRange(e.first, e.last) });
    for (const e of subnet.nacl.ingress)
      out.push({ first: e.first, last: e.last, prefix: prefixOfRange(e.first, e.last) });
  }
  if (eni) for (const sg of eni.sgs) for (const r of sg.egress) out.push(...rangesToBoundaries(r.ranges));
  return out;
}

export interface DestinationCandidate {
  ip: number;
  eni: EniM | null;
}

/**
 * Addresses to try for a CIDR destination: interfaces inside it first (the
 * likely intent for a VPC or subnet range), then outside pieces. For /0 the
 * question is "any internet address", so only public addresses outside
 * every modelled VPC are tried.
 */
export function cidrDestinationCandidates(
  model: NetworkModel,
  cidr: { first: number; last: number; prefix: number },
  from: { subnet: SubnetM; eni: EniM | null },
  limit = 24,
): DestinationCandidate[] {
  const anyInternet = cidr.prefix === 0;
  const out: DestinationCandidate[] = [];
  if (!anyInternet) {
    const sameVpcFirst = [...model.subnetsSorted].sort(
      (a, b) => Number(b.vpc === from.subnet.vpc) - Number(a.vpc === from.subnet.vpc),
    );
    for (const s of sameVpcFirst) {
      if (out.length >= limit) break;
      if (s.cidr.last < cidr.first || s.cidr.first > cidr.last) continue;
      let found = false;
      for (const [ip, eni] of s.eniByIp) {
        if (ip < cidr.first || ip > cidr.last || eni === from.eni) continue;
        out.push({ ip, eni });
        found = true;
        break;
      }
      if (!found) {
        const ip = Math.max(s.cidr.first + 4, cidr.first);
        if (ip <= Math.min(s.cidr.last - 1, cidr.last)) out.push({ ip, eni: null });
      }
    }
  }
  const vpcRanges: { first: number; last: number }[] = [];
  for (const vpc of model.vpcs.values()) for (const c of vpc.cidrs) vpcRanges.push(c);
  const excluded = anyInternet ? [...vpcRanges, ...NON_PUBLIC_IPV4_RANGES] : vpcRanges;
  const outside = representativeAddresses(cidr, egressBoundaries(from.subnet, from.eni), excluded, limit);
  for (const r of outside) {
    if (out.length >= limit) break;
    out.push({ ip: r.ip, eni: null });
  }
  return out;
}
