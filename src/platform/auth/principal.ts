/** Who is calling. Resolved once per request by the auth plugin. */
import type { TenantRow } from '../db/schema.ts';
import type { Role } from './roles.ts';

export type Principal = UserPrincipal | ApiKeyPrincipal;

export interface UserPrincipal {
  kind: 'user';
  id: string;
  email: string;
  isPlatformAdmin: boolean;
  /** The sign-in the access token belongs to (revoking it stops the token). */
  sessionId: string;
  /** The password is one someone else was shown: nothing but changing it (and /auth/me) is allowed. */
  passwordChangeRequired: boolean;
  /** When the credential presented expires (access token exp). */
  expiresAt: string | null;
}

export interface ApiKeyPrincipal {
  kind: 'api_key';
  /** The key's id (`key_…`). */
  id: string;
  clientId: string;
  tenantId: string;
  role: Role;
  expiresAt: string | null;
  /** The key's tenant as read with the key (one query authenticates and scopes a key). */
  tenant: TenantRow;
}

/** The tenant a tenant-scoped request works in, and the caller's role there. */
export interface TenantScope {
  id: string;
  slug: string;
  plan: 'free' | 'pro' | 'enterprise';
  role: Role;
  rateLimit: { perMinute: number; burst: number } | null;
  /**
   * The tenant row. For an API key it may come from the key cache: slug, name,
   * plan and limits are current (changes invalidate it), `inventory_version`
   * is not (ingests bump it from other processes): read that from the database.
   */
  row: TenantRow;
}

/** The scope of a tenant row for a caller with `role`; the plan's limits apply unless the row overrides both. */
export function tenantScope(row: TenantRow, role: Role): TenantScope {
  return {
    row,
    id: row.id,
    slug: row.slug,
    plan: row.plan,
    role,
    rateLimit:
      row.rate_limit_per_minute !== null && row.rate_limit_burst !== null
        ? { perMinute: row.rate_limit_per_minute, burst: row.rate_limit_burst }
        : null,
  };
}

/** Actor fields for the audit log. */
export function actorOf(p: Principal | null): { actor_type: 'user' | 'api_key' | 'system'; actor_id: string | null } {
  if (!p) return { actor_type: 'system', actor_id: null };
  return { actor_type: p.kind, actor_id: p.id };
}
