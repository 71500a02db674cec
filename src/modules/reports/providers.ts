/**
 * Report types. Each is a small provider: its columns, the filters it takes (TypeBox schemas, which
 * also document them) and how it reads its rows, a batch at a time. The registry is built once at
 * start-up (src/services.ts); the API's `type` enum comes from it, so a type is offered only when its
 * provider is registered: inventory and tagging here, findings and compliance (which need the findings
 * service, so are made from it) too.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { TSchema } from 'typebox';
import type { ReportColumn, ReportRow } from '../../core/reports/types.ts';
import { frameworkById } from '../../core/rules/index.ts';
import { type ComplianceNode, resourceComplianceEvaluator } from '../../core/tagging/index.ts';
import type { DatabaseDialect } from '../../platform/config.ts';
import type { Executor } from '../../platform/db/index.ts';
import { StringEnum } from '../../platform/http/schemas.ts';
import { type FindingService, rulesOfControls, toFinding } from '../findings/service.ts';
import { countFindings, listFindingsAfter } from '../findings/store.ts';
import { toNode } from '../inventory/service.ts';
import { countNodes, listNodesAfter, type NodeFilter, type NodeRecord } from '../inventory/store.ts';
import { toEnginePolicy } from '../tagging/definition.ts';
import { definitionOf } from '../tagging/service.ts';
import { allPolicyRows } from '../tagging/store.ts';
import {
  ComplianceFilterFields,
  type ComplianceFiltersT,
  FindingFilterFields,
  type FindingFiltersT,
  NodeFilterFields,
  type NodeFiltersT,
} from './schemas.ts';

/** What a provider reads from: one tenant's data, as of `now`. */
export interface ReportSource {
  db: Executor;
  dialect: DatabaseDialect;
  tenantId: string;
  now: Date;
  /**
   * Called after each batch read: how many of the `total` items the report reads (nodes, findings) have been
   * read. The total is counted when the read starts; items added meanwhile may take `done` past it.
   */
  progress?: (done: number, total: number) => void;
}

export interface ReportProvider {
  /** The API's `type` value. */
  type: string;
  /** For titles: `Inventory` → "Inventory report …". */
  title: string;
  /** One sentence for the API reference. */
  description: string;
  columns: readonly ReportColumn[];
  /** The filters it takes; the request's `filters` were validated against them. */
  filters: Record<string, TSchema>;
  /** Checks what the schemas cannot (values that depend on each other); throws a 400. Run at generate time. */
  check?(filters: Record<string, unknown>): void;
  /** The rows, in batches (read page by page: never the whole set at once). */
  rows(source: ReportSource, filters: Record<string, unknown>): AsyncIterable<readonly ReportRow[]>;
}

export interface ReportRegistry {
  register(provider: ReportProvider): void;
  get(type: string): ReportProvider | undefined;
  all(): ReportProvider[];
}

export function createReportRegistry(providers: ReportProvider[] = []): ReportRegistry {
  const byType = new Map<string, ReportProvider>();
  const registry: ReportRegistry = {
    register(p) {
      if (byType.has(p.type)) throw new Error(`report type ${p.type} is already registered`);
      byType.set(p.type, p);
    },
    get: (type) => byType.get(type),
    all: () => [...byType.values()],
  };
  for (const p of providers) registry.register(p);
  return registry;
}

/** Nodes read per query. */
export const NODE_PAGE_SIZE = 1000;

export function nodeFilterOf(f: NodeFiltersT): NodeFilter {
  return {
    types: f.types,
    providers: f.provider,
    regions: f.region,
    accounts: f.account,
    sources: f.source,
    tags: f.tags ? Object.entries(f.tags) : undefined,
    tagMissing: f.tag_missing,
    q: f.q,
    updatedSince: f.updated_since ? new Date(f.updated_since).toISOString() : undefined,
  };
}

/** The tenant's nodes matching the filters, a page at a time, by id. */
export async function* nodePages(source: ReportSource, filters: NodeFiltersT): AsyncGenerator<NodeRecord[]> {
  const filter = nodeFilterOf(filters);
  const total = source.progress ? await countNodes(source.db, source.dialect, source.tenantId, filter) : 0;
  let after: string | null = null;
  let read = 0;
  for (;;) {
    const page = await listNodesAfter(source.db, source.dialect, source.tenantId, filter, after, NODE_PAGE_SIZE);
    read += page.length;
    source.progress?.(read, total);
    if (page.length === 0) return;
    yield page;
    if (page.length < NODE_PAGE_SIZE) return;
    after = (page[page.length - 1] as NodeRecord).id;
  }
}

