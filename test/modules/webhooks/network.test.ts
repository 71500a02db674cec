/** Which destinations webhooks may post to, and how one attempt posts (no database). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { backoffMs } from '../../../src/modules/webhooks/delivery.ts';
import { disallowedAddressReason, postOnce, webhookUrlProblems } from '../../../src/modules/webhooks/network.ts';

describe('webhook destinations', () => {
  it('classifies non-public addresses, IPv4 and IPv6', () => {
    const cases: [string, string | null][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.251', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['100.64.0.1', 'private (shared address space)'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fd12:3456::1', 'private (unique local)'],
      ['fc00::1', 'private (unique local)'],
      ['fe80::1%eth0', 'link-local'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:a9fe:a9fe', 'link-local'],
      ['64:ff9b::10.0.0.1', 'private'],
      ['2002:7f00:1::1', 'loopback'], // 6to4 of 127.0.0.1
      ['2002:a00:1::', 'private'], // 6to4 of 10.0.0.1
      ['::ffff:0:7f00:1', 'loopback'], // IPv4-translated
      ['::ffff:0:a9fe:a9fe', 'link-local'],
      ['64:ff9b:1::1', 'private (local-use NAT64)'],
      ['fec0::1', 'private (site-local)'],
      ['2001:db8::1', 'reserved (documentation)'],
      ['100::1', 'reserved (discard)'],
      // public
      ['93.184.216.34', null],
      ['8.8.8.8', null],
      ['172.32.0.1', null],
      ['192.169.0.1', null],
      ['2606:4700:4700::1111', null],
      ['::ffff:8.8.8.8', null],
      ['2002:808:808::1', null], // 6to4 of 8.8.8.8
      ['64:ff9b::8.8.8.8', null],
    ];
    for (const [address, reason] of cases) expect(disallowedAddressReason(address), address).toBe(reason);
  });

  it('checks URLs: absolute http(s), no credentials, no literal private hosts unless allowed', () => {
    expect(webhookUrlProblems('https://hooks.example.com/x?y=1', false)).toEqual([]);
    expect(webhookUrlProblems('http://10.0.0.5:8080/hook', false)[0]?.message).toMatch(/10\.0\.0\.5 is a private/);
    expect(webhookUrlProblems('http://10.0.0.5:8080/hook', true)).toEqual([]);
    expect(webhookUrlProblems('http://LOCALHOST./', false)[0]?.message).toMatch(/loopback/);
    expect(webhookUrlProblems('http://localhost/', true)).toEqual([]);
    expect(webhookUrlProblems('http://[::1]:9000/', false)[0]?.message).toMatch(/::1 is a loopback/);
    expect(webhookUrlProblems('http://2130706433/', false)[0]?.message).toMatch(/loopback/); // 127.0.0.1 as a number
    expect(webhookUrlProblems('https://u:p@hooks.example.com/', true)[0]?.message).toMatch(/credentials/);
    expect(webhookUrlProblems('file:///etc/passwd', true)[0]?.message).toMatch(/http/);
    expect(webhookUrlProblems('hooks.example.com/x', true)[0]?.message).toMatch(/absolute/);
  });

  it('backs off exponentially, capped', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 30_000, 3_600_000))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(backoffMs(20, 30_000, 3_600_000)).toBe(3_600_000);
  });
});

describe('posting a delivery (postOnce)', () => {
  const serve = async (handler: Parameters<typeof createServer>[1]) => {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const base = { body: '{}', headers: { 'content-type': 'application/json' }, timeoutMs: 2000 };

  it('does not follow redirects: a 3xx is the answer', async () => {
    let hits = 0;
    const url = await serve((_req, res) => {
      hits++;
      res.writeHead(302, { location: '/elsewhere' }).end();
    });
    const r = await postOnce({ ...base, url: `${url}/hook`, allowPrivateNetworks: true });
    expect(r).toMatchObject({ statusCode: 302, error: null, aborted: false });
    expect(hits).toBe(1);
  });

  it('times out a receiver that does not answer', async () => {
    const url = await serve(() => {}); // never answers
    const r = await postOnce({ ...base, url, timeoutMs: 150, allowPrivateNetworks: true });
    expect(r.statusCode).toBeNull();
    expect(r.error).toMatch(/timed out after 150 ms/);
    expect(r.durationMs).toBeGreaterThanOrEqual(140);
  });

  it('reads at most a capped response body', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const write = () => {
        while (res.write(chunk)) {}
        res.once('drain', write);
      };
      write(); // an endless body
    });
    const r = await postOnce({ ...base, url, allowPrivateNetworks: true, maxResponseBytes: 100_000 });
    expect(r).toMatchObject({ statusCode: 200, error: null });
  });

  it('refuses a literal private address without connecting, and stops when aborted', async () => {
    let hits = 0;
    const url = await serve((_req, res) => {
      hits++;
      res.end();
    });
    const refused = await postOnce({ ...base, url, allowPrivateNetworks: false });
    expect(refused.statusCode).toBeNull();
    expect(refused.error).toMatch(/127\.0\.0\.1 is a loopback address/);
    const metadata = await postOnce({ ...base, url: 'http://169.254.169.254/latest', allowPrivateNetworks: false });
    expect(metadata.error).toMatch(/link-local/);
    expect(hits).toBe(0);

    const slow = await serve(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = await postOnce({ ...base, url: slow, allowPrivateNetworks: true, signal: controller.signal });
    expect(aborted.aborted).toBe(true);
  });
});
