/**
 * `createTestApp()`: a built (not listening) app over a fresh database, with
 * seeding helpers for tenants, users with roles and API keys. Each test gets
 * its own database; everything is closed when the test ends.
 */
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { hashPassword } from '../../src/platform/auth/passwords.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { type Config, type DatabaseDialect, loadConfig } from '../../src/platform/config.ts';
import type { App } from '../../src/platform/http/types.ts';
import { newId } from '../../src/platform/ids.ts';
import type { RateLimiter } from '../../src/platform/ratelimit/limiter.ts';
import { createServices, type ServiceDeps, type Services } from '../../src/services.ts';
import { freshDatabase, type TestDatabase } from './db.ts';

export const TEST_PASSWORD = 'correct horse battery staple';
let passwordHash: Promise<string> | null = null;
// scrypt is deliberately slow; hash the shared test password once per process.
const testPasswordHash = () => {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  return passwordHash;
};

export interface TestAppOptions {
  dialect?: DatabaseDialect;
  env?: Record<string, string>;
  limiter?: RateLimiter;
  redis?: Redis | null;
  /** Reuse a database (e.g. two app instances over one database). */
  db?: TestDatabase;
  /** Capture log lines (JSON strings) instead of discarding them. */
  captureLogs?: boolean;
  /** Register extra routes before the app is ready (e.g. one that throws). */
  extend?: (app: App) => void;
  /** Discovery job tuning (batch sizes, pause between batches, thread threshold). */
  discovery?: ServiceDeps['discovery'];
  /** Findings evaluation tuning (`threadMinNodes: 0` evaluates every tenant in the worker thread). */
  findings?: ServiceDeps['findings'];
  /**
   * Outlive the test that made it (one app for a whole describe block, made in beforeAll): the caller
   * closes it with `close()` (in afterAll) instead of it closing when the test ends.
   */
  shared?: boolean;
}

export interface Caller {
  headers: { authorization: string };
  userId?: string;
  email?: string;
}

export interface TestApp {
  app: App;
  db: TestDatabase;
  services: Services;
  config: Config;
  logs: string[];
  /** A platform admin's bearer headers. */
  admin: Caller;
  createTenant(slug: string, plan?: 'free' | 'pro' | 'enterprise'): Promise<{ id: string; slug: string }>;
  /** A user with `role` in the tenant; returns bearer headers. */
  userWithRole(tenantSlug: string, role: Role, email?: string): Promise<Caller & { refreshToken: string }>;
  /** An API key with `role` in the tenant. */
  apiKey(
    tenantSlug: string,
    role: Role,
    opts?: { expiresInDays?: number },
  ): Promise<{ id: string; clientId: string; secretKey: string; token: string; headers: Record<string, string> }>;
  /** Signs in and returns bearer headers plus the refresh token. */
  login(email: string, password?: string): Promise<Caller & { refreshToken: string }>;
  /** Closes the app and disposes its database (what the end of the test does unless `shared`). */
  close(): Promise<void>;
}

export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const db = opts.db ?? (await freshDatabase(opts.dialect ?? 'sqlite'));
  const config = loadConfig({
    INFRACAST_DATA_DIR: db.env.INFRACAST_DATA_DIR,
    INFRACAST_LOG_LEVEL: opts.captureLogs ? 'info' : 'silent',
    INFRACAST_JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    ...opts.env,
  });
  const services = await createServices({
    config: { ...config, database: { ...db.options } },
    database: db.database,
    discovery: opts.discovery,
    findings: opts.findings,
  });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const app = await buildApp({
    config,
    database: db.database,
    services,
    version: 'test',
    limiter: opts.limiter,
    redis: opts.redis ?? null,
    logger: opts.captureLogs ? { level: 'info', stream } : false,
  });
  opts.extend?.(app);
  await app.ready();
  const close = async () => {
    await app.close();
    if (!opts.db) await db.dispose();
  };
  if (!opts.shared) onTestFinished(close);

  const hash = await testPasswordHash();
  const insertUser = async (email: string, admin = false) => {
    const now = new Date().toISOString();
    const id = newId('user');
    await db.database.db
      .insertInto('users')
      .values({
        id,
        email,
        name: null,
        password_hash: hash,
        is_platform_admin: admin ? 1 : 0,
        created_at: now,
        updated_at: now,
        disabled_at: null,
      })
      .execute();
    return id;
  };

  const login = async (email: string, password = TEST_PASSWORD) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { grant_type: 'password', email, password },
      remoteAddress: `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
    });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
    const body = res.json();
    return {
      headers: { authorization: `Bearer ${body.data.access_token}` },
      refreshToken: body.data.refresh_token as string,
      email,
    };
  };

  const t_tenant = (slug: string) => services.tenants.operatorScope(slug);

  const adminEmail = `admin-${newId('user').slice(-10).toLowerCase()}@test.local`;
  const adminId = await insertUser(adminEmail, true);
  const admin = { ...(await login(adminEmail)), userId: adminId };

  return {
    app,
    db,
    services,
    config,
    logs,
    admin,
    login,
    close,
    async createTenant(slug, plan = 'enterprise') {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: admin.headers,
        payload: { slug, name: slug, plan },
      });
      if (res.statusCode !== 201) throw new Error(`create tenant failed: ${res.body}`);
      return res.json().data;
    },
    async userWithRole(tenantSlug, role, email) {
      const address = email ?? `${role}-${newId('user').slice(-8).toLowerCase()}@test.local`;
      const userId = await insertUser(address);
      const tenant = await db.database.db
        .selectFrom('tenants')
        .select('id')
        .where('slug', '=', tenantSlug)
        .executeTakeFirstOrThrow();
      const now = new Date().toISOString();
      await db.database.db
        .insertInto('memberships')
        .values({
          id: newId('membership'),
          tenant_id: tenant.id,
          user_id: userId,
          role,
          created_at: now,
          updated_at: now,
        })
        .execute();
      return { ...(await login(address)), userId };
    },
    async apiKey(tenantSlug, role, o = {}) {
      // Through the service, not HTTP, so seeding doesn't spend the tenant's rate-limit budget.
      const tenant = await t_tenant(tenantSlug);
      const k = await services.apiKeys.create(
        { principal: null, requestId: null, ip: null, tenant },
        {
          description: `${role} key`,
          role,
          ...(o.expiresInDays ? { expires_in_days: o.expiresInDays } : { never_expires: true as const }),
        },
      );
      return {
        id: k.id,
        clientId: k.client_id,
        secretKey: k.secret_key,
        token: k.token,
        headers: { authorization: `Bearer ${k.token}` },
      };
    },
  };
}
