/**
 * Small value helpers shared by the parsers: narrowing `unknown` JSON, tags,
 * protocols and ports, regions and ARNs. Everything here is pure and cheap:
 * the parsers call these once per field on inputs of 100k resources.
 */
import { isUnknown, UNKNOWN, type Unknown } from '../inventory/types.ts';
import type { LoadBalancerListenerRule } from '../network/attributes.ts';

export type Rec = Record<string, unknown>;

export const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A non-empty string, else null. Terraform writes `""` for unset optional strings, so `""` is null. */
export function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Like `str`, but keeps Terraform's "known after apply" marker. */
export function strU(v: unknown): string | Unknown | null {
  if (isUnknown(v)) return UNKNOWN;
  return str(v);
}

/** A finite number (or a numeric string, as AWS writes BGP ASNs and Terraform some ports), else null. */
export function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

export function numU(v: unknown): number | Unknown | null {
  return isUnknown(v) ? UNKNOWN : num(v);
}

export function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return null;
}

export function boolU(v: unknown): boolean | Unknown | null {
  return isUnknown(v) ? UNKNOWN : bool(v);
}

/** The non-empty strings of an array (anything else is dropped); not an array → []. */
export function strList(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const item of v) if (typeof item === 'string' && item !== '') out.push(item);
  return out;
}

/**
 * A list of strings that may be wholly or partly unknown (plans): an unknown
 * list stays UNKNOWN, unknown elements stay UNKNOWN elements.
 */
export function strListU(v: unknown): (string | Unknown)[] | Unknown {
  if (isUnknown(v)) return UNKNOWN;
  if (!Array.isArray(v)) return [];
  const out: (string | Unknown)[] = [];
  for (const item of v) {
    if (isUnknown(item)) out.push(UNKNOWN);
    else if (typeof item === 'string' && item !== '') out.push(item);
  }
  return out;
}

/** An array of records (anything else dropped); not an array → []. */
export function recList(v: unknown): Rec[] {
  if (!Array.isArray(v)) return [];
  const out: Rec[] = [];
  for (const item of v) if (isRecord(item)) out.push(item);
  return out;
}

export function dedupe<T>(values: T[]): T[] {
  return values.length < 2 ? values : [...new Set(values)];
}

/** AWS `Tags`/`TagSet`/`TagList`: `[{Key, Value}]` → flat map. */
export function tagsFromAwsList(v: unknown): Record<string, string> {
  const tags: Record<string, string> = {};
  if (!Array.isArray(v)) return tags;
  for (const t of v) {
    if (!isRecord(t)) continue;
    const key = t.Key;
    if (typeof key !== 'string') continue;
    tags[key] =
      typeof t.Value === 'string' ? t.Value : t.Value === undefined || t.Value === null ? '' : String(t.Value);
  }
  return tags;
}

/**
 * A Terraform tag/label map → flat string map. Unknown values (plans) are not
 * strings, so they are left out and reported in `unknownKeys`.
 */
export function tagsFromMap(v: unknown): { tags: Record<string, string>; unknownKeys: string[] } {
  const tags: Record<string, string> = {};
  const unknownKeys: string[] = [];
  if (!isRecord(v)) return { tags, unknownKeys };
  for (const k in v) {
    const value = v[k];
    if (typeof value === 'string') tags[k] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') tags[k] = String(value);
    else if (isUnknown(value)) unknownKeys.push(k);
  }
  return { tags, unknownKeys };
}

const PROTOCOL_NUMBERS: Record<string, string> = {
  '-1': '-1',
  all: '-1',
  tcp: '6',
  udp: '17',
  icmp: '1',
  icmpv6: '58',
  'icmp-v6': '58',
};

/** IP protocol as AWS stores it: a number as a string, '-1' for all ('tcp' → '6', 'all' → '-1'). */
export function normaliseProtocol(v: unknown): string | Unknown {
  if (isUnknown(v)) return UNKNOWN;
  if (typeof v === 'number') return v < 0 ? '-1' : String(v);
  if (typeof v !== 'string' || v === '') return '-1';
  const lower = v.trim().toLowerCase();
  const known = PROTOCOL_NUMBERS[lower];
  if (known !== undefined) return known;
  const n = Number(lower);
  return Number.isInteger(n) ? (n < 0 ? '-1' : String(n)) : lower;
}

export const isIcmpProtocol = (protocol: unknown): boolean => protocol === '1' || protocol === '58';

