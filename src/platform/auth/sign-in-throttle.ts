/**
 * Limits password guessing. Only failed password checks count, in two buckets:
 * one per account (the normalised email, known or not: a throttled unknown
 * email looks like a throttled known one) against guessing one password from
 * many addresses, and one per client address, with a higher ceiling, against
 * trying many accounts from one. Successes cost nothing, so neither people
 * signing in nor API keys (client_credentials) and refresh tokens, whose
 * secrets are 256 random bits and are not throttled here, can be locked out by
 * someone else's failures from the same address.
 *
 * An attempt is counted before the password is checked and given back when it
 * was right: checking first and counting after would let parallel guesses all
 * pass the check.
 */
import { rateLimited } from '../errors.ts';
import type { Limit } from '../ratelimit/gcra.ts';
import type { RateLimiter } from '../ratelimit/limiter.ts';
import { hashSecret } from './credentials.ts';

export interface SignInLimits {
  /** Failed password checks per account. */
  account: Limit;
  /** Failed password checks per client address, whatever the account. */
  ip: Limit;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  account: { perMinute: 5, burst: 10 },
  ip: { perMinute: 30, burst: 50 },
};

export interface PasswordAttempt {
  /** The password was right: the attempt is given back. */
  succeeded(): Promise<void>;
}

export type SignInThrottle = ReturnType<typeof createSignInThrottle>;

export function createSignInThrottle(limiter: RateLimiter, limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS) {
  return {
    /**
     * Counts a password check for `email` (normalised) from `ip`; a 429 when either bucket is out of
     * failures (then nothing is counted).
     */
    async attempt(email: string, ip: string): Promise<PasswordAttempt> {
      // Hashed: the bucket names in Redis need not list who tried to sign in.
      const buckets: [string, Limit][] = [
        [`signin:account:${hashSecret(email).slice(0, 32)}`, limits.account],
        [`signin:ip:${ip}`, limits.ip],
      ];
      const decisions = await Promise.all(buckets.map(([key, limit]) => limiter.consume(key, limit)));
      const giveBack = async (counted: [string, Limit][]) => {
        await Promise.all(counted.map(([key, limit]) => limiter.refund(key, limit)));
      };
      const denied = decisions.filter((d) => !d.allowed);
      if (denied.length > 0) {
        // A refused attempt counts nowhere: what it took from the other bucket goes back.
        await giveBack(buckets.filter((_, i) => decisions[i]?.allowed));
        const retryAfter = Math.max(...denied.map((d) => d.retryAfter));
        throw rateLimited(`Too many failed sign-in attempts. Retry after ${retryAfter} seconds.`, retryAfter);
      }
      let given = false;
      return {
        async succeeded() {
          if (given) return;
          given = true;
          await giveBack(buckets);
        },
      };
    },
  };
}
