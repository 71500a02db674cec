/** The audit log: who did what to members, keys, policies and tenant settings. */
import { sql } from 'kysely';
import { actorOf } from '../../platform/auth/principal.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { AuditLogRow } from '../../platform/db/schema.ts';
import { offsetPage, sortTerm } from '../../platform/db/sql.ts';
import type { SortField } from '../../platform/http/pagination.ts';
import { newId } from '../../platform/ids.ts';

/** What an entry can be about; `?target_type=` accepts these (comma = any of). */
export const AUDIT_TARGET_TYPES = [
  'api_key',
  'finding',
  'job',
  'member',
  'report',
  'tagging_policy',
  'tenant',
  'user',
  'webhook',
] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export interface AuditEntry {
  tenant_id: string | null;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: string | null;
  action: string;
  target_type: AuditTargetType | null;
  target_id: string | null;
  summary?: Record<string, unknown> | null;
  request_id: string | null;
  ip: string | null;
  created_at: string;
}

/**
 * The entry for `action` (`<target type>.<verb>`) done by the request's principal to one target: actor,
 * request id and client IP come from `ctx`. `tenantId` null is a platform-level entry.
 */
export function auditEntry(
  ctx: RequestContext,
  tenantId: string | null,
  target: { type: AuditTargetType; id: string },
  action: `${AuditTargetType}.${string}`,
  summary: Record<string, unknown>,
  at: string,
): AuditEntry {
  return {
    tenant_id: tenantId,
    ...actorOf(ctx.principal),
    action,
    target_type: target.type,
    target_id: target.id,
    summary,
    request_id: ctx.requestId,
    ip: ctx.ip,
    created_at: at,
  };
}

export async function insertAuditEntry(db: Executor, e: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ ...e, id: newId('audit'), summary: e.summary ? JSON.stringify(e.summary) : null })
    .execute();
}

export async function listAuditRows(
  db: Executor,
  tenantId: string,
  filter: { actors?: string[]; actions?: string[]; targetTypes?: readonly string[]; since?: string },
  sort: SortField<'created_at'>[],
  limit: number,
  offset: number,
): Promise<{ rows: AuditLogRow[]; total: number }> {
  let base = db.selectFrom('audit_log').where('tenant_id', '=', tenantId);
  if (filter.actors) base = base.where('actor_id', 'in', filter.actors);
  if (filter.actions) {
    const exact = filter.actions.filter((a) => !a.endsWith('.*'));
    const prefixes = filter.actions.filter((a) => a.endsWith('.*')).map((a) => a.slice(0, -1));
    // A prefix compares the action's first characters exactly, not with LIKE: `_` in `api_key.` would be a
    // wildcard there, and LIKE ignores case on SQLite but not on PostgreSQL.
    base = base.where((eb) =>
      eb.or([
        ...(exact.length ? [eb('action', 'in', exact)] : []),
        ...prefixes.map((p) => eb(sql<string>`substr(action, 1, ${sql.lit(p.length)})`, '=', p)),
      ]),
    );
  }
  if (filter.targetTypes) base = base.where('target_type', 'in', [...filter.targetTypes]);
  if (filter.since) base = base.where('created_at', '>=', filter.since);
  const order = [...sort.map((s) => sortTerm(db, s.field, s.desc)), sortTerm(db, 'id', sort[0]?.desc ?? false, true)];
  return offsetPage(base, base.selectAll(), order, { limit, offset });
}
