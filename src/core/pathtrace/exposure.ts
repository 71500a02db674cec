/**
 * exposure(): every node reachable from the internet, on which ports, and
 * one path for each.
 *
 * Two ways in: an interface's own public address through an internet
 * gateway, and an internet-facing load balancer that forwards to a target.
 * Each interface is tried from representative internet addresses (see
 * candidates.ts), so ports opened only to some source ranges are found too.
 */
import { formatIPv4 } from '../network/ip.ts';
import { internetSourceCandidates, loadBalancerSourceBoundaries } from './candidates.ts';
import { type EniM, type LbM, type LbTargetM, type NetworkModel, privateAddressFor } from './model.ts';
import { equals, intersectRange, isEmpty, type PortSet, toRanges, union } from './portset.ts';
import {
  createTraceContext,
  eniLabel,
  type Flow,
  INTERNET_START,
  invalidQuery,
  parseFlow,
  pathAssumptions,
  runAddress,
  runViaLoadBalancer,
  type TraceContext,
  TraceQueryError,
} from './trace.ts';
import type { ExposedEndpoint, ExposedService, ExposureOptions, ExposureResult, Hop, TraceProtocol } from './types.ts';

interface Probe {
  ports: PortSet;
  /** Ports reachable from the most general candidate, i.e. from any address. */
  openPorts: PortSet;
  openToAny: boolean;
  exampleSource: number | null;
  hops: Hop[] | null;
}

/** One flow per protocol; `ports` narrow tcp and udp, other protocols are checked whole. */
function flowsFor(opts: ExposureOptions): Flow[] {
  const protocols: TraceProtocol[] = opts.protocols ?? ['tcp', 'udp', 'icmp'];
  const flows = protocols.map((protocol, i) => {
    let flow: Flow;
    try {
      flow = parseFlow({ protocol });
    } catch (e) {
      if (!(e instanceof TraceQueryError)) throw e;
      throw invalidQuery([{ field: `protocols[${i}]`, message: e.problems[0]?.message ?? e.message }]);
    }
    if (opts.ports && opts.ports.length > 0 && (flow.proto === 6 || flow.proto === 17)) {
      let ports: PortSet = [];
      for (const p of opts.ports) ports = union(ports, [p, p]);
      return { ...flow, ports, portsAsked: true };
    }
    return flow;
  });
  // Ports that apply to nothing asked would be dropped silently: refuse them, as trace does.
  if (opts.ports && opts.ports.length > 0 && !flows.some((f) => f.proto === 6 || f.proto === 17)) {
    throw invalidQuery([{ field: 'ports', message: 'applies only to tcp and udp, and protocols names neither' }]);
  }
  return flows;
}

function serviceOf(flow: Flow, probe: Probe): ExposedService {
  return {
    protocol: flow.protocolName,
    protocol_number: flow.proto,
    ports: flow.hasPorts ? toRanges(probe.ports) : null,
    open_to_any_address: probe.openToAny && equals(probe.openPorts, probe.ports),
    ports_open_to_any_address: flow.hasPorts ? toRanges(probe.openPorts) : null,
    example_source_ip: formatIPv4(probe.exampleSource ?? 0),
  };
}

function probeInterface(ctx: TraceContext, eni: EniM, sources: number[], assumptions: Set<string>): Probe {
  const { flow } = ctx;
  const probe: Probe = { ports: [], openPorts: [], openToAny: false, exampleSource: null, hops: null };
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i]!;
    const [path] = runAddress(
      ctx,
      INTERNET_START,
      src,
      eni.publicIp ?? 0,
      eni,
      eniLabel(eni, privateAddressFor(eni, eni.publicIp)),
    );
    if (!path?.reachable) continue;
    const reached = flow.hasPorts ? flatten(path.reachable_ports ?? []) : [0, 0];
    probe.ports = union(probe.ports, reached);
    // Candidates come most general first: reaching the first means any address does.
    if (i === 0) {
      probe.openToAny = true;
      probe.openPorts = reached;
    }
    if (probe.exampleSource === null) {
      probe.exampleSource = src;
      probe.hops = path.hops;
      for (const a of pathAssumptions(ctx, path)) assumptions.add(a);
    }
    if (!flow.hasPorts || equals(probe.ports, flow.ports)) break;
  }
  return probe;
}

