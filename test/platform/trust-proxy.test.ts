import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

/** The address the audit log records for a tenant created through a load balancer at 10.0.0.9. */
async function recordedAddress(t: TestApp, slug: string, forwardedFor: string | undefined): Promise<string> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/tenants',
    remoteAddress: '10.0.0.9',
    headers: { ...t.admin.headers, ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }) },
    payload: { slug, name: slug },
  });
  expect(created.statusCode).toBe(201);
  const log = await t.app.inject({ url: `/api/v1/tenants/${slug}/audit-log`, headers: t.admin.headers });
  return log.json().data[0].ip;
}

/**
 * Failed sign-ins from one client, each claiming a different address before the one the balancer appends; sent
 * together, so that the throttle's per-address budget (50 at once, then 30 a minute) does not refill meanwhile.
 */
async function failedSignIns(t: TestApp, count: number): Promise<number[]> {
  const responses = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        remoteAddress: '10.0.0.9',
        headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.7` },
        payload: { grant_type: 'password', email: `user${i}@example.com`, password: 'not the password' },
      }),
    ),
  );
  return responses.map((r) => r.statusCode);
}

describe('INFRACAST_TRUST_PROXY', () => {
  it('off: X-Forwarded-For is ignored, the peer is the client', async () => {
    const t = await createTestApp();
    expect(await recordedAddress(t, 'off-proxy', '6.6.6.6')).toBe('10.0.0.9');
  });

  it('true: the address the load balancer saw (the last X-Forwarded-For entry), not one the client wrote before it', async () => {
    const t = await createTestApp({ env: { INFRACAST_TRUST_PROXY: 'true' } });
    expect(await recordedAddress(t, 'one-proxy', '6.6.6.6, 203.0.113.7')).toBe('203.0.113.7');
    expect(await recordedAddress(t, 'one-proxy-b', '203.0.113.8')).toBe('203.0.113.8');
    expect(await recordedAddress(t, 'no-header', undefined)).toBe('10.0.0.9');
  });

  it('true: a client rotating made-up X-Forwarded-For entries is still one address to the sign-in throttle', async () => {
    const t = await createTestApp({ env: { INFRACAST_TRUST_PROXY: 'true' } });
    const statuses = await failedSignIns(t, 55);
    // 50 failures per address at once, then 429.
    expect(statuses.filter((s) => s === 401).length).toBe(50);
    expect(statuses.filter((s) => s === 429).length).toBe(5);
  });

  it('a number of proxies: the address the outermost of them saw', async () => {
    const t = await createTestApp({ env: { INFRACAST_TRUST_PROXY: '2' } });
    expect(await recordedAddress(t, 'two-proxies', '6.6.6.6, 203.0.113.7, 192.0.2.1')).toBe('203.0.113.7');
  });

  it('configuration: true/false or a number of proxies; anything else names the variable', () => {
    expect(loadConfig({}).trustProxyHops).toBe(0);
    expect(loadConfig({ INFRACAST_TRUST_PROXY: 'false' }).trustProxyHops).toBe(0);
    expect(loadConfig({ INFRACAST_TRUST_PROXY: 'true' }).trustProxyHops).toBe(1);
    expect(loadConfig({ INFRACAST_TRUST_PROXY: '3' }).trustProxyHops).toBe(3);
    expect(() => loadConfig({ INFRACAST_TRUST_PROXY: 'all' })).toThrow(ConfigError);
    expect(() => loadConfig({ INFRACAST_TRUST_PROXY: 'all' })).toThrow(
      'INFRACAST_TRUST_PROXY must be true, false or the number of proxies in front of the server (got "all")',
    );
  });
});
