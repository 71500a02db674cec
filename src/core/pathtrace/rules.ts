/**
 * Security group and network ACL evaluation over a set of destination ports.
 *
 * Forward traffic is evaluated "exists" style: the result is the subset of
 * the asked ports that gets through, so one walk answers a whole port range.
 * Replies through stateless ACLs are evaluated "for all" style: every port of
 * the client's ephemeral range must pass, because the client may pick any.
 * A flow of protocol 'all' (-1) is also "for all": it passes only where all
 * traffic passes.
 */
import type { EniM, NaclEntryM, SgM, SgRuleM } from './model.ts';
import { equals, intersectRange, isEmpty, type PortSet, subtractRange, union } from './portset.ts';

export interface SgMatch {
  sg: SgM;
  rule: SgRuleM;
}

export interface SgEvaluation {
  /** Ports admitted (empty when denied). */
  allowed: PortSet;
  /** The first rule that admitted some port. */
  decidedBy: SgMatch | null;
  /** A rule that might admit the flow but references a group or prefix list the inventory lacks. */
  uncertain: SgMatch | null;
}

function addressMatches(rule: SgRuleM, peer: number): boolean {
  const r = rule.ranges;
  for (let i = 0; i < r.length; i += 2) {
    if (peer >= r[i]! && peer <= r[i + 1]!) return true;
  }
  for (const ref of rule.refs) {
    // A group reference matches the private addresses of the interfaces carrying that group.
    if (ref.memberIps.has(peer)) return true;
  }
  return false;
}

/**
 * Security groups are allow-lists, unioned across the interface's groups.
 * `peer` is the remote address: the destination for egress, the source for ingress.
 */
export function evaluateSecurityGroups(
  eni: EniM,
  direction: 'ingress' | 'egress',
  peer: number,
  proto: number,
  ports: PortSet,
): SgEvaluation {
  let allowed: PortSet = [];
  let decidedBy: SgMatch | null = null;
  let uncertain: SgMatch | null = null;
  for (const sg of eni.sgs) {
    const rules = direction === 'ingress' ? sg.ingress : sg.egress;
    for (const rule of rules) {
      // A flow of protocol N is admitted only by a rule for N or for all protocols.
      if (rule.proto !== -1 && rule.proto !== proto) continue;
      const covered = proto === -1 ? ports : intersectRange(ports, rule.portFrom, rule.portTo);
      if (isEmpty(covered)) continue;
      if (addressMatches(rule, peer)) {
        allowed = union(allowed, covered);
        if (!decidedBy) decidedBy = { sg, rule };
        // Everything asked is admitted: later rules cannot change the answer.
        if (equals(allowed, ports)) return { allowed, decidedBy, uncertain };
      } else if (rule.unresolved.length > 0 && !uncertain) {
        uncertain = { sg, rule };
      }
    }
  }
  return { allowed, decidedBy, uncertain };
}

export interface NaclEvaluation {
  allowed: PortSet;
  /** The entry that decided: first allowing entry when something passed, else the first denying one. */
  entry: NaclEntryM;
}

function entryMatchesAddress(e: NaclEntryM, peer: number): boolean {
  return peer >= e.first && peer <= e.last;
}

/**
 * First match wins, in ascending rule number, over a set of ports: each entry
 * claims the ports it matches that no earlier entry claimed.
 * `peer` is the destination for outbound rules, the source for inbound rules.
 */
export function evaluateNaclExists(entries: NaclEntryM[], peer: number, proto: number, ports: PortSet): NaclEvaluation {
  let remaining = ports;
  let allowed: PortSet = [];
  let firstAllow: NaclEntryM | null = null;
  let firstDeny: NaclEntryM | null = null;
  for (const e of entries) {
    if (!entryMatchesAddress(e, peer)) continue;
    if (e.proto !== -1 && e.proto !== proto) continue;
    const covered = intersectRange(remaining, e.portFrom, e.portTo);
    if (isEmpty(covered)) continue;
    if (e.allow) {
      allowed = union(allowed, covered);
      firstAllow ??= e;
    } else {
      firstDeny ??= e;
    }
    remaining = subtractRange(remaining, e.portFrom, e.portTo);
    if (isEmpty(remaining)) break;
  }
  const entry = (isEmpty(allowed) ? firstDeny : firstAllow) ?? entries[entries.length - 1]!;
  return { allowed, entry };
}

export interface NaclAllEvaluation {
  allowed: boolean;
  entry: NaclEntryM;
  /** For a denial: the ports the deciding entry blocked. */
  blockedPorts: PortSet;
}

/**
 * Passes only when every port in `ports` (and, for protocol -1, every
 * protocol) is allowed. A deny that claims any part decides.
 */
export function evaluateNaclForAll(
  entries: NaclEntryM[],
  peer: number,
  proto: number,
  ports: PortSet,
): NaclAllEvaluation {
  let remaining = ports;
  let lastAllow: NaclEntryM | null = null;
  for (const e of entries) {
    if (!entryMatchesAddress(e, peer)) continue;
    if (proto === -1) {
      // All traffic: an entry for one protocol only covers part of it.
      if (e.proto !== -1) {
        if (!e.allow) return { allowed: false, entry: e, blockedPorts: [e.portFrom, e.portTo] };
        continue;
      }
      return e.allow
        ? { allowed: true, entry: e, blockedPorts: [] }
        : { allowed: false, entry: e, blockedPorts: remaining };
    }
    if (e.proto !== -1 && e.proto !== proto) continue;
    const covered = intersectRange(remaining, e.portFrom, e.portTo);
    if (isEmpty(covered)) continue;
    if (!e.allow) return { allowed: false, entry: e, blockedPorts: covered };
    lastAllow = e;
    remaining = subtractRange(remaining, e.portFrom, e.portTo);
    if (isEmpty(remaining)) return { allowed: true, entry: e, blockedPorts: [] };
  }
  // Unreachable with the implicit '*' deny in place; kept for safety.
  const last = entries[entries.length - 1]!;
  return { allowed: false, entry: lastAllow ?? last, blockedPorts: remaining };
}
