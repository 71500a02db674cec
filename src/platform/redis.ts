/** The optional Redis connection: fails fast when Redis is down so callers can fall back. */
import { Redis } from 'ioredis';

export function connectRedis(url: string, opts: { keyPrefix?: string } = {}): Redis {
  return new Redis(url, {
    lazyConnect: false,
    // Fail commands at once while disconnected instead of queueing them: the limiter falls back to memory.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // No auto-pipelining: under load the socket already coalesces queued writes, and the
    // pipeline bookkeeping cost 15-20% more CPU per request in `npm run bench -- auth`.
    enableAutoPipelining: false,
    ...(opts.keyPrefix ? { keyPrefix: opts.keyPrefix } : {}),
  });
}