/**
 * Security group rule ports, normalised the same way for every source:
 * - protocol '-1' (all) → null/null;
 * - ICMP keeps type/code as given (-1 = any), as the EC2 API does;
 * - TCP/UDP covering 0–65535 → null/null (all ports);
 * - other protocols without ports → null/null.
 */
export function normaliseSgPorts(
  protocol: string | Unknown,
  fromPort: unknown,
  toPort: unknown,
): { from_port: number | Unknown | null; to_port: number | Unknown | null } {
  if (protocol === '-1') return { from_port: null, to_port: null };
  const from = numU(fromPort);
  const to = numU(toPort);
  if (isUnknown(protocol) || isUnknown(from) || isUnknown(to)) return { from_port: from, to_port: to };
  if (isIcmpProtocol(protocol)) return { from_port: from, to_port: to };
  if (from === null && to === null) return { from_port: null, to_port: null };
  if ((from === null || from <= 0) && (to === null || to >= 65535 || to < 0)) return { from_port: null, to_port: null };
  return { from_port: from, to_port: to ?? from };
}

/** NACL port range: null = all ports (protocol all, not TCP/UDP, or 0–65535). */
export function normaliseNaclPortRange(
  protocol: string | Unknown,
  from: unknown,
  to: unknown,
): { from: number; to: number } | Unknown | null {
  if (protocol !== '6' && protocol !== '17') return isUnknown(protocol) ? UNKNOWN : null;
  const f = num(from);
  const t = num(to);
  if (isUnknown(from) || isUnknown(to)) return UNKNOWN;
  if (f === null && t === null) return null;
  if ((f === null || f <= 0) && (t === null || t >= 65535)) return null;
  return { from: f ?? 0, to: t ?? 65535 };
}

/** NACL ICMP type/code: null = all types/codes or not ICMP. */
export function normaliseNaclIcmp(
  protocol: string | Unknown,
  type: unknown,
  code: unknown,
): { type: number; code: number } | null {
  if (!isIcmpProtocol(protocol)) return null;
  const t = num(type);
  const c = num(code);
  if (t === null || t === -1) return null;
  return { type: t, code: c ?? -1 };
}

