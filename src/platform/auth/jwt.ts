/**
 * Short-lived access tokens: HS256 JWTs signed with a key from
 * INFRACAST_JWT_SECRET, or generated on first start and kept in the database
 * so that every instance behind a load balancer verifies the same tokens.
 */
import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Db } from '../db/index.ts';
import { iso } from '../time.ts';
import type { Role } from './roles.ts';

const ISSUER = 'infracast';
const AUDIENCE = 'infracast-api';

export interface AccessClaims {
  /** `usr_…` or `key_…`. */
  sub: string;
  typ: 'user' | 'api_key';
  /** API keys: their tenant and role. */
  tid?: string;
  role?: Role;
  /** Users: memberships at issue time (informational; the database decides). */
  mem?: { t: string; r: Role }[];
  adm?: boolean;
  /** Users: their session (refresh token family); the token is valid only while the session is. */
  sid?: string;
  jti: string;
  exp: number;
  iat: number;
}

export async function loadSigningKey(db: Db, configured: string | null): Promise<Uint8Array> {
  if (configured) return new TextEncoder().encode(configured);
  const existing = await db.selectFrom('signing_keys').select('secret').orderBy('created_at', 'asc').executeTakeFirst();
  if (existing) return Buffer.from(existing.secret, 'base64');
  const secret = randomBytes(32).toString('base64');
  // Two instances starting together may both insert; the first row (by created_at) wins for everyone.
  await db
    .insertInto('signing_keys')
    .values({ id: 'default', algorithm: 'HS256', secret, created_at: iso(new Date()) })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const row = await db
    .selectFrom('signing_keys')
    .select('secret')
    .where('id', '=', 'default')
    .executeTakeFirstOrThrow();
  return Buffer.from(row.secret, 'base64');
}

export function createJwt(key: Uint8Array) {
  return {
    async sign(claims: Omit<AccessClaims, 'iat' | 'exp'>, ttlSeconds: number, now: Date): Promise<string> {
      const iat = Math.floor(now.getTime() / 1000);
      const { sub, jti, ...rest } = claims;
      return new SignJWT(rest)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setJti(jti)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(key);
    },

    /** Verifies signature, issuer, audience and expiry; returns null with a reason when invalid. */
    async verify(token: string, now: Date): Promise<{ claims: AccessClaims } | { error: 'expired' | 'invalid' }> {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256'],
          currentDate: now,
        });
        return { claims: payload as unknown as AccessClaims };
      } catch (e) {
        return { error: e instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
      }
    },
  };
}

export type Jwt = ReturnType<typeof createJwt>;