const NODE_COLUMNS: ReportColumn[] = [
  { key: 'id', width: 3.2 },
  { key: 'type', width: 1.6 },
  { key: 'provider', width: 0.6 },
  { key: 'account', width: 1 },
  { key: 'region', width: 0.9 },
  { key: 'name', width: 1.6 },
];

export const inventoryReport: ReportProvider = {
  type: 'inventory',
  title: 'Inventory',
  description: 'one row per node (cloud resource), with its tags; filters as the nodes list.',
  columns: [
    ...NODE_COLUMNS,
    { key: 'native_id', width: 2.2 },
    { key: 'tags', width: 2.4 },
    { key: 'first_seen_at', width: 1.3 },
    { key: 'last_seen_at', width: 1.3 },
  ],
  filters: NodeFilterFields,
  async *rows(source, filters) {
    for await (const page of nodePages(source, filters as NodeFiltersT)) {
      yield page.map((record) => {
        const n = toNode(record);
        return {
          id: n.id,
          type: n.type,
          provider: n.provider,
          account: n.account,
          region: n.region,
          name: n.name,
          native_id: n.native_id,
          tags: n.tags,
          first_seen_at: n.first_seen_at,
          last_seen_at: n.last_seen_at,
        };
      });
    }
  },
};

export const TAGGING_STATUSES = ['compliant', 'non_compliant', 'not_covered', 'not_taggable'] as const;

export const taggingReport: ReportProvider = {
  type: 'tagging',
  title: 'Tagging compliance',
  description:
    'one row per node with its status against the enabled tagging policies (`compliant`, `non_compliant`, ' +
    '`not_covered`, `not_taggable`, as /tagging-policies/compliance counts them), missing keys and invalid values.',
  columns: [
    ...NODE_COLUMNS,
    { key: 'status', width: 1.1 },
    { key: 'policies', width: 1.6 },
    { key: 'missing_keys', width: 1.6 },
    { key: 'invalid_tags', width: 1.8 },
    { key: 'suggestions', width: 1.6 },
  ],
  filters: {
    ...NodeFilterFields,
    status: {
      ...StringEnumList(),
      description: 'Statuses (any of): `compliant`, `non_compliant`, `not_covered`, `not_taggable`.',
    },
  },
  async *rows(source, filters) {
    const policies = (await allPolicyRows(source.db, source.tenantId))
      .map((row) => toEnginePolicy(row.id, definitionOf(row)))
      .filter((p) => p.enabled);
    const names = new Map(policies.map((p) => [p.id, p.name]));
    const evaluate = resourceComplianceEvaluator(policies, { now: source.now });
    const wanted = (filters.status as string[] | undefined) ?? null;
    for await (const page of nodePages(source, filters as NodeFiltersT)) {
      const rows: ReportRow[] = [];
      for (const record of page) {
        const node: ComplianceNode = {
          id: record.id,
          provider: record.provider,
          type: record.type,
          account: record.account,
          region: record.region,
          name: record.name,
          native_id: record.native_id,
          tags: JSON.parse(record.tags) as Record<string, string>,
          attributes: JSON.parse(record.attributes) as unknown,
        };
        const r = evaluate(node);
        if (wanted && !wanted.includes(r.status)) continue;
        const unique = (xs: string[]) => [...new Set(xs)];
        rows.push({
          id: node.id,
          type: node.type,
          provider: node.provider,
          account: record.account,
          region: record.region,
          name: record.name,
          status: r.status,
          policies: r.policy_ids.map((id) => names.get(id) ?? id),
          missing_keys: unique(r.violations.filter((v) => v.kind === 'missing').map((v) => v.key)),
          invalid_tags: unique(r.violations.filter((v) => v.kind === 'invalid').map((v) => `${v.key}=${v.actual}`)),
          suggestions: unique(
            r.violations.filter((v) => v.suggestions.length > 0).map((v) => `${v.key}=${v.suggestions[0]}`),
          ),
        });
      }
      if (rows.length > 0) yield rows;
    }
  },
};

/** Findings read per query. */
export const FINDING_PAGE_SIZE = 1000;

/** Rule ids a findings report's `rule_id`, `framework` and `control` select together (undefined: any rule). */
function ruleIdsOf(f: FindingFiltersT): string[] | undefined {
  const byControl = rulesOfControls(
    f.framework ? [f.framework] : undefined,
    f.control ? [f.control] : undefined,
    'body.filters.control',
  );
  const ruleIds = f.rule_id as string[] | undefined;
  if (!byControl) return ruleIds;
  return ruleIds ? ruleIds.filter((r) => byControl.includes(r)) : byControl;
}

/**
 * One row per finding, as GET /findings answers them (evaluated first if the inventory moved on), read a
 * page at a time by id.
 */
