/**
 * `infracast trace --tenant t --from X --to Y [--port 443] [--protocol tcp]`:
 * asks a running server whether traffic gets from X to Y and prints the hops
 * as a table, the verdict and the explanation (or the API's answer with --json).
 *
 * --from / --to take a node id (`aws:us-east-1:aws.ec2.instance:web-01`, the
 * last part may be the Name tag), an IP address, a CIDR, or `internet`.
 *
 * Exit codes, so scripts and CI can gate on reachability:
 *   0 reachable, 1 not reachable, 2 bad input (arguments, unknown node,
 *   missing credentials), 3 no answer (server unreachable, credentials
 *   refused, server error): a failure to ask must not read as "not reachable".
 */
import { type Command, CommanderError } from 'commander';
import { isIPv4, isIPv6 } from '../../core/network/ip.ts';
import type { Hop, HopRule, TraceResult } from '../../core/pathtrace/index.ts';
import { ApiError, createApiClient, credentialsFromEnv, DEFAULT_SERVER } from '../client.ts';
import { CliError } from '../shared.ts';

export const EXIT_REACHABLE = 0;
export const EXIT_NOT_REACHABLE = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_NO_ANSWER = 3;

interface TraceOptions {
  tenant: string;
  from: string;
  to: string;
  port?: string;
  protocol: string;
  icmpType?: string;
  icmpCode?: string;
  allPaths?: boolean;
  checkReturn: boolean;
  server: string;
  json?: boolean;
}

const bad = (message: string) => new CliError(message, EXIT_BAD_INPUT);
const CIDR_LIKE = /^[0-9a-fA-F:.]+\/\d{1,3}$/;
/** A dotted quad, valid or not: sent as an address so the server says what is wrong with it. */
const looksLikeIp = (v: string) => isIPv4(v) || isIPv6(v) || /^\d{1,3}(\.\d{1,3}){3}$/.test(v);

function integer(text: string, what: string, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw bad(`${what} must be an integer 0–${max}, got "${text}"`);
  const n = Number(text);
  if (n > max) throw bad(`${what} must be an integer 0–${max}, got "${text}"`);
  return n;
}

/** `--from`: internet, an address (a /32, or 0.0.0.0/0 for the internet), or a node id. */
export function sourceOf(from: string): Record<string, string> {
  const v = from.trim();
  if (v.toLowerCase() === 'internet' || v === '0.0.0.0/0') return { source: 'internet' };
  if (CIDR_LIKE.test(v)) {
    const [ip, prefix] = v.split('/') as [string, string];
    if ((isIPv4(ip) && prefix === '32') || (isIPv6(ip) && prefix === '128')) return { source_ip: ip };
    throw bad(`--from ${v}: a trace starts from one address; give an address in it, a node id, or internet`);
  }
  if (looksLikeIp(v)) return { source_ip: v };
  return { source_node_id: v };
}

/** `--to`: internet (0.0.0.0/0), a CIDR, an address, or a node id. */
export function destinationOf(to: string): Record<string, string> {
  const v = to.trim();
  if (v.toLowerCase() === 'internet') return { destination_cidr: '0.0.0.0/0' };
  if (CIDR_LIKE.test(v)) return { destination_cidr: v };
  if (looksLikeIp(v)) return { destination_ip: v };
  return { destination_node_id: v };
}

/** The request body for POST /pathtracer/trace. */
export function traceBody(o: TraceOptions): Record<string, unknown> {
  const p = o.protocol.trim().toLowerCase();
  const protocol = /^\d+$/.test(p) ? integer(p, '--protocol', 255) : p;
  if (typeof protocol === 'string' && !['tcp', 'udp', 'icmp', 'all'].includes(protocol)) {
    throw bad(`--protocol must be tcp, udp, icmp, all or a protocol number, got "${o.protocol}"`);
  }
  const body: Record<string, unknown> = { ...sourceOf(o.from), ...destinationOf(o.to), protocol };
  if (o.port !== undefined) {
    const range = /^(\d+)-(\d+)$/.exec(o.port.trim());
    if (range) {
      body.port_range = {
        from: integer(range[1] as string, '--port', 65535),
        to: integer(range[2] as string, '--port', 65535),
      };
    } else body.port = integer(o.port, '--port', 65535);
  }
  if (o.icmpType !== undefined) body.icmp_type = integer(o.icmpType, '--icmp-type', 255);
  if (o.icmpCode !== undefined) body.icmp_code = integer(o.icmpCode, '--icmp-code', 255);
  if (o.allPaths) body.all_paths = true;
  if (!o.checkReturn) body.check_return = false;
  return body;
}

// --- printing ------------------------------------------------------------------------

const PROTOCOLS: Record<string, string> = { '-1': 'all', '6': 'tcp', '17': 'udp', '1': 'icmp' };

