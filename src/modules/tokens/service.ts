/** API keys (service accounts): a description, a role, an expiry; the secret is shown once. */

import { generateCredentials } from '../../platform/auth/credentials.ts';
import { mayManageRoles, ROLES, type Role, roleAtLeast, roleRank } from '../../platform/auth/roles.ts';
import type { TenantContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/index.ts';
import type { Invalidations } from '../../platform/db/invalidation.ts';
import type { ApiKeyRow } from '../../platform/db/schema.ts';
import { badRequest, forbidden, notFound } from '../../platform/errors.ts';
import { enumList } from '../../platform/http/list-filters.ts';
import { type PageRequest, parseSort } from '../../platform/http/pagination.ts';
import { newId } from '../../platform/ids.ts';
import { type Clock, iso } from '../../platform/time.ts';
import { auditEntry, insertAuditEntry } from '../audit/store.ts';
import {
  API_KEY_SORT_FIELDS,
  API_KEY_STATUSES,
  type ApiKeyT,
  type CreateApiKeyBodyT,
  type ListApiKeysQueryT,
  MAX_KEY_LIFETIME_DAYS,
} from './schemas.ts';
import * as store from './store.ts';

export function toApiKey(row: ApiKeyRow, now: string): ApiKeyT {
  return {
    id: row.id,
    client_id: row.client_id,
    description: row.description,
    role: row.role,
    created_at: row.created_at,
    created_by: row.created_by,
    expires_at: row.expires_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
    status: row.revoked_at ? 'revoked' : row.expires_at && row.expires_at <= now ? 'expired' : 'active',
  };
}

export function createApiKeyService(deps: { db: Db; clock: Clock; invalidations: Invalidations }) {
  const { db, clock } = deps;
  return {
    async create(ctx: TenantContext, body: CreateApiKeyBodyT) {
      const now = clock();
      const ways = [body.expires_at !== undefined, body.expires_in_days !== undefined, body.never_expires === true];
      if (ways.filter(Boolean).length !== 1) {
        throw badRequest('Choose exactly one of expires_at, expires_in_days or never_expires: true', [
          { path: 'body', message: 'needs exactly one of expires_at, expires_in_days, never_expires' },
        ]);
      }
      let expiresAt: string | null = null;
      if (body.expires_at !== undefined) {
        const t = Date.parse(body.expires_at);
        if (!(t > now.getTime())) {
          throw badRequest('expires_at must be in the future', [
            { path: 'body.expires_at', message: 'must be in the future' },
          ]);
        }
        if (t > now.getTime() + MAX_KEY_LIFETIME_DAYS * 86_400_000) {
          throw badRequest(`expires_at must be within ${MAX_KEY_LIFETIME_DAYS} days; or choose never_expires: true`, [
            { path: 'body.expires_at', message: `must be at most ${MAX_KEY_LIFETIME_DAYS} days away` },
          ]);
        }
        expiresAt = new Date(t).toISOString();
      } else if (body.expires_in_days !== undefined) {
        expiresAt = new Date(now.getTime() + body.expires_in_days * 86_400_000).toISOString();
      }
      // A key is never more powerful than whoever made it.
      if (!roleAtLeast(ctx.tenant.role, body.role)) {
        throw forbidden(`You cannot create a key with the ${body.role} role; yours is ${ctx.tenant.role}`);
      }
      const creds = generateCredentials();
      const row: ApiKeyRow = {
        id: newId('apiKey'),
        tenant_id: ctx.tenant.id,
        client_id: creds.clientId,
        secret_hash: creds.secretHash,
        description: body.description,
        role: body.role as Role,
        created_by: ctx.principal?.id ?? null,
        created_at: iso(now),
        expires_at: expiresAt,
        last_used_at: null,
        revoked_at: null,
      };
      await db.transaction().execute(async (tx) => {
        await store.insertApiKey(tx, row);
        await insertAuditEntry(
          tx,
          keyAuditOf(
            ctx,
            row.id,
            'api_key.created',
            { client_id: row.client_id, role: row.role, description: row.description, expires_at: expiresAt },
            row.created_at,
          ),
        );
      });
      return { ...toApiKey(row, iso(now)), secret_key: creds.secretKey, token: creds.token };
    },

    async list(ctx: TenantContext, query: ListApiKeysQueryT, page: PageRequest) {
      const now = iso(clock());
      const sort = parseSort(query.sort, API_KEY_SORT_FIELDS, '-created_at');
      const { rows, total } = await store.listApiKeyRows(
        db,
        ctx.tenant.id,
        {
          roles: enumList(query.role, ROLES, 'role', 'role'),
          states: enumList(query.status, API_KEY_STATUSES, 'status', 'API key status'),
          now,
        },
        sort,
        page.perPage,
        page.offset,
      );
      return { items: rows.map((r) => toApiKey(r, now)), total };
    },

    async get(ctx: TenantContext, id: string) {
      const row = await store.findApiKey(db, ctx.tenant.id, id);
      if (!row) throw notFound('API key', id);
      return toApiKey(row, iso(clock()));
    },

    async revoke(ctx: TenantContext, id: string) {
      await db.transaction().execute(async (tx) => {
        const row = await store.findApiKey(tx, ctx.tenant.id, id);
        if (!row) throw notFound('API key', id);
        if (!mayManageRoles(ctx.tenant.role, row.role)) throw forbidden('Only owners can revoke owner keys');
        if (row.revoked_at) return; // revoking twice changes nothing
        const at = iso(clock());
        // Revoked meanwhile by a concurrent request: nothing changes here either (no audit entry).
        if (!(await store.revokeApiKeyRow(tx, row.id, at))) return;
        await deps.invalidations.publish(tx, 'api_key', row.id);
        await insertAuditEntry(tx, keyAuditOf(ctx, row.id, 'api_key.revoked', { client_id: row.client_id }, at));
      });
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;

/**
 * A key acts with its creator's authority, so it follows the creator's standing in the tenant
 * (keys made by those keys too). Called inside the transaction that changes the membership; the
 * key cache drops each changed key here at once and, on PostgreSQL, everywhere on commit.
 * Keys without a creator (operator, CLI) are never reached.
 */
export interface CreatorChange {
  tx: Executor;
  invalidations: Invalidations;
  ctx: TenantContext;
  at: string;
  /** The user whose membership changed. */
  creatorId: string;
  /** Why, in the audit log (`summary.reason`). */
  reason: string;
}

/** Revokes every live key the creator made in the tenant; returns how many. */
export async function revokeKeysOfCreator(c: CreatorChange): Promise<number> {
  const rows = (await store.apiKeysDescendingFrom(c.tx, c.ctx.tenant.id, c.creatorId)).filter((r) => !r.revoked_at);
  let revoked = 0;
  for (const row of rows) {
    // A key revoked meanwhile (its own DELETE) is left as it is.
    if (!(await store.revokeApiKeyRow(c.tx, row.id, c.at))) continue;
    revoked++;
    await c.invalidations.publish(c.tx, 'api_key', row.id);
    await insertAuditEntry(c.tx, keyAudit(c, row, 'api_key.revoked', { client_id: row.client_id, reason: c.reason }));
  }
  return revoked;
}

/** Lowers to `role` every live key the creator made in the tenant whose role is above it; returns how many. */
export async function capKeysOfCreator(c: CreatorChange, role: Role): Promise<number> {
  const rows = (await store.apiKeysDescendingFrom(c.tx, c.ctx.tenant.id, c.creatorId)).filter(
    (r) => !r.revoked_at && roleRank(r.role) > roleRank(role),
  );
  for (const row of rows) {
    await store.setApiKeyRole(c.tx, row.id, role);
    await c.invalidations.publish(c.tx, 'api_key', row.id);
    await insertAuditEntry(
      c.tx,
      keyAudit(c, row, 'api_key.role_changed', {
        client_id: row.client_id,
        from: row.role,
        to: role,
        reason: c.reason,
      }),
    );
  }
  return rows.length;
}

/** The audit entry for what the request did to key `id`. */
const keyAuditOf = (
  ctx: TenantContext,
  id: string,
  action: `api_key.${string}`,
  summary: Record<string, unknown>,
  at: string,
) => auditEntry(ctx, ctx.tenant.id, { type: 'api_key', id }, action, summary, at);

const keyAudit = (c: CreatorChange, row: ApiKeyRow, action: `api_key.${string}`, summary: Record<string, unknown>) =>
  keyAuditOf(c.ctx, row.id, action, summary, c.at);
