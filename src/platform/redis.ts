/** The optional Redis connection: fails fast when Redis is down so callers can fall back. */
import { Redis } from 'ioredis';

/**
 * How long a command may wait for its answer. Redis answers in a millisecond or two; one that has stopped
 * answering (a long script, a stopped process, a network that drops packets) keeps its connection open, and
 * without a timeout every request waiting on it would wait for ever.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

export function connectRedis(url: string, opts: { keyPrefix?: string } = {}): Redis {
  return new Redis(url, {
    lazyConnect: false,
    // Fail commands at once while disconnected instead of queueing them: the limiter falls back to memory.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // No auto-pipelining: under load the socket already coalesces queued writes, and the
    // pipeline bookkeeping cost 15-20% more CPU per request in `npm run bench -- auth`.
    enableAutoPipelining: false,
    ...(opts.keyPrefix ? { keyPrefix: opts.keyPrefix } : {}),
  });
}

/**
 * After a command timed out: the connection still looks open, so every later command would wait for its own
 * timeout too. Drop it and reconnect; meanwhile commands fail at once (no offline queue) and callers fall back.
 */
export function dropUnansweringConnection(redis: Redis, err: unknown): void {
  if ((err as Error | null)?.message === 'Command timed out' && redis.status === 'ready') redis.disconnect(true);
}
