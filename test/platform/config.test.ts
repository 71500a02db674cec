import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.ts';

describe('loadConfig', () => {
  it('has working defaults: SQLite under ./data, 127.0.0.1:8080, 100 MB bodies', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c.dataDir).toBe('/srv/app/data');
    expect(c.database).toEqual({
      dialect: 'sqlite',
      url: 'sqlite:/srv/app/data/infracast.db',
      sqlitePath: '/srv/app/data/infracast.db',
    });
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8080);
    expect(c.bodyLimitBytes).toBe(100 * 1024 * 1024);
    expect(c.redisUrl).toBeNull();
    expect(c.maxConcurrentPerKey).toBe(5);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('selects PostgreSQL from a postgres:// URL', () => {
    const c = loadConfig({ INFRACAST_DATABASE_URL: 'postgres://u:p@db:5432/infracast' });
    expect(c.database.dialect).toBe('postgres');
    expect(c.database.sqlitePath).toBeNull();
  });

  it('names every bad variable at once', () => {
    try {
      loadConfig({
        INFRACAST_PORT: 'abc',
        INFRACAST_LOG_LEVEL: 'loud',
        INFRACAST_DATABASE_URL: 'mysql://x',
        INFRACAST_OPEN_SIGNUP: 'maybe',
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems;
      expect(problems).toHaveLength(4);
      expect(problems).toContain('INFRACAST_PORT must be an integer between 0 and 65535 (got "abc")');
      expect(problems.join('\n')).toMatch(/INFRACAST_LOG_LEVEL/);
      expect(problems.join('\n')).toMatch(/INFRACAST_DATABASE_URL must start with sqlite: or postgres:\/\//);
      expect(problems.join('\n')).toMatch(/INFRACAST_OPEN_SIGNUP must be true or false/);
    }
  });

  it('rejects a short admin password and a password without an email', () => {
    expect(() => loadConfig({ INFRACAST_ADMIN_EMAIL: 'a@b.c', INFRACAST_ADMIN_PASSWORD: 'short' })).toThrow(
      /at least 12/,
    );
    expect(() => loadConfig({ INFRACAST_ADMIN_PASSWORD: 'long enough password' })).toThrow(
      /INFRACAST_ADMIN_EMAIL is not/,
    );
  });

  it('refuses webhooks to private networks unless INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS says so', () => {
    expect(loadConfig({}).webhookAllowPrivateNetworks).toBe(false);
    expect(loadConfig({ INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }).webhookAllowPrivateNetworks).toBe(true);
    expect(loadConfig({ INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'off' }).webhookAllowPrivateNetworks).toBe(false);
    expect(() => loadConfig({ INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'sometimes' })).toThrow(
      /INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false/,
    );
  });
});
