import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createRedisLimiter } from '../../src/platform/ratelimit/limiter.ts';
import { connectRedis } from '../../src/platform/redis.ts';
import { createTestApp } from '../helpers/app.ts';

/**
 * A Redis that answers the client's ready check (INFO) and then nothing more: what a client sees when Redis
 * hangs (a long script, a stopped process) or the network starts dropping packets after it connected.
 */
async function hungRedis(): Promise<{ url: string; connections: () => number }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Only the first connection is answered, up to its ready check (CLIENT SETINFO, then INFO): the hang lasts.
    let ready = connections > 1;
    socket.on('data', (chunk) => {
      if (ready) return;
      for (const command of chunk.toString().split('*').slice(1)) {
        if (/client/i.test(command)) socket.write('+OK\r\n');
        else if (/info/i.test(command)) {
          const info = '# Server\r\nredis_version:7.0.0\r\nloading:0\r\n';
          socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
          ready = true;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  return { url: `redis://127.0.0.1:${port}`, connections: () => connections };
}

describe('Redis that stops answering', () => {
  it('requests are limited in memory within about a second instead of waiting for it; /status says it is down', async () => {
    const hung = await hungRedis();
    const redis = connectRedis(hung.url);
    redis.on('error', () => {});
    onTestFinished(() => {
      redis.disconnect();
    });
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    let degraded = 0;
    const limiter = createRedisLimiter({ redis, prefix: 'x:', onDegraded: () => degraded++ });
    const t = await createTestApp({ limiter, redis });
    await t.createTenant('acme', 'free');
    const k = await t.apiKey('acme', 'viewer');

    const started = Date.now();
    const first = await t.app.inject({ url: '/api/v1/tenants/acme', headers: k.headers });
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe('60');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(degraded).toBe(1);

    // The connection that stopped answering is dropped: the next requests do not each wait for a timeout.
    const next = Date.now();
    for (let i = 0; i < 5; i++) {
      expect((await t.app.inject({ url: '/api/v1/tenants/acme', headers: k.headers })).statusCode).toBe(200);
    }
    expect(Date.now() - next).toBeLessThan(1000);

    const statusStarted = Date.now();
    const status = (await t.app.inject('/api/v1/status')).json().data;
    expect(Date.now() - statusStarted).toBeLessThan(3000);
    expect(status.status).toBe('degraded');
    expect(status.redis.status).toBe('down');
    expect(status.rate_limiter).toEqual({ backend: 'redis', degraded: true });
  }, 15_000);
});
