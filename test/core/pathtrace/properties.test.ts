/**
 * Monotonicity of the rule semantics over random small networks:
 * allow rules can only open flows, a deny placed before every other ACL
 * entry can only close them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NetworkAclEntry, SecurityGroupRule } from '../../../src/core/network/attributes.ts';
import { type TraceQuery, trace } from '../../../src/core/pathtrace/index.ts';
import { aclEntry, allTraffic, Net, node, route, sgRule } from './builders.ts';

const SUBNETS = ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24'];
const CIDRS = ['0.0.0.0/0', '10.0.0.0/16', '10.0.1.0/24', '10.0.2.0/25', '10.0.0.10/32', '8.0.0.0/8'];
const SG_IDS = ['sg-0', 'sg-1', 'sg-2'];
const PROTOCOLS = ['-1', '6', '17', '1'];

const portRange = fc
  .tuple(fc.integer({ min: 0, max: 1100 }), fc.integer({ min: 0, max: 200 }))
  .map(([from, len]) => [from, Math.min(65535, from + len)] as [number, number]);

const sgRuleArb: fc.Arbitrary<SecurityGroupRule> = fc
  .record({
    protocol: fc.constantFrom(...PROTOCOLS),
    ports: fc.option(portRange, { nil: null }),
    peer: fc.oneof(fc.constantFrom(...CIDRS), fc.constantFrom(...SG_IDS)),
  })
  .map(({ protocol, ports, peer }) => {
    if (protocol === '1') return sgRule('1', ports ? [ports[0] % 20, -1] : [-1, -1], peer);
    return sgRule(protocol, protocol === '-1' ? null : ports, peer);
  });

const aclEntryArb = (egress: boolean): fc.Arbitrary<NetworkAclEntry> =>
  fc
    .record({
      ruleNumber: fc.integer({ min: 10, max: 400 }),
      allow: fc.boolean(),
      protocol: fc.constantFrom(...PROTOCOLS),
      cidr: fc.constantFrom(...CIDRS),
      ports: fc.option(portRange, { nil: undefined }),
    })
    .map(({ ruleNumber, allow, protocol, cidr, ports }) =>
      aclEntry(ruleNumber, allow ? 'allow' : 'deny', {
        egress,
        protocol,
        cidr,
        ...(ports && (protocol === '6' || protocol === '17') ? { ports } : {}),
      }),
    );

/**
 * ACL entries with distinct rule numbers per direction, as AWS requires; most
 * ACLs end in an allow-all so that enough flows get through for the
 * properties to bite.
 */
const aclDirectionArb = (egress: boolean) =>
  fc
    .tuple(fc.array(aclEntryArb(egress), { maxLength: 4 }), fc.boolean(), fc.boolean())
    .map(([entries, catchAll, catchAll2]) => [
      ...dedupe(entries),
      ...(catchAll || catchAll2 ? [aclEntry(500, 'allow', { egress })] : []),
    ]);
const aclArb = fc.tuple(aclDirectionArb(false), aclDirectionArb(true)).map(([i, e]) => [...i, ...e]);

function dedupe(entries: NetworkAclEntry[]): NetworkAclEntry[] {
  const seen = new Set<number>();
  return entries.filter((e) => !seen.has(e.rule_number) && seen.add(e.rule_number));
}

interface Spec {
  sgs: { ingress: SecurityGroupRule[]; egress: SecurityGroupRule[] }[];
  acls: NetworkAclEntry[][];
  instances: { subnet: number; sgs: number[]; publicIp: boolean }[];
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  sgs: fc.array(
    fc.record({
      ingress: fc.array(sgRuleArb, { maxLength: 4 }),
      // Mostly the AWS default egress (allow all), sometimes restricted.
      egress: fc.oneof(
        { weight: 3, arbitrary: fc.constant<SecurityGroupRule[]>([allTraffic('0.0.0.0/0')]) },
        { weight: 1, arbitrary: fc.array(sgRuleArb, { maxLength: 3 }) },
      ),
    }),
    { minLength: 3, maxLength: 3 },
  ),
  acls: fc.array(aclArb, { minLength: 3, maxLength: 3 }),
  instances: fc.array(
    fc.record({
      subnet: fc.integer({ min: 0, max: 2 }),
      sgs: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 2 }),
      publicIp: fc.boolean(),
    }),
    { minLength: 2, maxLength: 5 },
  ),
});

function build(spec: Spec): Net {
  const net = new Net();
  net.vpc('vpc-p', '10.0.0.0/16');
  net.igw('igw-p', 'vpc-p');
  net.routeTable('rtb-p', 'vpc-p', { main: true, routes: [route('0.0.0.0/0', 'igw-p')] });
  SUBNETS.forEach((cidr, i) => {
    net.subnet(`subnet-${i}`, 'vpc-p', cidr);
    net.nacl(`acl-${i}`, 'vpc-p', [`subnet-${i}`], spec.acls[i]!);
  });
  spec.sgs.forEach((sg, i) => {
    net.sg(SG_IDS[i]!, 'vpc-p', sg);
  });
  spec.instances.forEach((inst, i) => {
    const ip = `10.0.${inst.subnet}.${10 + i}`;
    net.instance(`i-${i}`, `subnet-${inst.subnet}`, ip, {
      sgs: inst.sgs.map((s) => SG_IDS[s]!),
      ...(inst.publicIp ? { publicIp: `54.0.0.${10 + i}` } : {}),
    });
  });
  return net;
}

interface Flow {
  src: number;
  dst: number;
  protocol: TraceQuery['protocol'];
  port: number;
}

