/**
 * One plain-English sentence per trace, naming the rule that decided.
 * Hop notes already carry the specifics ("rule 100 of acl-1 denies it
 * inbound to subnet-b"); this module stitches them into a sentence.
 */
import { formatPorts, type PortSet } from './portset.ts';
import type { Disposition, Hop, ReturnPath } from './types.ts';

const PROTOCOL_LABELS: Record<number, string> = { 6: 'TCP', 17: 'UDP', 1: 'ICMP' };

/** "TCP port 22", "UDP ports 1000–2000", "ICMP type 8 code 0", "all traffic", "IP protocol 47". */
export function describeFlow(proto: number, ports: PortSet, portsAsked: boolean): string {
  if (proto === -1) return 'all traffic';
  const label = PROTOCOL_LABELS[proto];
  if (!label) return `IP protocol ${proto}`;
  if (proto === 1) {
    if (!portsAsked || (ports[0] === 0 && ports[1] === 65535)) return 'ICMP';
    const lo = ports[0]!;
    const hi = ports[ports.length - 1]!;
    const type = lo >> 8;
    if (lo === hi) return `ICMP type ${type} code ${lo & 255}`;
    if (hi - lo === 255 && (lo & 255) === 0) return `ICMP type ${type}`;
    return 'ICMP';
  }
  if (!portsAsked) return `${label} on any port`;
  if (ports.length === 2 && ports[0] === ports[1]) return `${label} port ${ports[0]}`;
  return `${label} ports ${formatPorts(ports)}`;
}

function capitalise(s: string): string {
  return s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s;
}

function lastHop(hops: Hop[], pred: (h: Hop) => boolean): Hop | null {
  for (let i = hops.length - 1; i >= 0; i--) if (pred(hops[i]!)) return hops[i]!;
  return null;
}

function admittedBy(hops: Hop[]): string | null {
  const sg = lastHop(hops, (h) => h.kind === 'security_group' && h.direction === 'ingress' && h.decision === 'allow');
  if (sg?.rule?.type === 'security_group_rule') {
    return `security group ${sg.rule.security_group_id} ingress rule ${sg.rule.rule_index} admits it`;
  }
  const acl = lastHop(hops, (h) => h.kind === 'network_acl' && h.direction === 'ingress' && h.decision === 'allow');
  if (acl?.rule?.type === 'network_acl_entry') {
    return `network ACL ${acl.rule.network_acl_id} rule ${acl.rule.rule_number} admits it`;
  }
  return null;
}

function routeUsed(hops: Hop[]): string | null {
  const r = lastHop(hops, (h) => h.kind === 'route_table' && h.decision === 'forward');
  if (r?.rule?.type === 'route') {
    const target = r.rule.target_type === 'local' ? 'local' : r.rule.target_id;
    return `route ${r.rule.destination} → ${target} in ${r.rule.route_table_id}`;
  }
  return null;
}

function exitThrough(hops: Hop[]): string | null {
  const g = lastHop(hops, (h) =>
    [
      'internet_gateway',
      'vpn_connection',
      'vpn_gateway',
      'vpc_endpoint',
      'transit_gateway_attachment',
      'vpc_peering_connection',
    ].includes(h.kind),
  );
  return g?.native_id ?? null;
}

const VERB: Record<Disposition, string> = {
  ACCEPTED: 'reaches',
  DELIVERED_TO_SUBNET: 'is delivered',
  EXITS_NETWORK: 'leaves the network',
  DENIED_OUT: 'is blocked on the way out',
  DENIED_IN: 'is blocked on the way in',
  NO_ROUTE: 'has no route',
  NULL_ROUTED: 'is dropped',
  NO_PUBLIC_IP: 'cannot use the internet gateway',
  UNSUPPORTED: 'cannot be decided',
};

export function explain(args: {
  flow: string;
  source: string;
  destination: string;
  disposition: Disposition;
  hops: Hop[];
  blocked: Hop | null;
  returnPath: ReturnPath;
  checkReturn: boolean;
  reachablePorts: string | null;
}): string {
  const { flow, source, destination, disposition, hops, blocked, returnPath } = args;
  const head = `${capitalise(flow)} from ${source} to ${destination}`;
  const forwardOk =
    disposition === 'ACCEPTED' || disposition === 'DELIVERED_TO_SUBNET' || disposition === 'EXITS_NETWORK';
  if (!forwardOk) {
    const why = blocked?.note ?? 'it is dropped';
    return `${head} ${VERB[disposition]}: ${why}.`;
  }
  const ports = args.reachablePorts ? ` (only ports ${args.reachablePorts} get through)` : '';
  if (args.checkReturn && returnPath.evaluated && !returnPath.allowed) {
    const why = returnPath.blocked_by?.note ?? 'replies are dropped';
    return `${head} gets there, but replies cannot come back: ${why}, so connections cannot complete.`;
  }
  const replies = args.checkReturn ? ' and replies can come back' : '';
  if (disposition === 'ACCEPTED') {
    // An address AWS answers itself: no rule admits it, the service's hop says what does.
    const service = lastHop(hops, (h) => h.kind === 'aws_service' && h.decision === 'allow');
    if (service?.note) {
      return `${head} is allowed${ports}: ${service.note}${args.checkReturn ? ', and replies come straight back' : ''}.`;
    }
    const by = admittedBy(hops);
    return `${head} is allowed${ports}: ${by ?? 'nothing on the path blocks it'}${replies}.`;
  }
  if (disposition === 'DELIVERED_TO_SUBNET') {
    const r = routeUsed(hops);
    return `${head} is delivered into the destination subnet${r ? ` by ${r}` : ''}${ports}, but no known interface has that address.`;
  }
  const r = routeUsed(hops);
  const through = exitThrough(hops);
  return `${head} leaves the modelled network${through ? ` through ${through}` : ''}${r ? ` (${r})` : ''}${ports}${replies}.`;
}