function portsText(protocol: string, from: number | null, to: number | null): string {
  if (protocol === '-1') return '';
  if (protocol === '1') {
    if (from === null || from === -1) return ' any type';
    return to === null || to === -1 ? ` type ${from}` : ` type ${from} code ${to}`;
  }
  if (from === null || to === null || (from === 0 && to === 65535))
    return protocol === '6' || protocol === '17' ? ' all ports' : '';
  return from === to ? ` ${from}` : ` ${from}-${to}`;
}

/** One line for the rule that decided at a hop. */
export function ruleText(rule: HopRule | null): string {
  if (!rule) return '-';
  switch (rule.type) {
    case 'security_group_rule': {
      const r = rule.rule;
      const peers = [...r.cidrs, ...r.prefix_list_ids, ...r.security_group_ids].join(', ') || 'nothing';
      const proto = PROTOCOLS[r.protocol] ?? `protocol ${r.protocol}`;
      const way = rule.direction === 'ingress' ? 'from' : 'to';
      return `${rule.security_group_id} ${rule.direction} #${rule.rule_index}: ${proto}${portsText(r.protocol, r.from_port, r.to_port)} ${way} ${peers}`;
    }
    case 'security_group_no_match':
      return `no ${rule.direction} rule of ${rule.security_group_ids.join(', ') || 'its groups'} matches`;
    case 'network_acl_entry': {
      const e = rule.entry;
      const number = e === null ? '*' : String(rule.rule_number);
      const what = e
        ? ` ${PROTOCOLS[e.protocol] ?? `protocol ${e.protocol}`}${e.port_range ? ` ${e.port_range.from === e.port_range.to ? e.port_range.from : `${e.port_range.from}-${e.port_range.to}`}` : ''} ${e.cidr ?? e.ipv6_cidr ?? ''}`
        : ' (default)';
      return `${rule.network_acl_id} ${rule.egress ? 'egress' : 'ingress'} rule ${number} ${rule.action}${what}`.trimEnd();
    }
    case 'route':
      return `${rule.route_table_id}: ${rule.destination} → ${rule.target_id}${rule.state === 'blackhole' ? ' (blackhole)' : ''}${rule.implied ? ' (implied)' : ''}`;
    case 'no_route':
      return `no route to ${rule.destination_ip} in ${rule.route_table_id ?? 'the route table'}`;
    case 'transit_gateway_route':
      return `${rule.transit_gateway_route_table_id}: ${rule.destination} → ${rule.attachment_ids.join(', ') || 'blackhole'} (${rule.route_type})`;
    case 'vpn_route':
      return `${rule.vpn_connection_id}: ${rule.destination} (${rule.source})`;
    case 'listener':
      return `listener ${rule.protocol}:${rule.port}`;
  }
}

/** A hop's node; an AWS service with no node (instance metadata, …) by the address it answers on. */
const nodeText = (h: Hop, serviceAddress: string | null) =>
  h.native_id ??
  (h.kind === 'internet' ? 'internet' : (h.node_id ?? (h.kind === 'aws_service' ? serviceAddress : null) ?? '-'));
/** What decided at a hop: its rule, or for a drop without one (no public IP, inactive node…) the tracer's note. */
const decidedBy = (h: Hop) =>
  h.rule || (h.decision !== 'drop' && h.decision !== 'deny') ? ruleText(h.rule) : (h.note ?? '-');

