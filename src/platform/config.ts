/**
 * Configuration, read once at start from INFRACAST_* environment variables.
 * `loadConfig` is pure (it takes the environment as an argument) and reports
 * every bad variable at once; nothing else in the codebase reads process.env.
 */
import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { passwordProblem } from './auth/passwords.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type DatabaseDialect = 'sqlite' | 'postgres';

export interface Config {
  /** Where the SQLite file, generated reports and other local state live. */
  dataDir: string;
  database: { dialect: DatabaseDialect; url: string /** SQLite file path, or ':memory:' */; sqlitePath: string | null };
  redisUrl: string | null;
  host: string;
  port: number;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  admin: { email: string | null; password: string | null };
  /** Let any signed-in user create tenants (otherwise only platform admins may). */
  openSignup: boolean;
  maxConcurrentPerKey: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Run the background job worker inside the server process. */
  workerEnabled: boolean;
  /**
   * How many proxies (load balancers) stand in front of the server, whose X-Forwarded-* entries are trusted:
   * the client is the address the outermost of them saw, never an entry the client wrote itself. 0: none.
   */
  trustProxyHops: number;
  /** Shared secret for signing access tokens; when null a key is generated and kept in the database. */
  jwtSecret: string | null;
  /**
   * Let webhooks post to loopback, private (RFC 1918, fc00::/7), link-local (cloud metadata) and other
   * non-public addresses. Off by default (SSRF); on for self-hosted installs posting to internal services.
   */
  webhookAllowPrivateNetworks: boolean;
  /** Days a finished (succeeded or failed) webhook delivery is kept; 0 keeps them for ever. */
  webhookDeliveryRetentionDays: number;
  /** Days a finished report (and its document) is kept after it completed; 0 keeps them for ever. */
  reportRetentionDays: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env, cwd: string = process.cwd()): Readonly<Config> {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };

  const dataDirRaw = read('INFRACAST_DATA_DIR') ?? './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);

  const databaseUrl = read('INFRACAST_DATABASE_URL') ?? `sqlite:${join(dataDir, 'infracast.db')}`;
  let database: Config['database'] = { dialect: 'sqlite', url: databaseUrl, sqlitePath: join(dataDir, 'infracast.db') };
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    try {
      new URL(databaseUrl);
      database = { dialect: 'postgres', url: databaseUrl, sqlitePath: null };
    } catch {
      problems.push(`INFRACAST_DATABASE_URL is not a valid PostgreSQL URL`);
    }
  } else if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') problems.push('INFRACAST_DATABASE_URL: sqlite: needs a file path (or :memory:)');
    database = {
      dialect: 'sqlite',
      url: databaseUrl,
      sqlitePath: path === ':memory:' || isAbsolute(path) ? path : resolve(cwd, path),
    };
  } else {
    problems.push(
      `INFRACAST_DATABASE_URL must start with sqlite: or postgres:// (got "${databaseUrl.replace(/:[^:@/]*@/, ':***@')}")`,
    );
  }

  const redisUrl = read('INFRACAST_REDIS_URL') ?? null;
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push('INFRACAST_REDIS_URL must start with redis:// or rediss://');
  }

  const logLevelRaw = (read('INFRACAST_LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevelRaw as LogLevel)) {
    problems.push(`INFRACAST_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevelRaw}")`);
  }

  const adminEmail = read('INFRACAST_ADMIN_EMAIL') ?? null;
  // Set but empty means unset, as for every other variable (compose and Kubernetes files write them so);
  // a password is otherwise taken as it is, spaces included.
  const adminPassword = env.INFRACAST_ADMIN_PASSWORD ? env.INFRACAST_ADMIN_PASSWORD : null;
  if (adminEmail !== null && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) {
    problems.push('INFRACAST_ADMIN_EMAIL must be an email address');
  }
  const weak = adminPassword === null ? null : passwordProblem(adminPassword);
  if (weak) {
    problems.push(`INFRACAST_ADMIN_PASSWORD ${weak}`);
  }
  if (adminPassword !== null && adminEmail === null) {
    problems.push('INFRACAST_ADMIN_PASSWORD is set but INFRACAST_ADMIN_EMAIL is not');
  }

  const jwtSecret = env.INFRACAST_JWT_SECRET ? env.INFRACAST_JWT_SECRET : null;
  if (jwtSecret !== null && jwtSecret.length < 32) {
    problems.push('INFRACAST_JWT_SECRET must be at least 32 characters');
  }

  const host = read('INFRACAST_HOST') ?? '127.0.0.1';
  if (!isListenAddress(host)) {
    problems.push(`INFRACAST_HOST must be an IP address or a host name, without a port (got "${host}")`);
  }

  const config: Config = {
    dataDir,
    database,
    redisUrl,
    host,
    port: int('INFRACAST_PORT', 8080, 0, 65535),
    logLevel: logLevelRaw as LogLevel,
    bodyLimitBytes: int('INFRACAST_BODY_LIMIT_MB', 100, 1, 4096) * 1024 * 1024,
    admin: { email: adminEmail, password: adminPassword },
    openSignup: bool('INFRACAST_OPEN_SIGNUP', false),
    maxConcurrentPerKey: int('INFRACAST_MAX_CONCURRENT_PER_KEY', 5, 1, 10_000),
    accessTokenTtlSeconds: int('INFRACAST_ACCESS_TOKEN_TTL_SECONDS', 900, 60, 86_400),
    refreshTokenTtlSeconds: int('INFRACAST_REFRESH_TOKEN_TTL_SECONDS', 30 * 86_400, 300, 365 * 86_400),
    workerEnabled: bool('INFRACAST_WORKER', true),
    trustProxyHops: trustProxyHops(read('INFRACAST_TRUST_PROXY'), problems),
    jwtSecret,
    webhookAllowPrivateNetworks: bool('INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
    webhookDeliveryRetentionDays: int('INFRACAST_WEBHOOK_DELIVERY_RETENTION_DAYS', 30, 0, 3650),
    reportRetentionDays: int('INFRACAST_REPORT_RETENTION_DAYS', 30, 0, 3650),
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/**
 * INFRACAST_TRUST_PROXY: `true` is one proxy (a load balancer appends the address it saw to X-Forwarded-For,
 * after whatever the client sent), a number is that many in a row (a CDN before the load balancer).
 */
function trustProxyHops(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 0;
  const v = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return 1;
  if (['0', 'false', 'no', 'off'].includes(v)) return 0;
  if (/^\d+$/.test(v) && Number(v) <= 10) return Number(v);
  problems.push(
    `INFRACAST_TRUST_PROXY must be true, false or the number of proxies in front of the server (got "${raw}")`,
  );
  return 0;
}

/** An IPv4/IPv6 address, or a host name (RFC 1123 labels) that is not a malformed dotted quad. */
function isListenAddress(host: string): boolean {
  if (isIP(host) !== 0) return true;
  if (/^[\d.]+$/.test(host) || host.includes(':')) return false; // 999.1.1.1, localhost:80, a bad IPv6
  return /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(host);
}
