/**
 * Findings and compliance: the rule engine (src/core/rules) run over a tenant's inventory, its results kept
 * as findings with a lifecycle, and compliance scored from them.
 *
 * Evaluation runs (a) shortly after `inventory.changed` (debounced per tenant, so a burst of writes costs one
 * run) and (b) before every read when the last evaluation is older than the inventory, so answers always match
 * the inventory, on every instance. It loads the graph, runs the engine, and reconciles in one transaction:
 * a new failure opens a finding; a finding whose rule passes now is resolved (`fixed`, or `node_removed`);
 * one resolved by itself that fails again reopens, as does a manually resolved one failing on a newer inventory
 * version; an acceptance past its expiry reopens. Only changed findings are written. Concurrent evaluations of a
 * tenant reconcile one after the other (the evaluation row is locked) and a run never records an older
 * inventory version than the last one did.
 */

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  CONTROL_STATUSES,
  type ControlScore,
  type EvaluationResult,
  edgeTypesRead,
  evaluateRulesInSteps,
  FRAMEWORK_IDS,
  FRAMEWORKS,
  RULES,
  RULES_VERSION,
  type RuleFindingCounts,
  type RuleStats,
  ruleById,
  ruleInfo,
  SEVERITIES,
  scoreCompliance,
} from '../../core/rules/index.ts';
import type { DatabaseDialect } from '../../platform/config.ts';
import type { TenantContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/index.ts';
import type { FindingRow } from '../../platform/db/schema.ts';
import { badRequest, conflict, notFound } from '../../platform/errors.ts';
import type { EventBus, EventMap } from '../../platform/events.ts';
import { enumList } from '../../platform/http/list-filters.ts';
import { csv, idList, type PageRequest, parseSort } from '../../platform/http/pagination.ts';
import { newId } from '../../platform/ids.ts';
import { recordEvents } from '../../platform/outbox.ts';
import { type Clock, iso } from '../../platform/time.ts';
import { timeSlice } from '../../platform/time-slice.ts';
import { auditEntry, insertAuditEntry } from '../audit/store.ts';
import { inventoryVersion } from '../inventory/store.ts';
import { subscribesToAny } from '../webhooks/store.ts';
import { type EvaluationConnection, evaluateInThread } from './evaluation-client.ts';
import {
  type AcceptFindingBodyT,
  type ComplianceSummaryT,
  FINDING_DEFAULT_SORT,
  FINDING_SORT_FIELDS,
  FINDING_STATUSES,
  type FindingT,
  type ListControlsQueryT,
  type ListFindingsQueryT,
  type ListRulesQueryT,
  type ResolveFindingBodyT,
  type RuleT,
} from './schemas.ts';
import * as store from './store.ts';

export interface FindingServiceDeps {
  db: Db;
  dialect: DatabaseDialect;
  clock: Clock;
  events: EventBus;
  /** Quiet time after the last `inventory.changed` of a tenant before it is evaluated (default 500 ms). */
  debounceMs?: number;
  /** A tenant written to without pause is still evaluated this often (default 5 s). */
  maxWaitMs?: number;
  /** Where background evaluation failures go (they are never thrown at the publisher). */
  onError?: (err: unknown, what: string) => void;
  /** How a worker thread reaches the database; null (an in-memory database): every evaluation runs inline. */
  connection?: EvaluationConnection | null;
  /** Tenants with at least this many nodes are evaluated in the worker thread (default 5,000; tests: 0). */
  threadMinNodes?: number;
}

/**
 * An evaluation is due when the inventory moved on since the last one, or when that one ran older rules (an
 * upgrade). Newer rules than ours (a newer instance in a rolling upgrade) are not a reason.
 */
function isStale(state: {
  inventory_version: number;
  evaluated_version: number | null;
  evaluated_rules_version: number | null;
}): boolean {
  return (
    state.evaluated_version === null ||
    state.evaluated_version < state.inventory_version ||
    (state.evaluated_rules_version ?? 0) < RULES_VERSION
  );
}

/** What one evaluation did (null when it had nothing to do). */
export interface EvaluationOutcome {
  inventory_version: number;
  created: number;
  reopened: number;
  resolved: number;
  updated: number;
  duration_ms: number;
}

const key = (ruleId: string, nodeId: string) => `${ruleId}\u0000${nodeId}`;
/** Reading the graph while it changes: try again, at most this many times, before scoring what was read. */
const CONSISTENT_READ_ATTEMPTS = 3;
/** The only edges an evaluation reads: those some rule looks at. */
const EDGE_TYPES = edgeTypesRead();
/**
 * Finding events published per event-loop turn. Counted, not timed: their handlers (webhook fan-out) run
 * after the slice, so a time budget would not see their cost (≈ 6 µs an event).
 */
const PUBLISH_SLICE = 500;

export function toFinding(row: FindingRow, evaluatedAt: string | null): FindingT {
  const rule = ruleById(row.rule_id);
  // An OPEN or ACCEPTED finding was seen by the last evaluation; its row is not rewritten just to say so.
  const seen =
    row.status !== 'RESOLVED' && evaluatedAt !== null && evaluatedAt > row.last_seen_at
      ? evaluatedAt
      : row.last_seen_at;
  return {
    id: row.id,
    rule_id: row.rule_id,
    rule_title: rule?.title ?? row.rule_id,
    severity: row.severity,
    status: row.status,
    node_id: row.node_id,
    node_type: row.node_type,
    node_name: row.node_name,
    message: row.message,
    evidence: JSON.parse(row.evidence) as Record<string, unknown>,
    controls: rule ? rule.controls.map((c) => ({ framework: c.framework, control: c.control })) : [],
    resolution: row.resolution,
    status_reason: row.status_reason,
    accepted_by: row.accepted_by,
    accepted_until: row.accepted_until,
    resolved_by: row.resolved_by,
    first_seen_at: row.first_seen_at,
    last_seen_at: seen,
    resolved_at: row.resolved_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const toRule = (r: (typeof RULES)[number]): RuleT => {
  const info = ruleInfo(r);
  return {
    id: info.id,
    title: info.title,
    severity: info.severity,
    description: info.description,
    remediation: info.remediation,
    resource_types: [...info.resource_types],
    controls: info.controls.map((c) => ({ framework: c.framework, control: c.control })),
  };
};

/**
 * Rule ids that back one of `controls` (within `frameworks` when given); undefined when neither is given.
 * An unknown control (or one not in those frameworks) is a 400 at `path`. Shared by the findings list and
 * the findings report.
 */
export function rulesOfControls(
  frameworks: readonly string[] | undefined,
  controls: readonly string[] | undefined,
  path = 'querystring.control',
): string[] | undefined {
  if (!frameworks && !controls) return undefined;
  const inScope = FRAMEWORKS.filter((f) => !frameworks || frameworks.includes(f.id));
  const unknown = (controls ?? []).filter((c) => !inScope.some((f) => f.controls.some((x) => x.id === c)));
  if (unknown.length > 0)
    throw badRequest(
      `Unknown control "${unknown[0]}"${frameworks ? ` in ${frameworks.join(', ')}` : ''}`,
      unknown.map((c) => ({ path, message: `"${c}" is not a control Infracast checks` })),
    );
  return RULES.filter((r) =>
    r.controls.some(
      (c) => (!frameworks || frameworks.includes(c.framework)) && (!controls || controls.includes(c.control)),
    ),
  ).map((r) => r.id);
}

export function createFindingService(deps: FindingServiceDeps) {
  const { db, clock, events } = deps;
  const postgres = deps.dialect === 'postgres';
  const debounceMs = deps.debounceMs ?? 500;
  const maxWaitMs = deps.maxWaitMs ?? 5000;
  const onError = deps.onError ?? (() => {});
  const connection = deps.connection ?? null;
  const threadMinNodes = deps.threadMinNodes ?? 5000;
  /** Per tenant, the evaluation running or queued: runs of one tenant in this process go one after the other. */
  const chains = new Map<string, Promise<EvaluationOutcome | null>>();
  const timers = new Map<string, { timer: NodeJS.Timeout; since: number }>();
  let stopped = false;

  /**
   * A small tenant's graph, read and evaluated on this thread (yielding between pages and rule steps). The
   * graph is read outside the write transaction (a long read would hold SQLite's only connection); a version
   * unchanged across the read means the read was of that version.
   */
  async function evaluateInline(
    tenantId: string,
    before: number,
  ): Promise<{ inventory_version: number; result: EvaluationResult }> {
    let version = before;
    let nodes = await store.loadNodes(db, tenantId, !postgres);
    let edges = await store.loadEdges(db, tenantId, !postgres, EDGE_TYPES);
    for (let attempt = 1; attempt < CONSISTENT_READ_ATTEMPTS; attempt++) {
      const after = (await inventoryVersion(db, tenantId)) ?? 0;
      if (after === version) break;
      version = after;
      nodes = await store.loadNodes(db, tenantId, !postgres);
      edges = await store.loadEdges(db, tenantId, !postgres, EDGE_TYPES);
    }
    const steps = evaluateRulesInSteps(nodes, edges);
    let step = steps.next();
    while (!step.done) {
      await yieldToEventLoop();
      step = steps.next();
    }
    return { inventory_version: version, result: step.value };
  }

  async function evaluateOnce(tenantId: string): Promise<EvaluationOutcome | null> {
    const started = performance.now();
    const state = await store.evaluationState(db, tenantId, iso(clock()));
    if (!state) return null; // the tenant is gone
    if (!isStale(state)) {
      if (state.expired_acceptance) await store.reopenExpired(db, tenantId, iso(clock()));
      return null;
    }
    const evaluated =
      connection && (await store.hasAtLeastNodes(db, tenantId, threadMinNodes))
        ? await evaluateInThread(connection, tenantId, EDGE_TYPES)
        : await evaluateInline(tenantId, state.inventory_version);
    if (!evaluated) return null; // the tenant is gone
    const { inventory_version: version, result } = evaluated;

    const created: EventMap['finding.created'][] = [];
    const resolved: EventMap['finding.resolved'][] = [];
    const counts = { created: 0, reopened: 0, resolved: 0, updated: 0 };
    const done = await db.transaction().execute(async (tx) => {
      const locked = await store.lockEvaluation(tx, tenantId, postgres);
      // Another evaluation recorded this version or a newer one meanwhile: its findings stand.
      if (locked && locked.inventory_version >= version && locked.rules_version >= RULES_VERSION) return false;
      const now = iso(clock());
      await store.reopenExpired(tx, tenantId, now);
      const existing = new Map((await store.findingKeys(tx, tenantId)).map((f) => [key(f.rule_id, f.node_id), f]));
      const inserts: FindingRow[] = [];
      const stillFailing = new Set<string>();
      const skipped = new Set<string>();
      const slice = timeSlice();
      for (const r of result.results) {
        const rule = ruleById(r.rule_id);
        if (!rule) continue;
        for (const id of r.skipped_node_ids) skipped.add(key(r.rule_id, id));
        for (const f of r.failures) {
          if (slice.due()) await slice.yield();
          const k = key(r.rule_id, f.node_id);
          stillFailing.add(k);
          const old = existing.get(k);
          const base = { rule_id: r.rule_id, severity: rule.severity, node_id: f.node_id, node_type: f.node_type };
          const event = (id: string, reopened: boolean) =>
            created.push({
              tenantId,
              findingId: id,
              ruleId: base.rule_id,
              severity: base.severity,
              nodeId: base.node_id,
              nodeType: base.node_type,
              message: f.message,
              reopened,
              inventoryVersion: version,
            });
          if (!old) {
            const id = newId('finding');
            inserts.push({
              id,
              tenant_id: tenantId,
              ...base,
              node_name: f.node_name,
              status: 'OPEN',
              message: f.message,
              evidence: JSON.stringify(f.evidence),
              resolution: null,
              status_reason: null,
              accepted_by: null,
              accepted_until: null,
              resolved_by: null,
              resolved_version: null,
              first_seen_at: now,
              last_seen_at: now,
              resolved_at: null,
              created_at: now,
              updated_at: now,
            });
            event(id, false);
            continue;
          }
          const reopen =
            old.status === 'RESOLVED' &&
            (old.resolution !== 'manual' || old.resolved_version === null || old.resolved_version < version);
          const details = {
            message: f.message,
            evidence: JSON.stringify(f.evidence),
            severity: rule.severity,
            node_name: f.node_name,
            node_type: f.node_type,
            last_seen_at: now,
            updated_at: now,
          };
          if (reopen) {
            await store.updateFinding(tx, tenantId, old.id, {
              ...details,
              status: 'OPEN',
              resolution: null,
              resolved_by: null,
              resolved_at: null,
              resolved_version: null,
              accepted_by: null,
              accepted_until: null,
              status_reason: `failing again at inventory version ${version}`,
            });
            counts.reopened++;
            event(old.id, true);
          } else if (
            old.status !== 'RESOLVED' &&
            (old.message !== f.message ||
              old.evidence !== details.evidence ||
              old.severity !== rule.severity ||
              old.node_name !== f.node_name)
          ) {
            await store.updateFinding(tx, tenantId, old.id, details);
            counts.updated++;
          }
        }
      }
      await store.insertFindings(tx, inserts);
      counts.created = inserts.length;

      const toResolve: Record<'fixed' | 'node_removed', string[]> = { fixed: [], node_removed: [] };
      for (const [k, f] of existing) {
        if (f.status === 'RESOLVED' || stillFailing.has(k) || !ruleById(f.rule_id)) continue;
        // A node the rule cannot judge now (a value unknown until apply) keeps its finding as it is.
        if (skipped.has(k)) continue;
        const resolution = result.node_ids.has(f.node_id) ? 'fixed' : 'node_removed';
        toResolve[resolution].push(f.id);
        resolved.push({
          tenantId,
          findingId: f.id,
          ruleId: f.rule_id,
          severity: f.severity,
          nodeId: f.node_id,
          resolution,
          inventoryVersion: version,
        });
      }
      for (const resolution of ['fixed', 'node_removed'] as const) {
        await store.updateFindings(tx, tenantId, toResolve[resolution], {
          status: 'RESOLVED',
          resolution,
          resolved_at: now,
          resolved_by: null,
          resolved_version: version,
          accepted_until: null,
          status_reason: resolution === 'fixed' ? 'the rule passes' : 'the node is no longer in the inventory',
          updated_at: now,
        });
        counts.resolved += toResolve[resolution].length;
      }
      const stats: Record<string, RuleStats & { skipped: number }> = {};
      for (const r of result.results)
        stats[r.rule_id] = { evaluated_by_type: r.evaluated_by_type, skipped: r.skipped_node_ids.length };
      await store.saveEvaluation(tx, {
        tenant_id: tenantId,
        inventory_version: version,
        evaluated_at: now,
        resources_evaluated: result.resources_evaluated,
        rule_stats: JSON.stringify(stats),
        duration_ms: Math.round(performance.now() - started),
        rules_version: RULES_VERSION,
      });
      // For webhooks (the outbox's consumer), and only if one listens: a first evaluation makes thousands.
      if (
        (created.length > 0 || resolved.length > 0) &&
        (await subscribesToAny(tx, tenantId, ['finding.created', 'finding.resolved']))
      ) {
        await recordEvents(
          tx,
          [
            ...created.map((payload) => ({ event: 'finding.created' as const, payload })),
            ...resolved.map((payload) => ({ event: 'finding.resolved' as const, payload })),
          ],
          now,
        );
      }
      return true;
    });
    if (!done) return null;
    // Thousands of events on a first evaluation: published in slices, so their handlers (webhook fan-out)
    // do not hold the event loop in one go.
    for (const [name, list] of [
      ['finding.created', created],
      ['finding.resolved', resolved],
    ] as const) {
      for (let i = 0; i < list.length; i++) {
        if (i > 0 && i % PUBLISH_SLICE === 0) await yieldToEventLoop();
        events.publish(name, list[i] as never);
      }
    }
    return { inventory_version: version, ...counts, duration_ms: Math.round(performance.now() - started) };
  }

  /** Queues an evaluation of the tenant behind the one running in this process (if any). */
  function evaluate(tenantId: string): Promise<EvaluationOutcome | null> {
    const previous = chains.get(tenantId);
    const run = (previous ?? Promise.resolve(null)).catch(() => null).then(() => evaluateOnce(tenantId));
    chains.set(tenantId, run);
    const clear = () => {
      if (chains.get(tenantId) === run) chains.delete(tenantId);
    };
    run.then(clear, clear);
    return run;
  }

  /** Before a read: evaluate when the inventory moved on since the last evaluation (or an acceptance expired). */
  async function ensureFresh(tenantId: string): Promise<void> {
    const state = await store.evaluationState(db, tenantId, iso(clock()));
    if (!state) return;
    if (isStale(state)) await evaluate(tenantId);
    else if (state.expired_acceptance) await store.reopenExpired(db, tenantId, iso(clock()));
  }

  function schedule(tenantId: string) {
    if (stopped) return;
    const pending = timers.get(tenantId);
    const since = pending?.since ?? Date.now();
    if (pending) clearTimeout(pending.timer);
    const wait = Math.max(0, Math.min(debounceMs, since + maxWaitMs - Date.now()));
    const timer = setTimeout(() => {
      timers.delete(tenantId);
      evaluate(tenantId).catch((err) => onError(err, `findings evaluation of tenant ${tenantId}`));
    }, wait);
    timer.unref();
    timers.set(tenantId, { timer, since });
  }

  events.subscribe('inventory.changed', ({ tenantId }) => schedule(tenantId));

  const audit = (
    ctx: TenantContext,
    action: `finding.${string}`,
    target: string,
    at: string,
    summary: Record<string, unknown>,
  ) => auditEntry(ctx, ctx.tenant.id, { type: 'finding', id: target }, action, summary, at);

  const evaluatedAt = async (tenantId: string) => {
    const e = await store.findEvaluation(db, tenantId);
    return e && e.inventory_version >= 0 ? e.evaluated_at : null;
  };

  async function complianceOf(tenantId: string) {
    await ensureFresh(tenantId);
    const evaluation = await store.findEvaluation(db, tenantId);
    const rows = await store.activeCounts(db, tenantId);
    const findings: Record<string, RuleFindingCounts> = {};
    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<(typeof SEVERITIES)[number], number>;
    let accepted = 0;
    for (const r of rows) {
      const c = findings[r.rule_id] ?? { open: 0, accepted: 0 };
      findings[r.rule_id] = c;
      if (r.status === 'OPEN') {
        c.open += r.n;
        bySeverity[r.severity as (typeof SEVERITIES)[number]] += r.n;
      } else {
        c.accepted += r.n;
        accepted += r.n;
      }
    }
    const valid = evaluation && evaluation.inventory_version >= 0 ? evaluation : undefined;
    const stats = valid ? (JSON.parse(valid.rule_stats) as Record<string, RuleStats>) : {};
    const score = scoreCompliance({ frameworks: FRAMEWORKS, rules: RULES.map(ruleInfo), stats, findings });
    return { score, evaluation: valid, bySeverity, accepted };
  }

  return {
    /** Evaluates the tenant now if its inventory changed since the last evaluation (CLI, tests, reads). */
    evaluate,
    ensureFresh,
    /** When the tenant's findings were last evaluated (null: never); what `toFinding` takes. */
    evaluatedAt,

    /** Every control of every framework, scored as /compliance/controls scores them (evaluates first if stale). */
    async controlScores(tenantId: string): Promise<ControlScore[]> {
      return (await complianceOf(tenantId)).score.controls;
    },

    /** Stops background evaluations and waits for running ones (app shutdown). */
    async stop() {
      stopped = true;
      for (const { timer } of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...chains.values()]);
    },

    async list(ctx: TenantContext, query: ListFindingsQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, FINDING_SORT_FIELDS, FINDING_DEFAULT_SORT);
      const severities = enumList(query.severity, SEVERITIES, 'severity', 'severity');
      const statuses = enumList(query.status, FINDING_STATUSES, 'status', 'finding status');
      let ruleIds = enumList(
        query.rule_id,
        RULES.map((r) => r.id),
        'rule_id',
        'rule id',
      ) as string[] | undefined;
      const byControl = rulesOfControls(
        enumList(query.framework, FRAMEWORK_IDS, 'framework', 'framework'),
        csv(query.control),
      );
      if (byControl) ruleIds = ruleIds ? ruleIds.filter((r) => byControl.includes(r)) : byControl;
      await ensureFresh(ctx.tenant.id);
      if (ruleIds && ruleIds.length === 0) return { items: [], total: 0 };
      const { rows, total } = await store.listFindingRows(
        db,
        ctx.tenant.id,
        { severities, statuses, ruleIds, nodeIds: idList(query.node_id), types: csv(query.types) },
        sort,
        page.perPage,
        page.offset,
      );
      const at = await evaluatedAt(ctx.tenant.id);
      return { items: rows.map((r) => toFinding(r, at)), total };
    },

    async get(ctx: TenantContext, id: string): Promise<FindingT> {
      await ensureFresh(ctx.tenant.id);
      const row = await store.findFinding(db, ctx.tenant.id, id);
      if (!row) throw notFound('finding', id);
      return toFinding(row, await evaluatedAt(ctx.tenant.id));
    },

    /** Accepts the risk of an OPEN (or already ACCEPTED: new reason / expiry) finding. */
    async accept(ctx: TenantContext, id: string, body: AcceptFindingBodyT): Promise<FindingT> {
      const nowDate = clock();
      let until: string | null = null;
      if (body.expires_at !== undefined) {
        const d = new Date(body.expires_at);
        if (!(d.getTime() > nowDate.getTime()))
          throw badRequest('expires_at must be in the future', [
            { path: 'body.expires_at', message: 'must be a time in the future' },
          ]);
        until = iso(d);
      }
      await ensureFresh(ctx.tenant.id);
      const now = iso(clock());
      const row = await db.transaction().execute(async (tx) => {
        const found = await store.findFinding(tx, ctx.tenant.id, id, postgres);
        if (!found) throw notFound('finding', id);
        if (found.status === 'RESOLVED')
          throw conflict(`Finding ${id} is resolved; only OPEN or ACCEPTED findings can be accepted`);
        const set = {
          status: 'ACCEPTED' as const,
          status_reason: body.reason,
          accepted_by: ctx.principal?.id ?? null,
          accepted_until: until,
          updated_at: now,
        };
        await store.updateFinding(tx, ctx.tenant.id, found.id, set);
        await insertAuditEntry(
          tx,
          audit(ctx, 'finding.accepted', found.id, now, {
            rule_id: found.rule_id,
            node_id: found.node_id,
            previous_status: found.status,
            reason: body.reason,
            expires_at: until,
          }),
        );
        return { ...found, ...set };
      });
      return toFinding(row, await evaluatedAt(ctx.tenant.id));
    },

    /** Marks an OPEN or ACCEPTED finding resolved by hand; a newer inventory that still fails reopens it. */
    async resolve(ctx: TenantContext, id: string, body: ResolveFindingBodyT): Promise<FindingT> {
      await ensureFresh(ctx.tenant.id);
      const now = iso(clock());
      const { row, event } = await db.transaction().execute(async (tx) => {
        const found = await store.findFinding(tx, ctx.tenant.id, id, postgres);
        if (!found) throw notFound('finding', id);
        if (found.status === 'RESOLVED') throw conflict(`Finding ${id} is already resolved`);
        const version = (await inventoryVersion(tx, ctx.tenant.id)) ?? 0;
        const set = {
          status: 'RESOLVED' as const,
          resolution: 'manual' as const,
          status_reason: body.reason ?? null,
          resolved_by: ctx.principal?.id ?? null,
          resolved_at: now,
          resolved_version: version,
          accepted_until: null,
          updated_at: now,
        };
        await store.updateFinding(tx, ctx.tenant.id, found.id, set);
        await insertAuditEntry(
          tx,
          audit(ctx, 'finding.resolved', found.id, now, {
            rule_id: found.rule_id,
            node_id: found.node_id,
            previous_status: found.status,
            reason: body.reason ?? null,
            inventory_version: version,
          }),
        );
        const event = {
          tenantId: ctx.tenant.id,
          findingId: found.id,
          ruleId: found.rule_id,
          severity: found.severity,
          nodeId: found.node_id,
          resolution: 'manual' as const,
          inventoryVersion: version,
        };
        await recordEvents(tx, [{ event: 'finding.resolved', payload: event }], now);
        return { row: { ...found, ...set }, event };
      });
      events.publish('finding.resolved', event);
      return toFinding(row, await evaluatedAt(ctx.tenant.id));
    },

    listRules(query: ListRulesQueryT, page: PageRequest) {
      const severities = enumList(query.severity, SEVERITIES, 'severity', 'severity');
      const frameworks = enumList(query.framework, FRAMEWORK_IDS, 'framework', 'framework');
      const types = csv(query.types);
      const all = RULES.filter(
        (r) =>
          (!severities || severities.includes(r.severity)) &&
          (!frameworks || r.controls.some((c) => frameworks.includes(c.framework))) &&
          (!types || r.resource_types.some((t) => types.includes(t))),
      );
      return { items: all.slice(page.offset, page.offset + page.perPage).map(toRule), total: all.length };
    },

    async summary(ctx: TenantContext): Promise<ComplianceSummaryT> {
      const { score, evaluation, bySeverity, accepted } = await complianceOf(ctx.tenant.id);
      const { score: overall, ...controls } = score.overall;
      return {
        score: overall,
        controls,
        frameworks: score.frameworks.map(({ id, name, version, score: s, ...c }) => ({
          id,
          name,
          version,
          controls: c,
          score: s,
        })),
        open_findings: { total: Object.values(bySeverity).reduce((a, b) => a + b, 0), by_severity: bySeverity },
        accepted_findings: accepted,
        resources_evaluated: evaluation?.resources_evaluated ?? 0,
        inventory_version: evaluation?.inventory_version ?? 0,
        evaluated_at: evaluation?.evaluated_at ?? null,
      };
    },

    async frameworks(ctx: TenantContext) {
      const { score } = await complianceOf(ctx.tenant.id);
      return score.frameworks.map(({ id, name, version, score: s, ...c }) => ({
        id,
        name,
        version,
        controls: c,
        score: s,
      }));
    },

    async controls(ctx: TenantContext, query: ListControlsQueryT, page: PageRequest) {
      const frameworks = enumList(query.framework, FRAMEWORK_IDS, 'framework', 'framework');
      const statuses = enumList(query.status, CONTROL_STATUSES, 'status', 'control status');
      const { score } = await complianceOf(ctx.tenant.id);
      const all = score.controls.filter(
        (c) => (!frameworks || frameworks.includes(c.framework)) && (!statuses || statuses.includes(c.status)),
      );
      return { items: all.slice(page.offset, page.offset + page.perPage), total: all.length };
    },
  };
}

export type FindingService = ReturnType<typeof createFindingService>;
