/** Tenants: what the API can do with organisations, in domain words. */
import { type TenantScope, tenantScope } from '../../platform/auth/principal.ts';
import { type RequestContext, systemContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/index.ts';
import type { Invalidations } from '../../platform/db/invalidation.ts';
import type { TenantRow } from '../../platform/db/schema.ts';
import { isUniqueViolation } from '../../platform/db/sql.ts';
import { badRequest, conflict, forbidden, notFound } from '../../platform/errors.ts';
import { enumList } from '../../platform/http/list-filters.ts';
import { type PageRequest, parseSort } from '../../platform/http/pagination.ts';
import { newId } from '../../platform/ids.ts';
import type { JobInputStore } from '../../platform/jobs/inputs.ts';
import { type Clock, iso } from '../../platform/time.ts';
import { auditEntry, insertAuditEntry } from '../audit/store.ts';
import { normalizeEmail } from '../auth/store.ts';
import {
  type CreateTenantBodyT,
  type ListTenantsQueryT,
  PLAN_RATE_LIMITS,
  PLANS,
  type ReplaceTenantBodyT,
  TENANT_SORT_FIELDS,
  type TenantT,
  type UpdateTenantBodyT,
} from './schemas.ts';
import * as store from './store.ts';

export interface TenantServiceDeps {
  db: Db;
  clock: Clock;
  openSignup: boolean;
  /** Tenant ids the caller belongs to (users: memberships; API keys: their tenant). */
  tenantIdsOf: (ctx: RequestContext) => Promise<string[] | undefined>;
  /** A change or deletion drops the tenant from the API key cache, here and on other instances. */
  invalidations: Invalidations;
  /** Where jobs keep their inputs: a deleted tenant's go right after the deletion commits. */
  jobInputs?: Pick<JobInputStore, 'forget'>;
  /** Where reports keep their documents: a deleted tenant's go right after the deletion commits. */
  reportContents?: { forgetTenant(tenantId: string): Promise<void> };
  /** Reports what could not be cleaned up after a commit (the request has succeeded by then). */
  warn?: (obj: object, msg: string) => void;
}

export function toTenant(row: TenantRow): TenantT {
  const override = row.rate_limit_per_minute !== null && row.rate_limit_burst !== null;
  const plan = PLAN_RATE_LIMITS[row.plan];
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    plan: row.plan,
    rate_limit: override
      ? { per_minute: row.rate_limit_per_minute as number, burst: row.rate_limit_burst as number, source: 'override' }
      : { per_minute: plan.perMinute, burst: plan.burst, source: 'plan' },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function createTenantService(deps: TenantServiceDeps) {
  const { db, clock } = deps;

  const audit = (ctx: RequestContext, tenantId: string, action: `tenant.${string}`, summary: Record<string, unknown>) =>
    auditEntry(ctx, tenantId, { type: 'tenant', id: tenantId }, action, summary, iso(clock()));

  /** Inserts a new tenant and its owner's membership (none when `ownerOf` gives null), in one transaction. */
  async function insertWithOwner(
    ctx: RequestContext,
    body: CreateTenantBodyT,
    ownerOf: (tx: Executor) => Promise<string | null>,
    summary: Record<string, unknown>,
  ): Promise<TenantRow> {
    const now = iso(clock());
    const row: TenantRow = {
      id: newId('tenant'),
      slug: body.slug,
      name: body.name,
      plan: body.plan ?? 'free',
      rate_limit_per_minute: null,
      rate_limit_burst: null,
      inventory_version: 0,
      created_at: now,
      updated_at: now,
    };
    await db.transaction().execute(async (tx) => {
      if (await store.slugTaken(tx, body.slug)) throw slugConflict(body.slug);
      const ownerId = await ownerOf(tx);
      await insertTenant(tx, row);
      // Whoever creates a tenant owns it, so it is never left without an owner (the operator CLI may name none).
      if (ownerId) {
        await tx
          .insertInto('memberships')
          .values({
            id: newId('membership'),
            tenant_id: row.id,
            user_id: ownerId,
            role: 'owner',
            created_at: now,
            updated_at: now,
          })
          .execute();
      }
      await insertAuditEntry(tx, audit(ctx, row.id, 'tenant.created', { slug: row.slug, plan: row.plan, ...summary }));
    });
    return row;
  }

  const isPlatformAdmin = (ctx: RequestContext) => ctx.principal?.kind === 'user' && ctx.principal.isPlatformAdmin;

  return {
    async list(ctx: RequestContext, query: ListTenantsQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, TENANT_SORT_FIELDS, 'created_at');
      const ids = isPlatformAdmin(ctx) ? undefined : ((await deps.tenantIdsOf(ctx)) ?? []);
      const { rows, total } = await store.listTenantRows(
        db,
        { ids, plans: enumList(query.plan, PLANS, 'plan', 'plan'), q: query.q },
        sort,
        page.perPage,
        page.offset,
      );
      return { items: rows.map(toTenant), total };
    },

    async create(ctx: RequestContext, body: CreateTenantBodyT): Promise<TenantT> {
      const p = ctx.principal;
      if (p?.kind !== 'user') throw forbidden('Only people can create tenants; API keys belong to one tenant');
      if (!p.isPlatformAdmin && !deps.openSignup) throw forbidden('Only platform admins can create tenants');
      if (body.plan !== undefined && body.plan !== 'free' && !p.isPlatformAdmin) {
        throw forbidden('Only platform admins can choose a paid plan');
      }
      return toTenant(await insertWithOwner(ctx, body, async () => p.id, {}));
    },

    /** For the operator CLI: no caller, optionally an existing user as owner. */
    async createAsOperator(body: CreateTenantBodyT, ownerEmail?: string): Promise<TenantT> {
      if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(body.slug)) {
        throw badRequest('slug must be 2–63 lowercase letters, digits or dashes, starting with a letter or digit');
      }
      const ownerOf = async (tx: Executor) => {
        if (!ownerEmail) return null;
        const owner = await tx
          .selectFrom('users')
          .select('id')
          .where('email', '=', normalizeEmail(ownerEmail))
          .executeTakeFirst();
        if (!owner) throw notFound('user', ownerEmail);
        return owner.id;
      };
      return toTenant(await insertWithOwner(systemContext, body, ownerOf, { via: 'cli' }));
    },

    /** A tenant scope with full rights, for operator tooling (CLI, seeding) that has no caller. */
    async operatorScope(idOrSlug: string): Promise<TenantScope> {
      const row = await store.findTenantByIdOrSlug(db, idOrSlug);
      if (!row) throw notFound('tenant', idOrSlug);
      return tenantScope(row, 'owner');
    },

    async get(scope: TenantScope): Promise<TenantT> {
      // The access-control hook read this row for this very request.
      return toTenant(scope.row);
    },

    async update(
      ctx: RequestContext,
      scope: TenantScope,
      body: UpdateTenantBodyT | ReplaceTenantBodyT,
    ): Promise<TenantT> {
      const billing = body.plan !== undefined || ('rate_limit' in body && body.rate_limit !== undefined);
      const result = await db.transaction().execute(async (tx) => {
        // Locked first, so concurrent changes apply one after the other, each on top of the last.
        if (!(await store.lockTenantRow(tx, scope.id))) throw notFound('tenant', scope.slug);
        const current = await store.findTenantByIdOrSlug(tx, scope.id);
        if (!current) throw notFound('tenant', scope.slug);
        const changesBilling =
          billing &&
          ((body.plan !== undefined && body.plan !== current.plan) ||
            ('rate_limit' in body && body.rate_limit !== undefined));
        // Plans and rate limits are the operator's decision, not the tenant's.
        if (changesBilling && !isPlatformAdmin(ctx)) {
          throw forbidden('Only platform admins can change a tenant plan or rate limit');
        }
        if (
          body.slug !== undefined &&
          body.slug !== current.slug &&
          (await store.slugTaken(tx, body.slug, current.id))
        ) {
          throw slugConflict(body.slug);
        }
        const next: TenantRow = {
          ...current,
          slug: body.slug ?? current.slug,
          name: body.name ?? current.name,
          plan: body.plan ?? current.plan,
          updated_at: iso(clock()),
        };
        if ('rate_limit' in body && body.rate_limit !== undefined) {
          const limit = body.rate_limit;
          // Merged into the limit in force (the override, else the plan's); the plan is the new one if it changes.
          const inForce = toTenant(current).rate_limit;
          const plan = PLAN_RATE_LIMITS[next.plan];
          const merged = (given: number | null | undefined, now: number, ofPlan: number) =>
            given === undefined ? now : (given ?? ofPlan);
          next.rate_limit_per_minute = limit ? merged(limit.per_minute, inForce.per_minute, plan.perMinute) : null;
          next.rate_limit_burst = limit ? merged(limit.burst, inForce.burst, plan.burst) : null;
        }
        const changed = Object.fromEntries(
          (['slug', 'name', 'plan', 'rate_limit_per_minute', 'rate_limit_burst'] as const)
            .filter((k) => next[k] !== current[k])
            .map((k) => [k, { from: current[k], to: next[k] }]),
        );
        // Nothing differs: no write, no new updated_at, no audit entry.
        if (Object.keys(changed).length === 0) return { next: current };
        await deps.invalidations.publish(tx, 'tenant', current.id);
        await store
          .updateTenantRow(tx, current.id, {
            slug: next.slug,
            name: next.name,
            plan: next.plan,
            rate_limit_per_minute: next.rate_limit_per_minute,
            rate_limit_burst: next.rate_limit_burst,
            updated_at: next.updated_at,
          })
          .catch((e) => {
            // A concurrent rename to the same slug committed first.
            throw isUniqueViolation(e) ? slugConflict(next.slug) : e;
          });
        await insertAuditEntry(tx, audit(ctx, current.id, 'tenant.updated', { changed }));
        return { next };
      });
      return toTenant(result.next);
    },

    async remove(ctx: RequestContext, scope: TenantScope): Promise<void> {
      // Everything the tenant owns goes with it: foreign keys cascade, all in one transaction.
      const jobIds = await db.transaction().execute(async (tx) => {
        // Inputs kept outside the database (SQLite: files) of jobs that have not ended; ended jobs' are gone.
        const live = await store.liveJobIds(tx, scope.id);
        const deleted = await store.deleteTenantRow(tx, scope.id);
        if (deleted === 0) throw notFound('tenant', scope.slug);
        await deps.invalidations.publish(tx, 'tenant', scope.id);
        // The tenant's own audit log goes with it; keep a platform-level record of the deletion.
        await insertAuditEntry(
          tx,
          auditEntry(ctx, null, { type: 'tenant', id: scope.id }, 'tenant.deleted', { slug: scope.slug }, iso(clock())),
        );
        return live;
      });
      // Raw inputs (Terraform states may hold secrets) should not wait for the daily sweep, the safety net.
      if (jobIds.length > 0 && deps.jobInputs) {
        await deps.jobInputs.forget(jobIds).catch((err) => {
          deps.warn?.(
            { err, tenant: scope.id, jobs: jobIds.length },
            'could not delete the job inputs of a deleted tenant',
          );
        });
      }
      await deps.reportContents?.forgetTenant(scope.id).catch((err) => {
        deps.warn?.({ err, tenant: scope.id }, 'could not delete the report documents of a deleted tenant');
      });
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;

const slugConflict = (slug: string) =>
  conflict(`A tenant with slug "${slug}" already exists`, [{ path: 'body.slug', message: 'is already taken' }]);

/** Inserts the tenant; a concurrent create of the same slug that got there first is the pre-check's 409. */
const insertTenant = (tx: Executor, row: TenantRow) =>
  store.insertTenant(tx, row).catch((e) => {
    throw isUniqueViolation(e) ? slugConflict(row.slug) : e;
  });