const REGION_PREFIX = /^([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)/;

export const isRegionName = (v: string): boolean => /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+$/.test(v);

/** 'us-east-1a' → 'us-east-1'; local/wavelength zones ('us-west-2-lax-1a') too. */
export function regionFromAvailabilityZone(az: unknown): string | null {
  if (typeof az !== 'string') return null;
  const m = REGION_PREFIX.exec(az);
  if (!m || m[1] === undefined || m[1].length === az.length) return null;
  return m[1];
}

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** `arn:partition:service:region:account:resource` (the resource may itself contain ':'). */
export function parseArn(v: unknown): Arn | null {
  if (typeof v !== 'string' || !v.startsWith('arn:')) return null;
  // indexOf rather than split: this runs once per resource of 100k-resource states.
  const p1 = v.indexOf(':', 4);
  const p2 = p1 === -1 ? -1 : v.indexOf(':', p1 + 1);
  const p3 = p2 === -1 ? -1 : v.indexOf(':', p2 + 1);
  const p4 = p3 === -1 ? -1 : v.indexOf(':', p3 + 1);
  if (p4 === -1) return null;
  return {
    partition: v.slice(4, p1),
    service: v.slice(p1 + 1, p2),
    region: v.slice(p2 + 1, p3),
    account: v.slice(p3 + 1, p4),
    resource: v.slice(p4 + 1),
  };
}

export function partitionForRegion(region: string | null): string {
  if (region?.startsWith('cn-')) return 'aws-cn';
  if (region?.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** `arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0abc` when region and account are known, else null. */
export function ec2Arn(region: string | null, account: string | null, resourceType: string, id: string): string | null {
  if (!region || region === 'global' || !account) return null;
  return `arn:${partitionForRegion(region)}:ec2:${region}:${account}:${resourceType}/${id}`;
}

export const isAccountId = (v: string): boolean => /^\d{12}$/.test(v);

/** Path for error messages: `Reservations[3].Instances[0].InstanceId`. */
export function at(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

/**
 * Adds a listener to a load balancer's `listeners` (one entry per port): a listener already
 * there (same port) is completed — its ARN when it had none, and the target groups it
 * forwards to (`target_group_arns`, present only when the input says; `undefined` leaves
 * the field as it is). `target_group_arns` given here are the default actions' groups.
 * `rule` is one of its non-default rules: kept in `rules`, its groups also listed in
 * `rule_target_group_arns` and added to `target_group_arns` when (or as soon as) that is
 * known. Once a listener has rules, `default_target_group_arns` keeps its default actions'
 * groups apart. `target_groups_unknown` (a rule's group ARN unknown until apply) removes
 * `target_group_arns`.
 */
export function mergeListener(
  attributes: Rec,
  listener: {
    port: number;
    protocol: string | null;
    listener_arn?: string | null;
    target_group_arns?: string[];
    rule?: LoadBalancerListenerRule;
    /** A rule forwards to a group not known yet (plans): the listener's groups are not known. */
    target_groups_unknown?: boolean;
  },
): void {
  const list = recList(attributes.listeners).map((l) => ({ ...l }));
  let entry = list.find((l) => l.port === listener.port);
  if (entry === undefined) {
    entry = { port: listener.port, protocol: listener.protocol ?? 'unknown' };
    list.push(entry);
  } else if ((entry.protocol === 'unknown' || typeof entry.protocol !== 'string') && listener.protocol !== null) {
    entry.protocol = listener.protocol;
  }
  if (listener.listener_arn && !entry.listener_arn) entry.listener_arn = listener.listener_arn;
  const rule = listener.rule;
  if (rule !== undefined && !Array.isArray(entry.rules)) {
    // The first rule: until now `target_group_arns` held the default actions' groups only.
    entry.rules = [];
    if (Array.isArray(entry.target_group_arns)) entry.default_target_group_arns = strList(entry.target_group_arns);
  }
  if (listener.target_group_arns !== undefined) {
    const current = strList(entry.target_group_arns);
    entry.target_group_arns = dedupe([...current, ...listener.target_group_arns]);
    if (Array.isArray(entry.rules)) {
      entry.default_target_group_arns = dedupe([
        ...strList(entry.default_target_group_arns),
        ...listener.target_group_arns,
      ]);
    }
  }
  if (rule !== undefined) {
    const rules = recList(entry.rules);
    const known = JSON.stringify(rule);
    const same = rules.some((r) =>
      rule.rule_arn !== undefined ? r.rule_arn === rule.rule_arn : JSON.stringify(r) === known,
    );
    if (!same) entry.rules = [...rules, rule];
    entry.rule_target_group_arns = dedupe([...strList(entry.rule_target_group_arns), ...rule.target_group_arns]);
  }
  // Rules' groups count for the listener once its default actions are known (whichever came first);
  // while they are not, `target_group_arns` stays absent (the listener's groups are not known).
  if (Array.isArray(entry.target_group_arns) && Array.isArray(entry.rule_target_group_arns)) {
    entry.target_group_arns = dedupe([...strList(entry.target_group_arns), ...strList(entry.rule_target_group_arns)]);
  }
  if (listener.target_groups_unknown) delete entry.target_group_arns;
  attributes.listeners = list;
}

/** Path patterns and host names that match every request (`/*` every path, `*` anything). */
const MATCH_ALL_PATTERNS = new Set(['*', '/*']);

/**
 * What a listener rule's conditions say for reachability, from the conditions as
 * `{ field, values }`: the `source-ip` CIDRs (null when there is no such condition; the
 * client chooses everything else it sends — host, path, headers, query, method) and whether
 * the others match every request (none, or a `path-pattern` / `host-header` condition with a
 * match-all value), so that the rule hides the rules after it from those sources.
 * `values` null: not known (plans), which matches nothing for certain.
 */
export function ruleReach(conditions: { field: string; values: string[] | null }[]): {
  source_cidrs: string[] | null;
  any_request: boolean;
} {
  let sourceCidrs: string[] | null = null;
  let anyRequest = true;
  for (const c of conditions) {
    if (c.field === 'source-ip') {
      // An unknown source condition is treated as none: every source may match (reachable).
      if (c.values !== null) sourceCidrs = dedupe([...(sourceCidrs ?? []), ...c.values]);
      else anyRequest = false;
    } else if (c.field === 'path-pattern' || c.field === 'host-header') {
      if (c.values === null || !c.values.some((v) => MATCH_ALL_PATTERNS.has(v))) anyRequest = false;
    } else {
      anyRequest = false;
    }
  }
  // A rule has at least one condition: none at all means the input does not say.
  return { source_cidrs: sourceCidrs, any_request: conditions.length > 0 && anyRequest };
}