export function findingsReport(findings: FindingService): ReportProvider {
  return {
    type: 'findings',
    title: 'Findings',
    description:
      'one row per finding (rule, severity, status, node, message, framework controls, times); filters as the ' +
      'findings list (`severity`, `status`, `rule_id`, `types`, `framework`, `control`).',
    columns: [
      { key: 'id', width: 1.9 },
      { key: 'rule_id', width: 1.9 },
      { key: 'title', width: 2.2 },
      { key: 'severity', width: 0.9 },
      { key: 'status', width: 0.9 },
      { key: 'resolution', width: 0.9 },
      { key: 'node_id', width: 3 },
      { key: 'node_type', width: 1.5 },
      { key: 'node_name', width: 1.4 },
      { key: 'message', width: 3.2 },
      { key: 'controls', width: 2 },
      { key: 'first_seen_at', width: 1.3 },
      { key: 'last_seen_at', width: 1.3 },
      { key: 'resolved_at', width: 1.3 },
      { key: 'accepted_until', width: 1.3 },
      { key: 'status_reason', width: 1.8 },
    ],
    filters: FindingFilterFields,
    check(filters) {
      ruleIdsOf(filters as FindingFiltersT);
    },
    async *rows(source, filters) {
      const f = filters as FindingFiltersT;
      const ruleIds = ruleIdsOf(f);
      if (ruleIds && ruleIds.length === 0) return;
      await findings.ensureFresh(source.tenantId);
      const evaluatedAt = await findings.evaluatedAt(source.tenantId);
      const filter = { severities: f.severity, statuses: f.status, ruleIds, types: f.types };
      const total = source.progress ? await countFindings(source.db, source.tenantId, filter) : 0;
      let after: string | null = null;
      let read = 0;
      for (;;) {
        const page = await listFindingsAfter(source.db, source.tenantId, filter, after, FINDING_PAGE_SIZE);
        read += page.length;
        source.progress?.(read, total);
        if (page.length > 0) {
          yield page.map((row) => {
            const x = toFinding(row, evaluatedAt);
            return {
              id: x.id,
              rule_id: x.rule_id,
              title: x.rule_title,
              severity: x.severity,
              status: x.status,
              resolution: x.resolution,
              node_id: x.node_id,
              node_type: x.node_type,
              node_name: x.node_name,
              message: x.message,
              controls: x.controls.map((c) => `${c.framework} ${c.control}`),
              first_seen_at: x.first_seen_at,
              last_seen_at: x.last_seen_at,
              resolved_at: x.resolved_at,
              accepted_until: x.accepted_until,
              status_reason: x.status_reason,
            };
          });
        }
        if (page.length < FINDING_PAGE_SIZE) return;
        after = (page[page.length - 1] as { id: string }).id;
        // better-sqlite3 answers synchronously: let other work in between pages.
        if (source.dialect === 'sqlite') await yieldToEventLoop();
      }
    },
  };
}

/** One row per framework control, scored as GET /compliance/controls scores them. */
export function complianceReport(findings: FindingService): ReportProvider {
  return {
    type: 'compliance',
    title: 'Compliance',
    description:
      'one row per framework control with its status (`PASS`, `FAIL`, `NOT_APPLICABLE`, as /compliance/controls ' +
      'scores it), its rules, open and accepted findings and resources evaluated; filters `framework`, `status`.',
    columns: [
      { key: 'framework', width: 1.4 },
      { key: 'framework_name', width: 2.2 },
      { key: 'control', width: 0.8 },
      { key: 'title', width: 3.4 },
      { key: 'status', width: 1.1 },
      { key: 'rule_ids', width: 2.6 },
      { key: 'open_findings', width: 0.8 },
      { key: 'accepted_findings', width: 0.8 },
      { key: 'resources_evaluated', width: 0.9 },
    ],
    filters: ComplianceFilterFields,
    async *rows(source, filters) {
      const f = filters as ComplianceFiltersT;
      const rows = (await findings.controlScores(source.tenantId))
        .filter((c) => (!f.framework || c.framework === f.framework) && (!f.status || f.status.includes(c.status)))
        .map((c) => ({
          framework: c.framework,
          framework_name: frameworkById(c.framework)?.name ?? c.framework,
          control: c.control,
          title: c.title,
          status: c.status,
          rule_ids: c.rule_ids,
          open_findings: c.open_findings,
          accepted_findings: c.accepted_findings,
          resources_evaluated: c.resources_evaluated,
        }));
      if (rows.length > 0) yield rows;
    },
  };
}

function StringEnumList() {
  return {
    type: 'array' as const,
    items: StringEnum(TAGGING_STATUSES),
    minItems: 1,
    maxItems: TAGGING_STATUSES.length,
    examples: [['non_compliant']],
  } as unknown as TSchema;
}