const flowArb: fc.Arbitrary<Flow> = fc.record({
  src: fc.integer({ min: 0, max: 4 }),
  dst: fc.integer({ min: -1, max: 4 }), // -1: an internet address
  protocol: fc.constantFrom<TraceQuery['protocol']>('tcp', 'udp', 'icmp', 'all'),
  port: fc.integer({ min: 0, max: 1300 }),
});

function queries(spec: Spec, flows: Flow[]): TraceQuery[] {
  const n = spec.instances.length;
  return flows.map((f) => ({
    source: node(`i-${f.src % n}`),
    destination: f.dst < 0 ? { ip: '8.8.4.4' } : node(`i-${f.dst % n}`),
    protocol: f.protocol,
    ...(f.protocol === 'tcp' || f.protocol === 'udp' ? { port: f.port } : {}),
  }));
}

/** The subnet (ACL index) of the first flow's source or destination, so changes hit what the flows cross. */
function aclOf(spec: Spec, flows: Flow[], atDestination: boolean): number {
  const n = spec.instances.length;
  const f = flows[0]!;
  const idx = atDestination && f.dst >= 0 ? f.dst % n : f.src % n;
  return spec.instances[idx]!.subnet;
}

/** A security group of the first flow's source (egress) or destination (ingress). */
function sgOf(spec: Spec, flows: Flow[], ingress: boolean, pick: number): number {
  const n = spec.instances.length;
  const f = flows[0]!;
  const idx = ingress && f.dst >= 0 ? f.dst % n : f.src % n;
  const sgs = spec.instances[idx]!.sgs;
  return sgs[pick % sgs.length]!;
}

const runs = { numRuns: 300 };

describe('monotonicity', () => {
  it('adding a security group allow rule never makes a reachable flow unreachable', () => {
    fc.assert(
      fc.property(
        specArb,
        fc.array(flowArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        sgRuleArb,
        fc.nat(),
        (spec, flows, pick, ingress, extra, position) => {
          const sgIndex = sgOf(spec, flows, ingress, pick);
          const before = build(spec).model();
          const changed = structuredClone(spec);
          // Rule order means nothing in a security group: insert anywhere.
          const rules = ingress ? changed.sgs[sgIndex]!.ingress : changed.sgs[sgIndex]!.egress;
          rules.splice(position % (rules.length + 1), 0, extra);
          const after = build(changed).model();
          for (const q of queries(spec, flows)) {
            const a = trace(before, q);
            if (!a.reachable) continue;
            const b = trace(after, q);
            expect(b.reachable, JSON.stringify({ q, before: a.explanation, after: b.explanation })).toBe(true);
          }
        },
      ),
      runs,
    );
  });

  it('adding an ACL allow entry at a fresh rule number never makes a reachable flow unreachable', () => {
    fc.assert(
      fc.property(
        specArb,
        fc.array(flowArb, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.boolean().chain((egress) => aclEntryArb(egress)),
        (spec, flows, atDestination, entry) => {
          const aclIndex = aclOf(spec, flows, atDestination);
          const used = new Set(spec.acls[aclIndex]!.filter((e) => e.egress === entry.egress).map((e) => e.rule_number));
          let ruleNumber = entry.rule_number;
          while (used.has(ruleNumber)) ruleNumber++;
          const changed = structuredClone(spec);
          changed.acls[aclIndex]!.push({ ...entry, rule_number: ruleNumber, action: 'allow' });
          const before = build(spec).model();
          const after = build(changed).model();
          for (const q of queries(spec, flows)) {
            const a = trace(before, q);
            if (!a.reachable) continue;
            const b = trace(after, q);
            expect(b.reachable, JSON.stringify({ q, before: a.explanation, after: b.explanation })).toBe(true);
          }
        },
      ),
      runs,
    );
  });

  it('adding an ACL deny entry numbered below every other never makes an unreachable flow reachable', () => {
    fc.assert(
      fc.property(
        specArb,
        fc.array(flowArb, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.boolean().chain((egress) => aclEntryArb(egress)),
        (spec, flows, atDestination, entry) => {
          const aclIndex = aclOf(spec, flows, atDestination);
          const numbers = spec.acls[aclIndex]!.filter((e) => e.egress === entry.egress).map((e) => e.rule_number);
          const lowest = Math.min(100, ...numbers) - 1;
          const changed = structuredClone(spec);
          changed.acls[aclIndex]!.push({ ...entry, rule_number: lowest, action: 'deny' });
          const before = build(spec).model();
          const after = build(changed).model();
          for (const q of queries(spec, flows)) {
            const a = trace(before, q);
            if (a.reachable) continue;
            const b = trace(after, q);
            expect(b.reachable, JSON.stringify({ q, before: a.explanation, after: b.explanation })).toBe(false);
          }
        },
      ),
      runs,
    );
  });

  it('the ports that get through only grow when an allow rule is added', () => {
    fc.assert(
      fc.property(specArb, fc.integer({ min: 0, max: 2 }), sgRuleArb, (spec, sgIndex, extra) => {
        const q: TraceQuery = {
          source: node('i-0'),
          destination: node(`i-${spec.instances.length - 1}`),
          protocol: 'tcp',
          port_range: { from: 0, to: 1500 },
          check_return: false,
        };
        const changed = structuredClone(spec);
        changed.sgs[sgIndex]!.ingress.push(extra);
        const a = trace(build(spec).model(), q).reachable_ports ?? [];
        const b = trace(build(changed).model(), q).reachable_ports ?? [];
        for (const r of a) expect(b.some((x) => x.from <= r.from && x.to >= r.to)).toBe(true);
      }),
      runs,
    );
  });
});