/** The hops as an aligned table: hop, node, kind, decision, rule. `serviceAddress`: the trace's destination IP. */
export function hopTable(hops: Hop[], serviceAddress: string | null = null): string {
  const rows = [
    ['HOP', 'NODE', 'KIND', 'DECISION', 'RULE'],
    ...hops.map((h, i) => [String(i + 1), nodeText(h, serviceAddress), h.kind, h.decision, decidedBy(h)]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatTrace(r: TraceResult, labels: { from: string; to: string }): string {
  const out: string[] = [];
  out.push(`Trace ${labels.from} → ${labels.to}, ${r.flow.description}`);
  out.push('');
  out.push(hopTable(r.hops, r.destination.ip));
  if (r.return_path.evaluated && r.return_path.hops && r.return_path.hops.length > 0 && !r.return_path.allowed) {
    out.push('', 'Return path (replies):', hopTable(r.return_path.hops));
  }
  out.push('');
  const ports =
    r.reachable &&
    r.flow.ports &&
    r.reachable_ports &&
    JSON.stringify(r.reachable_ports) !== JSON.stringify(r.flow.ports)
      ? ` on ${r.reachable_ports.map((p) => (p.from === p.to ? p.from : `${p.from}-${p.to}`)).join(', ')}`
      : '';
  out.push(`Verdict: ${r.reachable ? 'REACHABLE' : 'NOT REACHABLE'} (${r.disposition})${ports}`);
  if (!r.reachable && r.blocked_by) {
    // The answer is parsed JSON: find the blocking hop by value.
    const blocked = JSON.stringify(r.blocked_by);
    const at = r.hops.findIndex((h) => JSON.stringify(h) === blocked);
    const where = at >= 0 ? `hop ${at + 1}, ` : r.return_path.blocked_by ? 'the return path, ' : '';
    out.push(
      `Blocked at: ${where}${nodeText(r.blocked_by, r.destination.ip)} (${r.blocked_by.kind}): ${decidedBy(r.blocked_by)}`,
    );
  }
  out.push(r.explanation);
  if (r.assumptions.length > 0) {
    out.push('', 'Assumptions:', ...r.assumptions.map((a) => `  - ${a}`));
  }
  if (r.paths && r.paths.length > 1) {
    out.push('', `${r.paths.length} paths explored:`);
    r.paths.forEach((p, i) => {
      out.push(`  ${i + 1}. ${p.reachable ? 'reachable' : 'not reachable'} (${p.disposition}): ${p.explanation}`);
    });
  }
  return `${out.join('\n')}\n`;
}

// --- the command -----------------------------------------------------------------------

async function runTrace(o: TraceOptions): Promise<void> {
  const body = traceBody(o);
  const credentials = credentialsFromEnv(process.env);
  if (!credentials) throw bad('set INFRACAST_TOKEN, or INFRACAST_CLIENT_ID and INFRACAST_SECRET_KEY');
  const client = createApiClient({ server: o.server, credentials, userAgent: 'infracast-cli' });
  let result: TraceResult;
  try {
    result = await client.post<TraceResult>(client.tenantPath(o.tenant, 'pathtracer', 'trace'), { json: body });
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    // Field details the message does not already say, one per line.
    const details = Array.isArray(e.details)
      ? (e.details as { path?: string; message?: string }[])
          .filter((d) => d.message && !e.message.includes(d.message))
          .map((d) => `\n  ${d.path ?? ''}: ${d.message}`)
          .join('')
      : '';
    const candidates = (e.details as { candidates?: string[] } | null)?.candidates;
    const more = candidates ? `\n  candidates: ${candidates.join(', ')}` : '';
    const input = [400, 404, 409, 422].includes(e.status);
    throw new CliError(`${e.message}${details}${more}`, input ? EXIT_BAD_INPUT : EXIT_NO_ANSWER);
  }
  process.stdout.write(
    o.json ? `${JSON.stringify(result, null, 2)}\n` : formatTrace(result, { from: o.from, to: o.to }),
  );
  process.exitCode = result.reachable ? EXIT_REACHABLE : EXIT_NOT_REACHABLE;
}

export function registerTraceCommand(program: Command) {
  program
    .command('trace')
    .description('Ask a running server whether traffic gets from --from to --to, and which rule decides')
    .requiredOption('--tenant <slug>', 'tenant slug or id')
    .requiredOption('--from <where>', 'node id (last part may be the Name tag), IP address, or internet')
    .requiredOption('--to <where>', 'node id, IP address, CIDR, or internet (= 0.0.0.0/0)')
    .option('--port <port>', 'destination port or range, e.g. 443 or 8000-8080 (tcp/udp; default: any port)')
    .option('--protocol <protocol>', 'tcp, udp, icmp, all, or an IP protocol number', 'tcp')
    .option('--icmp-type <n>', 'ICMP type (with --protocol icmp)')
    .option('--icmp-code <n>', 'ICMP code (with --icmp-type)')
    .option('--all-paths', 'explore and list every path, not only the first that works')
    .option('--no-check-return', 'judge the forward path only (skip the reply check)')
    .option('--server <url>', 'server URL', DEFAULT_SERVER)
    .option('--json', 'print the API answer (TraceResult) as JSON')
    .addHelpText(
      'after',
      `
Credentials: INFRACAST_TOKEN, or INFRACAST_CLIENT_ID and INFRACAST_SECRET_KEY.
Exit codes: 0 reachable, 1 not reachable, 2 bad input (arguments, unknown or ambiguous node),
            3 no answer (server unreachable, credentials refused, server error).

Examples:
  $ infracast trace --tenant acme --from aws:us-east-1:aws.ec2.instance:web-01 --to 0.0.0.0/0 --port 443
  $ infracast trace --tenant acme --from internet --to aws:us-east-1:aws.ec2.instance:db-01 --port 5432
  $ infracast trace --tenant acme --from 10.0.1.10 --to 10.0.2.0/24 --port 5000-6000 --json`,
    )
    // Usage errors are bad input (2), not "not reachable" (1); help and version stay 0.
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(EXIT_BAD_INPUT, err.code, err.message);
    })
    .action(async (o: TraceOptions) => runTrace(o));
}