function intersectSets(a: PortSet, b: PortSet): PortSet {
  let out: PortSet = [];
  for (let i = 0; i < b.length; i += 2) out = union(out, intersectRange(a, b[i]!, b[i + 1]!));
  return out;
}

function flatten(ranges: { from: number; to: number }[]): PortSet {
  const out: number[] = [];
  for (const r of ranges) out.push(r.from, r.to);
  return out;
}

/** Every node reachable from the internet, with the ports and a path for each. */
export function exposure(model: NetworkModel, opts: ExposureOptions = {}): ExposureResult {
  const flows = flowsFor(opts);
  const maxResults = Math.max(1, opts.maxResults ?? 1000);
  const includePaths = opts.includePaths !== false;
  const contexts = flows.map((f) => createTraceContext(model, f));
  const assumptions = new Set<string>();
  const byKey = new Map<string, ExposedEndpoint>();
  const lbProbes = new Map<
    LbM,
    { eni: EniM; source: number; ports: Map<number, PortSet>; open: Map<number, PortSet> }
  >();
  let examined = 0;
  let truncated = false;

  const record = (key: string, make: () => ExposedEndpoint, services: ExposedService[], hops: Hop[] | null) => {
    const existing = byKey.get(key);
    if (existing) {
      for (const s of services) {
        const same = existing.services.find((x) => x.protocol_number === s.protocol_number);
        if (!same) existing.services.push(s);
        else if (same.ports && s.ports) {
          const ports = union(flatten(same.ports), flatten(s.ports));
          const open = union(flatten(same.ports_open_to_any_address ?? []), flatten(s.ports_open_to_any_address ?? []));
          same.ports = toRanges(ports);
          same.ports_open_to_any_address = toRanges(open);
          same.open_to_any_address = equals(open, ports);
          if (same.target_ports || s.target_ports) {
            same.target_ports = toRanges(union(flatten(same.target_ports ?? []), flatten(s.target_ports ?? [])));
          }
        }
      }
      return;
    }
    if (byKey.size >= maxResults) {
      truncated = true;
      return;
    }
    const e = make();
    e.services = services;
    if (includePaths && hops) e.hops = hops;
    byKey.set(key, e);
  };

  for (const eni of model.enis) {
    if (eni.publicIp === null && !eni.publicIpUnknown) continue;
    // NAT gateways never accept connections from outside; interfaces without a gateway cannot be reached.
    if (eni.nat || !eni.vpc.igw) continue;
    examined++;
    const sources = internetSourceCandidates([eni]);
    const services: ExposedService[] = [];
    let hops: Hop[] | null = null;
    for (const ctx of contexts) {
      const probe = probeInterface(ctx, eni, sources, assumptions);
      if (probe.exampleSource === null || (ctx.flow.hasPorts && isEmpty(probe.ports))) continue;
      services.push(serviceOf(ctx.flow, probe));
      hops ??= probe.hops;
      if (eni.lb) {
        let entry = lbProbes.get(eni.lb);
        if (!entry) {
          entry = { eni, source: probe.exampleSource, ports: new Map(), open: new Map() };
          lbProbes.set(eni.lb, entry);
        }
        entry.ports.set(ctx.flow.proto, union(entry.ports.get(ctx.flow.proto) ?? [], probe.ports));
        entry.open.set(ctx.flow.proto, union(entry.open.get(ctx.flow.proto) ?? [], probe.openPorts));
      }
    }
    if (services.length === 0) continue;
    const nodeId = eni.lb?.nodeId ?? eni.ownerNodeId ?? eni.nodeId;
    const node = model.nodes.get(nodeId);
    record(
      `${nodeId}|public_ip`,
      () => ({
        node_id: nodeId,
        node_type: node?.type ?? 'aws.ec2.network_interface',
        name: node?.name ?? eni.id,
        eni_id: eni.lb ? null : eni.id,
        private_ip: eni.lb ? null : formatIPv4(privateAddressFor(eni, eni.publicIp)),
        public_ip: eni.publicIp === null ? null : formatIPv4(eni.publicIp),
        via: 'public_ip',
        load_balancer_node_id: null,
        services: [],
      }),
      services,
      hops,
    );
  }

  // Targets of exposed internet-facing load balancers, resolved in the model as trace resolves them:
  // every registration (port) of each target interface is tried.
  for (const [lb, probe] of lbProbes) {
    if (lb.scheme !== 'internet-facing') continue;
    // Listener rules with source-ip conditions, and targets that see the client's own address, treat
    // some internet addresses differently: try one address of each piece they cut the internet into,
    // and a port is open to any address only when every piece reaches it.
    const sources =
      loadBalancerSourceBoundaries(lb).length > 0 ? internetSourceCandidates(lb.enis, lb) : [probe.source];
    const byEni = new Map<EniM, LbTargetM[]>();
    for (const t of lb.targets) {
      const list = byEni.get(t.eni);
      if (list) list.push(t);
      else byEni.set(t.eni, [t]);
    }
    for (const [target, registrations] of byEni) {
      examined++;
      const services: ExposedService[] = [];
      let hops: Hop[] | null = null;
      // The address the load balancer sends to (an IP target's may be a secondary one).
      let exposedIp: number | null = null;
      for (const ctx of contexts) {
        const lbPorts = probe.ports.get(ctx.flow.proto);
        // Load balancers forward TCP/UDP only.
        if (!lbPorts || isEmpty(lbPorts) || (ctx.flow.proto !== 6 && ctx.flow.proto !== 17)) continue;
        const portCtx = createTraceContext(model, { ...ctx.flow, ports: lbPorts, portsAsked: true });
        let reached: PortSet = [];
        let reachedFromAll: PortSet = [];
        let targetPorts: PortSet = [];
        let serviceHops: Hop[] | null = null;
        let exampleSource: number | null = null;
        for (const reg of registrations) {
          let fromAll: PortSet | null = null;
          for (const source of sources) {
            const [path] = runViaLoadBalancer(
              portCtx,
              INTERNET_START,
              source,
              lb,
              [reg],
              target.ownerName ?? target.id,
            );
            const ports = path?.reachable ? flatten(path.reachable_ports ?? []) : [];
            fromAll = fromAll === null ? ports : intersectSets(fromAll, ports);
            if (!path?.reachable) continue;
            for (const a of pathAssumptions(portCtx, path)) assumptions.add(a);
            reached = union(reached, ports);
            // The port the target receives on: the registered port, else the listener's.
            targetPorts = union(targetPorts, reg.port === null ? ports : [reg.port, reg.port]);
            serviceHops ??= path.hops;
            exampleSource ??= source;
            exposedIp ??= reg.ip;
          }
          reachedFromAll = union(reachedFromAll, fromAll ?? []);
        }
        if (serviceHops === null || exampleSource === null) continue;
        // Open to any address where the load balancer itself is, and its rules forward every address.
        const open = intersectSets(reachedFromAll, probe.open.get(ctx.flow.proto) ?? []);
        services.push({
          ...serviceOf(ctx.flow, {
            ports: reached,
            openPorts: open,
            openToAny: !isEmpty(open),
            exampleSource,
            hops: serviceHops,
          }),
          target_ports: toRanges(targetPorts),
        });
        hops ??= serviceHops;
      }
      if (services.length === 0) continue;
      const nodeId = target.ownerNodeId ?? target.nodeId;
      const node = model.nodes.get(nodeId);
      record(
        `${nodeId}|lb|${lb.nodeId}`,
        () => ({
          node_id: nodeId,
          node_type: node?.type ?? 'aws.ec2.network_interface',
          name: node?.name ?? target.id,
          eni_id: target.id,
          private_ip: formatIPv4(exposedIp ?? target.ips[0]!),
          public_ip: target.publicIp === null ? null : formatIPv4(target.publicIp),
          via: 'load_balancer',
          load_balancer_node_id: lb.nodeId,
          services: [],
        }),
        services,
        hops,
      );
    }
  }
  return { exposed: [...byKey.values()], examined, truncated, assumptions: [...assumptions] };
}
