/**
 * Tagging policies: CRUD with an audit trail, plan validation against the
 * tenant's policies, and compliance over its inventory (now, per policy's
 * violations, and as a history of snapshots), all decided by the pure engine
 * in src/core/tagging.
 *
 * Two per-process caches keep the hot paths cheap:
 * - compiled policies per tenant, checked against the (id, version) list of
 *   its policies (one small query), so a validation never recompiles a
 *   10,000-value list and a write on another instance is seen at once;
 * - compliance results and violation lists per tenant, valid for one policy
 *   fingerprint and inventory version (and until the next exemption expires),
 *   so a dashboard polling compliance over 100k nodes costs a lookup.
 */
import { randomUUID } from 'node:crypto';
import {
  type CompiledPolicySet,
  type ComplianceNode,
  compilePolicies,
  compilePolicy,
  computeTaggingCompliance,
  InvalidPlanError,
  listNonCompliant,
  type NonCompliantNode,
  parseIsoInstant,
  type TaggingCompliance,
  type TaggingPolicy,
  type ValidationResult,
  validatePlan,
} from '../../core/tagging/index.ts';
import type { DatabaseDialect } from '../../platform/config.ts';
import type { TenantContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/index.ts';
import type { TaggingComplianceSnapshotRow, TaggingPolicyRow } from '../../platform/db/schema.ts';
import { flag, toFlag } from '../../platform/db/sql.ts';
import { badRequest, conflict, notFound } from '../../platform/errors.ts';
import type { EventBus } from '../../platform/events.ts';
import { enumList } from '../../platform/http/list-filters.ts';
import { applyMergePatch } from '../../platform/http/merge-patch.ts';
import { csv, type PageRequest, parseSort } from '../../platform/http/pagination.ts';
import { compileJsonValidator } from '../../platform/http/validation.ts';
import { newId } from '../../platform/ids.ts';
import { type Clock, iso } from '../../platform/time.ts';
import { auditEntry, insertAuditEntry } from '../audit/store.ts';
import { DISCOVERY_JOB_KIND } from '../inventory/ingest/discovery-job.ts';
import { inventoryVersion as readInventoryVersion } from '../inventory/store.ts';
import {
  attributesOf,
  definitionFrom,
  diffDefinitions,
  mergeDefinition,
  normalizeDefinition,
  type PolicyDefinition,
  requireSomeField,
  sentFields,
  toApiPolicy,
  toEnginePolicy,
} from './definition.ts';
import {
  type CompliancePointT,
  ENFORCEMENTS,
  type HistoryQueryT,
  type ListPoliciesQueryT,
  POLICY_SORT_FIELDS,
  PolicyAttributesInput,
  type PolicyAttributesInputT,
  type PolicyBodyT,
  type PolicyMergePatchT,
  SNAPSHOT_TRIGGERS,
  type TaggingPolicyT,
  VIOLATION_KINDS,
  VIOLATION_SORT_FIELDS,
  type ViolationsQueryT,
} from './schemas.ts';
import * as store from './store.ts';

export interface TaggingServiceDeps {
  db: Db;
  dialect: DatabaseDialect;
  clock: Clock;
  events: EventBus;
  /** Tenants whose compiled policies and compliance results stay in memory. */
  maxCachedTenants?: number;
  /** Where snapshot failures are reported (they never reach the job that triggered them). */
  onError?: (err: unknown, what: string) => void;
}

/** Invalid values kept per compliance result; `?top=` slices them. */
const TOP_INVALID_KEPT = 50;
const DEFAULT_MAX_CACHED_TENANTS = 32;
const LOAD_ATTEMPTS = 3;

interface PolicySet {
  /** `id:version,…` of every policy of the tenant, ordered by id. */
  fingerprint: string;
  byId: Map<string, TaggingPolicy>;
  enabled: CompiledPolicySet;
}

interface Evaluation {
  fingerprint: string;
  /** The inventory version the nodes were read at (or a later one). */
  inventoryVersion: number;
  /** An exemption expiring changes the answer: results are kept until the first one does. */
  validUntil: number;
  compliance: { result: TaggingCompliance; computedAt: string } | null;
  violations: Map<string, NonCompliantNode[]>;
}

export type ValidationAnswer = Omit<ValidationResult, 'resources'> & { resources?: ValidationResult['resources'] };

/** A tiny LRU over a Map (insertion order: re-inserting on use makes the first key the oldest). */
function lru<V>(max: number) {
  const map = new Map<string, V>();
  return {
    get(key: string): V | undefined {
      const v = map.get(key);
      if (v !== undefined) {
        map.delete(key);
        map.set(key, v);
      }
      return v;
    },
    set(key: string, value: V) {
      map.delete(key);
      map.set(key, value);
      while (map.size > max) map.delete(map.keys().next().value as string);
    },
    delete: (key: string) => map.delete(key),
    clear: () => map.clear(),
    size: () => map.size,
  };
}

export function definitionOf(row: TaggingPolicyRow): PolicyDefinition {
  return {
    name: row.name,
    description: row.description,
    enabled: flag(row.enabled),
    enforcement: row.enforcement,
    message: row.message,
    scope: JSON.parse(row.scope),
    exemptions: JSON.parse(row.exemptions),
    trim_values: flag(row.trim_values),
    tags: JSON.parse(row.tags),
  };
}

function apiPolicyOf(row: TaggingPolicyRow): TaggingPolicyT {
  return toApiPolicy(row.id, definitionOf(row), {
    version: Number(row.version),
    created_at: row.created_at,
    updated_at: row.updated_at,
  });
}

function columnsOf(def: PolicyDefinition) {
  return {
    name: def.name,
    description: def.description,
    enabled: toFlag(def.enabled),
    enforcement: def.enforcement,
    message: def.message,
    scope: JSON.stringify(def.scope),
    tags: JSON.stringify(def.tags),
    exemptions: JSON.stringify(def.exemptions),
    trim_values: toFlag(def.trim_values),
  };
}

/** `id:version,…` sorted here, not by SQL: a database collation may order ids differently from JS. */
const fingerprintOf = (heads: readonly { id: string; version: number }[]) =>
  heads
    .map((h) => `${h.id}:${h.version}`)
    .sort()
    .join(',');

/** `2026-11-01` → its first (or last) instant; a date-time as is. 400 when unreadable (the schema says so first). */
function instant(value: string | undefined, field: string, endOfDay: boolean): string | undefined {
  if (value === undefined) return undefined;
  const ms = parseIsoInstant(value);
  if (ms === null) {
    throw badRequest(`${field} is not a date: ${value}`, [
      { path: `querystring.${field}`, message: 'must be an ISO date (2026-11-01) or date-time' },
    ]);
  }
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  return new Date(dateOnly && endOfDay ? ms + 86_400_000 - 1 : ms).toISOString();
}

/** A policy after a merge patch, checked as a PUT body: one validator per place the fields sit. */
const mergedValidators = new Map<string, ReturnType<typeof compileJsonValidator>>();

function checkMerged(merged: unknown, base: string): asserts merged is PolicyAttributesInputT {
  let validate = mergedValidators.get(base);
  if (!validate) {
    validate = compileJsonValidator(PolicyAttributesInput, base);
    mergedValidators.set(base, validate);
  }
  const problems = validate(merged);
  if (problems && problems.length > 0) {
    throw badRequest(`Invalid request: ${problems[0]!.path} ${problems[0]!.message}`, problems);
  }
}

const NO_ATTRIBUTES = Object.freeze({});

function toNode(r: store.ComplianceNodeRow): ComplianceNode {
  let attributes: Record<string, string> = NO_ATTRIBUTES;
  if (r.terraform_type != null || r.terraform_address != null || r.address != null) {
    attributes = {};
    if (r.terraform_type != null) attributes.terraform_type = r.terraform_type;
    if (r.terraform_address != null) attributes.terraform_address = r.terraform_address;
    if (r.address != null) attributes.address = r.address;
  }
  return {
    id: r.id,
    provider: r.provider,
    type: r.type,
    account: r.account,
    region: r.region ?? null,
    name: r.name ?? null,
    native_id: r.native_id ?? null,
    tags: r.tags === '{}' ? null : (JSON.parse(r.tags) as Record<string, string>),
    attributes,
  };
}

function toPoint(row: TaggingComplianceSnapshotRow): CompliancePointT {
  // `covered` lives in details (the table has no column for it); snapshots recorded before it have none.
  const details = JSON.parse(row.details) as Pick<TaggingCompliance, 'by_policy' | 'by_key'> & { covered?: number };
  return {
    id: row.id,
    taken_at: row.taken_at,
    trigger: row.trigger,
    job_id: row.job_id,
    inventory_version: Number(row.inventory_version),
    resources: Number(row.resources),
    taggable: Number(row.taggable),
    covered: typeof details.covered === 'number' ? details.covered : null,
    compliant: Number(row.compliant),
    percent: row.percent === null ? null : Number(row.percent),
    by_policy: details.by_policy ?? [],
    by_key: details.by_key ?? [],
  };
}

/** The audit entry for what the request did to policy `id`. */
const policyAudit = (
  ctx: TenantContext,
  id: string,
  action: `tagging_policy.${string}`,
  summary: Record<string, unknown>,
  at: string,
) => auditEntry(ctx, ctx.tenant.id, { type: 'tagging_policy', id }, action, summary, at);

export function createTaggingService(deps: TaggingServiceDeps) {
  const { db, dialect, clock, events } = deps;
  const maxTenants = Math.max(1, deps.maxCachedTenants ?? DEFAULT_MAX_CACHED_TENANTS);
  const onError = deps.onError ?? (() => {});
  const policySets = lru<PolicySet>(maxTenants);
  const evaluations = lru<Evaluation>(maxTenants);
  // Concurrent requests for the same work share one promise (ten dashboards after an ingest load once).
  const flights = new Map<string, Promise<unknown>>();
  const counters = { policyLoads: 0, inventoryLoads: 0 };
  let lastCompliance: { nodes: number; load_ms: number; compute_ms: number } | null = null;

  function shared<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const running = flights.get(key);
    if (running) return running as Promise<T>;
    const p = fn().finally(() => flights.delete(key));
    flights.set(key, p);
    return p;
  }

  /** Drops what this process cached for the tenant; other processes notice through the fingerprint. */
  function forget(tenantId: string) {
    policySets.delete(tenantId);
    evaluations.delete(tenantId);
  }

  async function policySet(tenantId: string): Promise<PolicySet> {
    const fingerprint = fingerprintOf(await store.policyHeads(db, tenantId));
    const hit = policySets.get(tenantId);
    if (hit && hit.fingerprint === fingerprint) return hit;
    return shared(`policies|${tenantId}|${fingerprint}`, async () => {
      counters.policyLoads++;
      const rows = await store.allPolicyRows(db, tenantId);
      const byId = new Map(rows.map((r) => [r.id, toEnginePolicy(r.id, definitionOf(r))]));
      const set: PolicySet = {
        // From the rows read, not the heads: a write in between must not be cached under the old fingerprint.
        fingerprint: fingerprintOf(rows.map((r) => ({ id: r.id, version: Number(r.version) }))),
        byId,
        enabled: compilePolicies([...byId.values()].filter((p) => p.enabled)),
      };
      policySets.set(tenantId, set);
      return set;
    });
  }

  /** The first instant after `nowMs` at which an exemption of these policies expires. */
  function nextExpiry(policies: Iterable<TaggingPolicy>, nowMs: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const p of policies) {
      for (const e of p.exemptions ?? []) {
        const at = e.expires_at ? Date.parse(e.expires_at) : Number.NaN;
        if (at > nowMs && at < next) next = at;
      }
    }
    return next;
  }

  /**
   * The tenant's nodes, labelled with an inventory version they are at least
   * as new as: the version is read first, so a write landing meanwhile makes
   * the data newer than its label, never older; a load that saw one is retried.
   */
  async function loadNodes(tenantId: string, names: boolean): Promise<{ nodes: ComplianceNode[]; version: number }> {
    counters.inventoryLoads++;
    for (let attempt = 1; ; attempt++) {
      const before = (await readInventoryVersion(db, tenantId)) ?? 0;
      const rows = await store.complianceNodes(db, dialect, tenantId, names);
      const nodes = new Array<ComplianceNode>(rows.length);
      for (let i = 0; i < rows.length; i++) nodes[i] = toNode(rows[i]!);
      const end = (await readInventoryVersion(db, tenantId)) ?? 0;
      if (end === before || attempt >= LOAD_ATTEMPTS) return { nodes, version: before };
    }
  }

  /** The cached evaluation when it still answers for this policy set and inventory version. */
  function currentEvaluation(tenantId: string, set: PolicySet, atLeast: number): Evaluation | null {
    const e = evaluations.get(tenantId);
    if (!e || e.fingerprint !== set.fingerprint || e.inventoryVersion < atLeast) return null;
    if (clock().getTime() >= e.validUntil) return null;
    return e;
  }

  function keepEvaluation(tenantId: string, set: PolicySet, version: number): Evaluation {
    const existing = evaluations.get(tenantId);
    if (existing && existing.fingerprint === set.fingerprint && existing.inventoryVersion === version) return existing;
    const e: Evaluation = {
      fingerprint: set.fingerprint,
      inventoryVersion: version,
      validUntil: nextExpiry(set.byId.values(), clock().getTime()),
      compliance: null,
      violations: new Map(),
    };
    evaluations.set(tenantId, e);
    return e;
  }

  async function complianceOf(tenantId: string, set: PolicySet, atLeast: number) {
    const hit = currentEvaluation(tenantId, set, atLeast);
    if (hit?.compliance) return { ...hit.compliance, inventoryVersion: hit.inventoryVersion };
    return shared(`compliance|${tenantId}|${set.fingerprint}|${atLeast}`, async () => {
      // Names are read only when an exemption may need them: over 100k nodes that is a third of the load.
      const names = set.enabled.policies.some((p) => p.hasExemptions);
      const started = performance.now();
      const { nodes, version } = await loadNodes(tenantId, names);
      const loaded = performance.now();
      const now = clock();
      const result = computeTaggingCompliance(set.enabled, nodes, { now, topInvalidValues: TOP_INVALID_KEPT });
      lastCompliance = {
        nodes: nodes.length,
        load_ms: Math.round(loaded - started),
        compute_ms: Math.round(performance.now() - loaded),
      };
      const e = keepEvaluation(tenantId, set, version);
      e.compliance = { result, computedAt: iso(now) };
      return { ...e.compliance, inventoryVersion: version };
    });
  }

  async function violationsOf(tenantId: string, set: PolicySet, policyId: string, atLeast: number) {
    const hit = currentEvaluation(tenantId, set, atLeast)?.violations.get(policyId);
    if (hit) return hit;
    return shared(`violations|${tenantId}|${set.fingerprint}|${atLeast}|${policyId}`, async () => {
      const { nodes, version } = await loadNodes(tenantId, true);
      // A disabled policy is evaluated too (listNonCompliant does not skip it): its impact before enabling it.
      const list = listNonCompliant(compilePolicy(set.byId.get(policyId)!), nodes, { now: clock() }).sort((a, b) =>
        a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0,
      );
      keepEvaluation(tenantId, set, version).violations.set(policyId, list);
      return list;
    });
  }

  /**
   * Applies a change computed from the current definition. First optimistically: the CPU work
   * (normalising 50,000 values, the diff, serialising) happens outside the transaction and the write
   * is conditional on the version read. When a concurrent change got there first, the change is
   * recomputed on top of it inside a transaction that read the row locked (FOR UPDATE on PostgreSQL;
   * SQLite's transactions are serialised anyway), so concurrent PATCHes apply one after the other and
   * all succeed, on both dialects. The version condition stays as a safety net.
   */
  async function change(
    ctx: TenantContext,
    id: string,
    action: 'replaced' | 'updated',
    compute: (current: PolicyDefinition) => PolicyDefinition,
    via: 'compat' | null,
  ): Promise<TaggingPolicyT> {
    /**
     * The policy after the change (`written` unless it changed nothing), or null when the row's
     * version changed after it was read (nothing written). `tx` is the transaction that read the
     * row locked; without one (the optimistic attempt) the write gets its own.
     */
    const applyTo = async (
      row: TaggingPolicyRow | undefined,
      tx: Executor | null,
    ): Promise<{ policy: TaggingPolicyT; written: boolean } | null> => {
      if (!row) throw notFound('tagging policy', id);
      const before = definitionOf(row);
      const after = compute(before);
      // A change that changes nothing is not a new version: no write, no audit entry, no webhook-worthy event.
      if (JSON.stringify(columnsOf(after)) === JSON.stringify(columnsOf(before))) {
        return { policy: apiPolicyOf(row), written: false };
      }
      const diff = diffDefinitions(before, after);
      const now = iso(clock());
      const version = Number(row.version) + 1;
      const columns = { ...columnsOf(after), version, updated_at: now };
      const write = async (wtx: Executor) => {
        const res = await wtx
          .updateTable('tagging_policies')
          .set(columns)
          .where('tenant_id', '=', ctx.tenant.id)
          .where('id', '=', id)
          .where('version', '=', row.version)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) return false;
        await insertAuditEntry(
          wtx,
          policyAudit(
            ctx,
            id,
            `tagging_policy.${action}`,
            { name: after.name, version, ...diff, ...(via ? { via } : {}) },
            now,
          ),
        );
        return true;
      };
      if (!(tx ? await write(tx) : await db.transaction().execute(write))) return null;
      return {
        policy: toApiPolicy(id, after, { version, created_at: row.created_at, updated_at: now }),
        written: true,
      };
    };

    let result = await applyTo(await store.findPolicy(db, ctx.tenant.id, id), null);
    for (let attempt = 2; result === null; attempt++) {
      if (attempt > 3) throw conflict(`tagging policy ${id} kept changing while this request was applied; retry it`);
      result = await db.transaction().execute(async (tx) => {
        const row = await store.findPolicy(tx, ctx.tenant.id, id, dialect === 'postgres');
        return applyTo(row, tx);
      });
    }
    if (result.written) forget(ctx.tenant.id);
    return result.policy;
  }

  async function recordSnapshot(
    tenantId: string,
    trigger: 'job' | 'daily',
    jobId: string | null = null,
  ): Promise<CompliancePointT | null> {
    const set = await policySet(tenantId);
    // Nothing to measure yet: a tenant without enabled policies gets no series of 100% points.
    if (set.enabled.policies.length === 0) return null;
    const now = clock();
    const day = iso(now).slice(0, 10);
    if (trigger === 'daily' && (await store.hasDailySnapshot(db, tenantId, day))) return null;
    const version = await readInventoryVersion(db, tenantId);
    if (version === null) return null;
    const { result: c, inventoryVersion } = await complianceOf(tenantId, set, version);
    const row: TaggingComplianceSnapshotRow = {
      id: newId('snapshot'),
      tenant_id: tenantId,
      trigger,
      job_id: jobId,
      day: trigger === 'daily' ? day : null,
      inventory_version: inventoryVersion,
      resources: c.overall.resources,
      taggable: c.overall.taggable,
      compliant: c.overall.compliant,
      percent: c.overall.percent,
      details: JSON.stringify({
        covered: c.overall.covered,
        by_policy: c.by_policy,
        by_key: c.by_key,
        by_resource_type: c.by_resource_type,
        by_account: c.by_account,
        top_invalid_values: c.top_invalid_values.slice(0, 10),
      }),
      taken_at: iso(now),
    };
    return (await store.insertSnapshot(db, row)) ? toPoint(row) : null;
  }

  // A snapshot after every discovery job: the series FinOps watches rise as teams fix their tags.
  events.subscribe('job.completed', async (e) => {
    if (e.kind !== DISCOVERY_JOB_KIND) return;
    try {
      await recordSnapshot(e.tenantId, 'job', e.jobId);
    } catch (err) {
      onError(err, `tagging compliance snapshot after job ${e.jobId}`);
    }
  });
  // Not needed for correctness (entries carry their version), but frees memory at once.
  events.subscribe('inventory.changed', ({ tenantId, version }) => {
    const e = evaluations.get(tenantId);
    if (e && e.inventoryVersion < version) evaluations.delete(tenantId);
  });

  return {
    async list(ctx: TenantContext, query: ListPoliciesQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, POLICY_SORT_FIELDS, 'created_at');
      const { rows, total } = await store.listPolicyRows(
        db,
        ctx.tenant.id,
        {
          enabled: query.enabled,
          enforcements: enumList(query.enforcement, ENFORCEMENTS, 'enforcement', 'enforcement'),
        },
        sort,
        page.perPage,
        page.offset,
      );
      return { items: rows.map(apiPolicyOf), total };
    },

    async get(ctx: TenantContext, id: string): Promise<TaggingPolicyT> {
      const row = await store.findPolicy(db, ctx.tenant.id, id);
      if (!row) throw notFound('tagging policy', id);
      return apiPolicyOf(row);
    },

    async create(ctx: TenantContext, body: PolicyBodyT): Promise<TaggingPolicyT> {
      const sent = sentFields(body, null);
      const def = normalizeDefinition(definitionFrom(sent), sent.base);
      const now = iso(clock());
      const id = randomUUID();
      const row: TaggingPolicyRow = {
        id,
        tenant_id: ctx.tenant.id,
        ...columnsOf(def),
        version: 1,
        created_at: now,
        updated_at: now,
      };
      await db.transaction().execute(async (tx) => {
        await store.insertPolicy(tx, row);
        await insertAuditEntry(
          tx,
          policyAudit(
            ctx,
            id,
            'tagging_policy.created',
            { name: def.name, version: 1, ...diffDefinitions(null, def) },
            now,
          ),
        );
      });
      forget(ctx.tenant.id);
      return toApiPolicy(id, def, { version: 1, created_at: now, updated_at: now });
    },

    async replace(ctx: TenantContext, id: string, body: PolicyBodyT): Promise<TaggingPolicyT> {
      const sent = sentFields(body, id);
      const def = normalizeDefinition(definitionFrom(sent), sent.base);
      return change(ctx, id, 'replaced', () => def, null);
    },

    /** PATCH: only the fields named change; `via: 'compat'` marks the seed-compatible route in the audit log. */
    async update(
      ctx: TenantContext,
      id: string,
      body: PolicyBodyT,
      via: 'compat' | null = null,
    ): Promise<TaggingPolicyT> {
      const sent = sentFields(body, id);
      return change(
        ctx,
        id,
        'updated',
        (current) => normalizeDefinition(mergeDefinition(current, sent), sent.base),
        via,
      );
    },

    /**
     * PATCH as `application/merge-patch+json` (RFC 7396): the patch is merged into the current policy
     * (objects member by member, null removes a member so it takes its default, lists whole), and the
     * result is checked as a PUT body. Merged inside `change`, so a concurrent change is patched too.
     */
    async mergePatch(
      ctx: TenantContext,
      id: string,
      body: PolicyMergePatchT,
      via: 'compat' | null = null,
    ): Promise<TaggingPolicyT> {
      const sent = sentFields(body, id);
      requireSomeField(sent);
      return change(
        ctx,
        id,
        'updated',
        (current) => {
          const merged = applyMergePatch(attributesOf(current), sent.attributes);
          checkMerged(merged, sent.base);
          return normalizeDefinition(definitionFrom({ attributes: merged, base: sent.base }), sent.base);
        },
        via,
      );
    },

    async delete(ctx: TenantContext, id: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        // Locked: a concurrent delete waits, then finds nothing (a 404 and no second audit entry).
        const row = await store.findPolicy(tx, ctx.tenant.id, id, dialect === 'postgres');
        if (!row) throw notFound('tagging policy', id);
        if ((await store.deletePolicyRow(tx, ctx.tenant.id, id)) === 0) throw notFound('tagging policy', id);
        const now = iso(clock());
        await insertAuditEntry(
          tx,
          policyAudit(
            ctx,
            id,
            'tagging_policy.deleted',
            { name: row.name, version: Number(row.version), ...diffDefinitions(definitionOf(row), null) },
            now,
          ),
        );
      });
      forget(ctx.tenant.id);
    },

    /**
     * Validates a plan against the tenant's enabled policies (or the ones
     * named, disabled ones included and reported as disabled). The body is
     * the plan itself, or `{plan, policy_ids}`.
     */
    async validate(
      ctx: TenantContext,
      body: Record<string, unknown>,
      includeResources: boolean,
    ): Promise<ValidationAnswer> {
      let plan: unknown = body;
      let policyIds: string[] | null = null;
      let planPath = 'body';
      if ('plan' in body) {
        const extra = Object.keys(body).filter((k) => k !== 'plan' && k !== 'policy_ids');
        if (extra.length > 0) {
          throw badRequest(
            `Invalid request: body.${extra[0]} unknown field "${extra[0]}" (send the plan as the body, or {plan, policy_ids})`,
            extra.map((k) => ({ path: `body.${k}`, message: `unknown field "${k}"` })),
          );
        }
        plan = body.plan;
        planPath = 'body.plan';
        policyIds = (body.policy_ids as string[] | undefined) ?? null;
      } else if ('policy_ids' in body) {
        throw badRequest('policy_ids goes with plan: send {"plan": …, "policy_ids": […]}', [
          { path: 'body.plan', message: 'is required with policy_ids' },
        ]);
      }
      const set = await policySet(ctx.tenant.id);
      let policies: CompiledPolicySet = set.enabled;
      if (policyIds) {
        const unknown = policyIds.filter((id) => !set.byId.has(id));
        if (unknown.length > 0) {
          throw badRequest(
            `Unknown tagging policy ${unknown.join(', ')}`,
            unknown.map((id) => ({
              path: `body.policy_ids[${policyIds!.indexOf(id)}]`,
              message: `no tagging policy ${id} in this tenant`,
            })),
          );
        }
        // The policies themselves (compiled once, cached with them), not enabled copies: a disabled one
        // named here is checked as if enabled yet listed in the answer with its real `enabled: false`.
        policies = compilePolicies([...new Set(policyIds)].map((id) => set.byId.get(id)!));
      }
      let result: ValidationResult;
      try {
        result = validatePlan(plan, policies, { now: clock(), includeDisabled: policyIds !== null });
      } catch (e) {
        if (e instanceof InvalidPlanError) {
          throw badRequest(`Invalid plan: ${e.message}`, [{ path: planPath, message: e.message }]);
        }
        throw e;
      }
      if (includeResources) return result;
      const { resources: _omitted, ...rest } = result;
      return rest;
    },

    async compliance(ctx: TenantContext, top: number) {
      const set = await policySet(ctx.tenant.id);
      const { result, computedAt, inventoryVersion } = await complianceOf(
        ctx.tenant.id,
        set,
        (await readInventoryVersion(db, ctx.tenant.id)) ?? 0,
      );
      return {
        ...result,
        top_invalid_values: result.top_invalid_values.slice(0, top),
        inventory_version: inventoryVersion,
        computed_at: computedAt,
      };
    },

    async history(ctx: TenantContext, query: HistoryQueryT, page: PageRequest) {
      const from = instant(query.from, 'from', false);
      const to = instant(query.to, 'to', true);
      if (from && to && from > to) {
        throw badRequest('from is after to', [{ path: 'querystring.from', message: 'must not be after to' }]);
      }
      const { rows, total } = await store.listSnapshotRows(
        db,
        ctx.tenant.id,
        { from, to, triggers: enumList(query.trigger, SNAPSHOT_TRIGGERS, 'trigger', 'snapshot trigger') },
        page.perPage,
        page.offset,
      );
      return { items: rows.map(toPoint), total };
    },

    async violations(ctx: TenantContext, id: string, query: ViolationsQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, VIOLATION_SORT_FIELDS, 'node_id');
      const kinds = enumList(query.kind, VIOLATION_KINDS, 'kind', 'violation kind');
      const set = await policySet(ctx.tenant.id);
      if (!set.byId.has(id)) throw notFound('tagging policy', id);
      let list = await violationsOf(ctx.tenant.id, set, id, (await readInventoryVersion(db, ctx.tenant.id)) ?? 0);
      const types = csv(query.types);
      const accounts = csv(query.accounts);
      const keys = csv(query.key);
      if (types || accounts || keys || kinds) {
        list = list
          .filter(
            (n) => (!types || types.includes(n.resource_type)) && (!accounts || accounts.includes(n.account ?? '')),
          )
          .map((n) =>
            keys || kinds
              ? {
                  ...n,
                  violations: n.violations.filter(
                    (v) => (!keys || keys.includes(v.key)) && (!kinds || kinds.includes(v.kind)),
                  ),
                }
              : n,
          )
          .filter((n) => n.violations.length > 0);
      }
      if (sort.length > 1 || sort[0]?.field !== 'node_id' || sort[0].desc) {
        const field = (n: NonCompliantNode, f: (typeof VIOLATION_SORT_FIELDS)[number]) =>
          f === 'node_id' ? n.node_id : f === 'resource_type' ? n.resource_type : (n.account ?? '');
        list = [...list].sort((a, b) => {
          for (const s of sort) {
            const c = field(a, s.field) < field(b, s.field) ? -1 : field(a, s.field) > field(b, s.field) ? 1 : 0;
            if (c !== 0) return s.desc ? -c : c;
          }
          return a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0;
        });
      }
      return { items: list.slice(page.offset, page.offset + page.perPage), total: list.length };
    },

    /** Records a snapshot of the tenant's compliance now (after a discovery job, or the daily one). */
    recordSnapshot,

    /** The daily snapshot of every tenant with enabled policies; returns how many were taken here. */
    async takeDailySnapshots(): Promise<number> {
      let taken = 0;
      for (const tenantId of await store.tenantsWithEnabledPolicies(db)) {
        try {
          if (await recordSnapshot(tenantId, 'daily')) taken++;
        } catch (err) {
          onError(err, `daily tagging compliance snapshot of tenant ${tenantId}`);
        }
      }
      return taken;
    },

    /** Cache counters (tests and benchmarks). */
    stats: () => ({ ...counters, cachedTenants: policySets.size(), lastCompliance }),
  };
}

export type TaggingService = ReturnType<typeof createTaggingService>;
