/**
 * Identity: who is calling (authenticate), what they may see (scopeFor), and
 * the OAuth-style token grants (password, client_credentials, refresh with
 * rotation and reuse detection, RFC 9700 §4.14).
 */

import {
  clientIdLooksValid,
  generateRefreshToken,
  hashSecret,
  isKeyToken,
  parseKeyToken,
  secretLooksValid,
  secretMatches,
} from '../../platform/auth/credentials.ts';
import type { Jwt } from '../../platform/auth/jwt.ts';
import {
  decoyPasswordHash,
  generatePassword,
  hashPassword,
  passwordProblem,
  verifyPassword,
} from '../../platform/auth/passwords.ts';
import {
  type ApiKeyPrincipal,
  type Principal,
  type TenantScope,
  tenantScope,
  type UserPrincipal,
} from '../../platform/auth/principal.ts';
import type { PasswordAttempt } from '../../platform/auth/sign-in-throttle.ts';
import { type RequestContext, systemContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/index.ts';
import type { Invalidations } from '../../platform/db/invalidation.ts';
import type { ApiKeyRow, TenantRow } from '../../platform/db/schema.ts';
import { flag, isUniqueViolation } from '../../platform/db/sql.ts';
import { AppError, badRequest, conflict, forbidden, notFound, unauthorized } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { addSeconds, type Clock, iso } from '../../platform/time.ts';
import { auditEntry, insertAuditEntry } from '../audit/store.ts';
import { findApiKeyWithTenant, markApiKeyUsed } from '../tokens/store.ts';
import * as store from './store.ts';

export interface AuthServiceDeps {
  db: Db;
  invalidations: Invalidations;
  /** Upper bound on how long a verified API key is served from memory (invalidation normally comes first). */
  keyCacheTtlMs?: number;
  clock: Clock;
  jwt: Jwt;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

export interface TokenGrant {
  grant_type: 'password' | 'client_credentials';
  email?: string;
  password?: string;
  client_id?: string;
  client_secret?: string;
  scope?: string;
}

/** Counts a password check for an email (platform/auth/sign-in-throttle.ts, bound to the client's address). */
export type PasswordAttempts = (email: string) => Promise<PasswordAttempt>;

export interface PasswordChange {
  current_password: string;
  new_password: string;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

type Headers = Record<string, string | string[] | undefined>;

const header = (h: Headers, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

const MISSING = 'Missing credentials: send "Authorization: Bearer <token>" or the x-client-id and x-secret-key headers';
const BAD_LOGIN = 'Invalid email or password';
const BAD_CLIENT = 'Invalid client credentials';
// Resource routes take Bearer only (Basic is for the token endpoint): RFC 6750 §3.1, no error code for
// an unsupported scheme.
const bearerOnly = () =>
  new AppError('UNAUTHORIZED', 'Authorization header must be "Bearer <token>"', null, {
    headers: { 'www-authenticate': 'Bearer realm="infracast"' },
  });
// last_used_at is for humans auditing keys; one write a minute per key is plenty and keeps reads cheap.
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

export function createAuthService(deps: AuthServiceDeps) {
  const { db, clock, jwt } = deps;
  const lastUsedWrites = new Map<string, number>();
  const keys = createKeyCache(deps.invalidations, deps.keyCacheTtlMs ?? 60_000);
  const keyScopes = new WeakMap<ApiKeyPrincipal, TenantScope>();

  function touchKey(key: ApiKeyRow): void {
    const now = clock();
    const last = lastUsedWrites.get(key.id) ?? 0;
    if (now.getTime() - last < LAST_USED_WRITE_INTERVAL_MS) return;
    lastUsedWrites.set(key.id, now.getTime());
    // Not awaited: the request does not wait for bookkeeping (on SQLite the write may queue behind a
    // discovery job's). A failure only leaves last_used_at a minute older.
    markApiKeyUsed(db, key.id, iso(now)).catch(() => lastUsedWrites.delete(key.id));
  }

  /** Checks a key row is usable now; the messages say why not (expired vs revoked vs invalid). */
  function assertKeyUsable(key: ApiKeyRow): void {
    if (key.revoked_at) throw unauthorized(`API key ${key.client_id} was revoked at ${key.revoked_at}`);
    if (key.expires_at && key.expires_at <= iso(clock())) {
      throw unauthorized(`API key ${key.client_id} expired at ${key.expires_at}`);
    }
  }

  type KeyWithTenant = ApiKeyRow & { tenant: TenantRow };

  function keyPrincipal(key: KeyWithTenant): ApiKeyPrincipal {
    return {
      kind: 'api_key',
      id: key.id,
      clientId: key.client_id,
      tenantId: key.tenant_id,
      role: key.role,
      expiresAt: key.expires_at,
      tenant: key.tenant,
    };
  }

  async function verifyClientSecret(clientId: string, secret: string, message: string): Promise<CachedKey> {
    const cached = keys.byClientId(clientId);
    if (cached) {
      // The cached row holds the secret's hash, never the secret: it is checked on every request.
      if (!secretMatches(secret, cached.secretHash)) throw unauthorized(message);
      if (cached.expiresAtMs !== null && cached.expiresAtMs <= clock().getTime()) assertKeyUsable(cached.key);
      return cached;
    }
    // Shape and checksum first: typos and garbage never reach the database.
    if (!clientIdLooksValid(clientId) || !secretLooksValid(secret)) throw unauthorized(message);
    const generation = keys.generation();
    const key = await findApiKeyWithTenant(db, 'client_id', clientId);
    if (!key || !secretMatches(secret, key.secret_hash)) throw unauthorized(message);
    assertKeyUsable(key);
    return keys.store(key, keyPrincipal(key), generation);
  }

  /** A key by id (access tokens minted by client_credentials name their key). */
  async function keyById(id: string): Promise<CachedKey | undefined> {
    const cached = keys.byId(id);
    if (cached) return cached;
    const generation = keys.generation();
    const key = await findApiKeyWithTenant(db, 'id', id);
    if (!key) return undefined;
    assertKeyUsable(key);
    return keys.store(key, keyPrincipal(key), generation);
  }

  async function authenticateApiKey(clientId: string, secret: string): Promise<ApiKeyPrincipal> {
    const { key, principal } = await verifyClientSecret(clientId, secret, 'Invalid API key');
    touchKey(key);
    return principal;
  }

  async function issueAccessToken(
    principal:
      | { kind: 'user'; userId: string; admin: boolean; sessionId: string }
      | { kind: 'api_key'; key: ApiKeyRow },
  ): Promise<{ token: string; expiresIn: number }> {
    const ttl =
      principal.kind === 'api_key' && principal.key.expires_at
        ? Math.max(
            1,
            Math.min(
              deps.accessTokenTtlSeconds,
              Math.floor((Date.parse(principal.key.expires_at) - clock().getTime()) / 1000),
            ),
          )
        : deps.accessTokenTtlSeconds;
    const claims =
      principal.kind === 'user'
        ? {
            sub: principal.userId,
            typ: 'user' as const,
            adm: principal.admin,
            mem: (await store.membershipsOfUser(db, principal.userId)).map((m) => ({ t: m.tenant_id, r: m.role })),
            sid: principal.sessionId,
            jti: newId('request'),
          }
        : {
            sub: principal.key.id,
            typ: 'api_key' as const,
            tid: principal.key.tenant_id,
            role: principal.key.role,
            jti: newId('request'),
          };
    return { token: await jwt.sign(claims, ttl, clock()), expiresIn: ttl };
  }

  /** Tokens for a user in a session: an access token naming it and the session's next refresh token. */
  async function issueUserTokens(user: { id: string; is_platform_admin: number }, sessionId: string) {
    const access = await issueAccessToken({
      kind: 'user',
      userId: user.id,
      admin: flag(user.is_platform_admin),
      sessionId,
    });
    return {
      access_token: access.token,
      token_type: 'Bearer' as const,
      expires_in: access.expiresIn,
      refresh_token: await newRefreshToken(user.id, sessionId),
    };
  }

  async function newRefreshToken(userId: string, familyId: string): Promise<string> {
    const { token, hash } = generateRefreshToken();
    const now = clock();
    await store.insertRefreshToken(db, {
      id: newId('refreshToken'),
      family_id: familyId,
      user_id: userId,
      token_hash: hash,
      created_at: iso(now),
      expires_at: iso(addSeconds(now, deps.refreshTokenTtlSeconds)),
    });
    return token;
  }

  return {
    async authenticate(headers: Headers): Promise<Principal> {
      const clientId = header(headers, 'x-client-id');
      const secretKey = header(headers, 'x-secret-key');
      const authorization = header(headers, 'authorization');
      if (clientId !== undefined || secretKey !== undefined) {
        // One credential per request (RFC 6750 §2): with two, whichever won would act and be audited.
        if (authorization !== undefined) {
          throw badRequest('Send one credential: the Authorization header or x-client-id and x-secret-key, not both');
        }
        if (!clientId || !secretKey) throw unauthorized('Send both x-client-id and x-secret-key');
        return authenticateApiKey(clientId, secretKey);
      }
      if (!authorization) throw unauthorized(MISSING);
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!m) {
        if (/^Bearer(\s|$)/i.test(authorization)) throw unauthorized('Authorization header must be "Bearer <token>"');
        throw bearerOnly();
      }
      const token = m[1] as string;
      if (isKeyToken(token)) {
        const parts = parseKeyToken(token);
        if (!parts) throw unauthorized('Invalid API key');
        return authenticateApiKey(parts.clientId, parts.secretKey);
      }
      const verified = await jwt.verify(token, clock());
      if ('error' in verified) {
        throw unauthorized(verified.error === 'expired' ? 'Access token expired' : 'Invalid or expired token');
      }
      const c = verified.claims;
      if (c.typ === 'api_key') {
        // A token minted by client_credentials is only as good as its key: revocation applies at once.
        const found = await keyById(c.sub);
        if (!found) throw unauthorized('Invalid or expired token');
        assertKeyUsable(found.key);
        touchKey(found.key);
        return { ...found.principal, expiresAt: new Date(c.exp * 1000).toISOString() };
      }
      // A user's token is only as good as its session: revoking that (refresh token reuse, a password
      // change) stops it at once. The session is read with the user, as the user always was: no cache.
      if (!c.sid) throw unauthorized('Invalid or expired token');
      const user = await store.findUserInSession(db, c.sub, c.sid);
      if (!user || user.disabled_at) throw unauthorized('Invalid or expired token');
      if (user.session_revoked_at) throw unauthorized('This session has been revoked; sign in again');
      const principal: UserPrincipal = {
        kind: 'user',
        id: user.id,
        email: user.email,
        isPlatformAdmin: flag(user.is_platform_admin),
        sessionId: c.sid,
        passwordChangeRequired: flag(user.password_change_required),
        expiresAt: new Date(c.exp * 1000).toISOString(),
      };
      return principal;
    },

    /**
     * The tenant a request addresses and the caller's role in it. Callers who
     * are not members (or keys of another tenant) get NOT_FOUND, exactly as if
     * the tenant did not exist: a 403 would confirm that the slug exists.
     */
    async scopeFor(principal: Principal, idOrSlug: string): Promise<TenantScope> {
      if (principal.kind === 'api_key') {
        // A key belongs to one tenant, read with the key itself: no second query.
        const t = principal.tenant;
        if (t.slug !== idOrSlug && t.id !== idOrSlug) throw notFound('tenant', idOrSlug);
        // A cached key's principal is reused across requests; so is its scope.
        let scope = keyScopes.get(principal);
        if (!scope) {
          scope = tenantScope(t, principal.role);
          keyScopes.set(principal, scope);
        }
        return scope;
      }
      const found = await store.tenantWithRole(db, idOrSlug, principal.id);
      if (!found) throw notFound('tenant', idOrSlug);
      const { member_role, ...row } = found;
      const role = principal.isPlatformAdmin ? 'owner' : member_role;
      if (!role) throw notFound('tenant', idOrSlug);
      return tenantScope(row, role);
    },

    async tenantIdsOf(ctx: RequestContext): Promise<string[] | undefined> {
      const p = ctx.principal;
      if (!p) return [];
      if (p.kind === 'api_key') return [p.tenantId];
      if (p.isPlatformAdmin) return undefined;
      return (await store.membershipsOfUser(db, p.id)).map((m) => m.tenant_id);
    },

    /** `attempts` counts password checks (only failures stay counted); client_credentials is not throttled. */
    async grant(body: TokenGrant, attempts: PasswordAttempts): Promise<IssuedToken> {
      if (body.grant_type === 'password') {
        // The same normalisation as when the user was added: " Ed@Acme.io " signs in as ed@acme.io.
        const email = body.email === undefined ? '' : store.normalizeEmail(body.email);
        if (!email || !body.password) {
          throw badRequest('The password grant needs email and password', [
            ...(email ? [] : [{ path: 'body.email', message: 'is required' }]),
            ...(body.password ? [] : [{ path: 'body.password', message: 'is required' }]),
          ]);
        }
        // Counted whether or not the account exists: a throttled unknown email looks like a known one.
        const attempt = await attempts(email);
        const user = await store.findUserByEmail(db, email);
        // Verify against a decoy when the email is unknown: same time, same answer.
        const ok = await verifyPassword(body.password, user?.password_hash ?? (await decoyPasswordHash()));
        if (!user || !ok || user.disabled_at) throw unauthorized(BAD_LOGIN);
        await attempt.succeeded();
        // A new sign-in is a new session; its id is also its refresh token family's.
        const sessionId = newId('refreshToken');
        await store.insertSession(db, { id: sessionId, user_id: user.id, created_at: iso(clock()) });
        return issueUserTokens(user, sessionId);
      }
      if (!body.client_id || !body.client_secret) {
        throw badRequest('The client_credentials grant needs client_id and client_secret', [
          ...(body.client_id ? [] : [{ path: 'body.client_id', message: 'is required' }]),
          ...(body.client_secret ? [] : [{ path: 'body.client_secret', message: 'is required' }]),
        ]);
      }
      const { key } = await verifyClientSecret(body.client_id, body.client_secret, BAD_CLIENT);
      touchKey(key);
      const access = await issueAccessToken({ kind: 'api_key', key });
      return {
        access_token: access.token,
        token_type: 'Bearer',
        expires_in: access.expiresIn,
        scope: `tenant:${key.tenant_id} role:${key.role}`,
      };
    },

    async refresh(refreshToken: string): Promise<IssuedToken> {
      const found = await store.findRefreshToken(db, hashSecret(refreshToken));
      const now = iso(clock());
      if (!found) throw unauthorized('Invalid refresh token');
      if (found.revoked_at || found.session_revoked_at) throw unauthorized('Refresh token has been revoked');
      if (found.expires_at <= now) throw unauthorized('Refresh token expired');
      const claimed = await store.claimRefreshToken(db, found.id, now);
      if (!claimed) {
        // Reuse of a rotated token means it leaked: revoke the whole session, access tokens included
        // (RFC 9700 §4.14).
        await db.transaction().execute((tx) => store.revokeSession(tx, found.family_id, now));
        throw unauthorized('Refresh token was already used; all tokens of this session have been revoked');
      }
      const user = await store.findUserById(db, found.user_id);
      if (!user || user.disabled_at) throw unauthorized('Invalid refresh token');
      // Tokens issued while the session was being revoked are refused on use (the session is checked).
      return issueUserTokens(user, found.family_id);
    },

    async me(principal: Principal) {
      if (principal.kind === 'api_key') {
        const tenant = await db
          .selectFrom('tenants')
          .select(['id', 'slug'])
          .where('id', '=', principal.tenantId)
          .executeTakeFirst();
        return {
          kind: 'api_key' as const,
          id: principal.id,
          client_id: principal.clientId,
          email: null,
          is_platform_admin: false,
          password_change_required: false,
          memberships: tenant ? [{ tenant_id: tenant.id, tenant_slug: tenant.slug, role: principal.role }] : [],
          expires_at: principal.expiresAt,
        };
      }
      const memberships = await store.membershipsOfUser(db, principal.id);
      return {
        kind: 'user' as const,
        id: principal.id,
        client_id: null,
        email: principal.email,
        is_platform_admin: principal.isPlatformAdmin,
        password_change_required: principal.passwordChangeRequired,
        memberships: memberships.map((m) => ({ tenant_id: m.tenant_id, tenant_slug: m.slug, role: m.role })),
        expires_at: principal.expiresAt,
      };
    },

    /**
     * Creates a user; without a password one is generated and returned (shown once), and must be
     * changed before the account can do anything else.
     */
    async createUser(input: { email: string; password?: string; name?: string; platformAdmin?: boolean }) {
      const email = store.normalizeEmail(input.email);
      if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw badRequest(`"${input.email}" is not an email address`);
      const generated = input.password === undefined;
      const password = input.password ?? generatePassword();
      const problem = passwordProblem(password);
      if (problem) throw badRequest(`Passwords ${problem}`);
      if (await store.findUserByEmail(db, email)) throw conflict(`A user with email ${email} already exists`);
      const now = iso(clock());
      const user = {
        id: newId('user'),
        email,
        name: input.name ?? null,
        password_hash: await hashPassword(password),
        is_platform_admin: input.platformAdmin ? 1 : 0,
        password_change_required: generated ? 1 : 0,
        created_at: now,
        updated_at: now,
        disabled_at: null,
      };
      await store.insertUser(db, user).catch((e) => {
        // Created meanwhile (the check above and the insert are apart by the password's hashing): as if found.
        throw isUniqueViolation(e) ? conflict(`A user with email ${email} already exists`) : e;
      });
      await insertAuditEntry(
        db,
        auditEntry(
          systemContext,
          null,
          { type: 'user', id: user.id },
          'user.created',
          { email, platform_admin: Boolean(input.platformAdmin) },
          now,
        ),
      );
      return { id: user.id, email, password, generated };
    },

    /**
     * A signed-in user replaces their password (the current one is required). Every other session of
     * theirs ends (refresh and access tokens), so whoever else knew the old password is signed out;
     * this one goes on. Wrong current passwords count as failed sign-ins.
     */
    async changePassword(ctx: RequestContext, body: PasswordChange, attempts: PasswordAttempts): Promise<void> {
      const principal = ctx.principal;
      if (principal?.kind !== 'user') throw forbidden('API keys have no password; sign in as a user to change yours');
      const problem = passwordProblem(body.new_password);
      if (problem) throw badRequest(`The new password ${problem}`, [{ path: 'body.new_password', message: problem }]);
      if (body.new_password === body.current_password) {
        throw badRequest('The new password must differ from the current one', [
          { path: 'body.new_password', message: 'is the current password' },
        ]);
      }
      const attempt = await attempts(principal.email);
      const user = await store.findUserById(db, principal.id);
      if (!user || !(await verifyPassword(body.current_password, user.password_hash))) {
        throw badRequest('The current password is wrong', [
          { path: 'body.current_password', message: 'is not your current password' },
        ]);
      }
      await attempt.succeeded();
      const passwordHash = await hashPassword(body.new_password);
      const now = iso(clock());
      await db.transaction().execute(async (tx) => {
        await store.updatePassword(tx, user.id, passwordHash, now);
        const revoked = await store.revokeOtherSessions(tx, user.id, principal.sessionId, now);
        await insertAuditEntry(
          tx,
          auditEntry(
            ctx,
            null,
            { type: 'user', id: user.id },
            'user.password_changed',
            { sessions_revoked: revoked, was_required: flag(user.password_change_required) },
            now,
          ),
        );
      });
    },

    /**
     * For the operator CLI: gives a user who cannot sign in (a forgotten password) a generated one, returned
     * to be handed over once. It must be changed at the next sign-in; every session of the user ends.
     */
    async resetPassword(email: string): Promise<{ id: string; email: string; password: string }> {
      const user = await store.findUserByEmail(db, store.normalizeEmail(email));
      if (!user) throw notFound('user', email);
      const password = generatePassword();
      const passwordHash = await hashPassword(password);
      const now = iso(clock());
      await db.transaction().execute(async (tx) => {
        await store.updatePassword(tx, user.id, passwordHash, now, true);
        const revoked = await store.revokeOtherSessions(tx, user.id, null, now);
        await insertAuditEntry(
          tx,
          auditEntry(
            systemContext,
            null,
            { type: 'user', id: user.id },
            'user.password_reset',
            {
              sessions_revoked: revoked,
              via: 'cli',
            },
            now,
          ),
        );
      });
      return { id: user.id, email: user.email, password };
    },

    /**
     * On an empty database, creates the first platform admin from
     * INFRACAST_ADMIN_EMAIL/PASSWORD (or with a generated password, returned
     * so it can be printed once). Does nothing when any user exists.
     */
    async bootstrapAdmin(admin: { email: string | null; password: string | null }) {
      if ((await store.countUsers(db)) > 0) return null;
      const email = admin.email ?? 'admin@localhost';
      try {
        return await this.createUser({ email, password: admin.password ?? undefined, platformAdmin: true });
      } catch (e) {
        // Another instance bootstrapped at the same moment.
        if (e instanceof AppError && e.code === 'CONFLICT') return null;
        throw e;
      }
    },

    /**
     * What the operator should know when INFRACAST_ADMIN_* no longer does anything: they only create the
     * first admin of an empty database, so a changed email or password there changes nothing (null: nothing
     * to say).
     */
    async adminSettingsNotice(admin: { email: string | null; password: string | null }): Promise<string | null> {
      if (admin.email === null) return null;
      const user = await store.findUserByEmail(db, admin.email);
      if (!user) {
        return `INFRACAST_ADMIN_EMAIL (${admin.email}) is not a user: the first admin is only created on an empty database; add users with \`infracast admin\` or the API`;
      }
      if (
        admin.password !== null &&
        !(user.password_hash && (await verifyPassword(admin.password, user.password_hash)))
      ) {
        return `INFRACAST_ADMIN_PASSWORD is not ${admin.email}'s password: it only sets the first admin's on an empty database and never changes it`;
      }
      return null;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

interface CachedKey {
  key: ApiKeyRow & { tenant: TenantRow };
  principal: ApiKeyPrincipal;
  /** `key.secret_hash` decoded once. */
  secretHash: Buffer;
  /** `key.expires_at` in ms, for the per-request check. */
  expiresAtMs: number | null;
  /** Served from memory until then at most (invalidations normally drop it first). */
  until: number;
}

/**
 * Verified API keys (row + tenant row, never the secret) kept in memory, so a
 * request with a known key costs a hash and a map lookup instead of a query.
 * Revocation, tenant changes and tenant deletion publish an invalidation that
 * drops the entry here at once and on other instances when it commits
 * (platform/db/invalidation.ts); while that channel is down nothing is served
 * from memory. Only usable keys are stored; expiry is checked on every use.
 */
function createKeyCache(invalidations: Invalidations, ttlMs: number, max = 10_000) {
  const byId = new Map<string, CachedKey>();
  const idByClientId = new Map<string, string>();
  const drop = (id: string) => {
    const entry = byId.get(id);
    if (!entry) return;
    byId.delete(id);
    idByClientId.delete(entry.key.client_id);
  };
  invalidations.subscribe((topic, id) => {
    if (topic === '*') {
      byId.clear();
      idByClientId.clear();
    } else if (topic === 'api_key') {
      drop(id);
    } else {
      for (const entry of [...byId.values()]) if (entry.key.tenant_id === id) drop(entry.key.id);
    }
  });
  const fresh = (entry: CachedKey | undefined): CachedKey | undefined => {
    if (!entry || !invalidations.live) return undefined;
    if (entry.until <= Date.now()) {
      drop(entry.key.id);
      return undefined;
    }
    return entry;
  };
  return {
    generation: () => invalidations.generation,
    byId: (id: string) => fresh(byId.get(id)),
    byClientId: (clientId: string) => {
      const id = idByClientId.get(clientId);
      return id === undefined ? undefined : fresh(byId.get(id));
    },
    /** Keeps a row read since `generation`, unless an invalidation came in meanwhile (it may be older). */
    store(key: CachedKey['key'], principal: ApiKeyPrincipal, generation: number): CachedKey {
      const entry: CachedKey = {
        key,
        principal,
        secretHash: Buffer.from(key.secret_hash, 'hex'),
        expiresAtMs: key.expires_at ? Date.parse(key.expires_at) : null,
        until: Date.now() + ttlMs,
      };
      if (!invalidations.live || invalidations.generation !== generation) return entry;
      if (byId.size >= max) drop(byId.keys().next().value as string);
      byId.set(key.id, entry);
      idByClientId.set(key.client_id, key.id);
      return entry;
    },
  };
}
