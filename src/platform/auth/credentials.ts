/**
 * API key credential formats. A key has a public client ID and a secret key;
 * the single bearer token carries both. All three have recognisable prefixes
 * and the secret a CRC32 checksum, so secret scanners can find them and a
 * mistyped secret is rejected before any database lookup (as GitHub does).
 *
 *   client_id   icci_<22 base62>
 *   secret_key  icsk_<43 base62 = 256 random bits><6 base62 CRC32>
 *   token       ick_<22 base62 client part>_<49 base62 secret part>
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(bytes: Buffer, length: number): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (out.length < length) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out;
}

const checksum = (body: string): string => base62(Buffer.from(crc32(body).toString(16).padStart(8, '0'), 'hex'), 6);

export interface NewCredentials {
  clientId: string;
  secretKey: string;
  token: string;
  secretHash: string;
}

export function generateCredentials(): NewCredentials {
  const clientBody = base62(randomBytes(16), 22);
  const secretBody = base62(randomBytes(32), 43);
  const secretPart = secretBody + checksum(secretBody);
  const secretKey = `icsk_${secretPart}`;
  return {
    clientId: `icci_${clientBody}`,
    secretKey,
    token: `ick_${clientBody}_${secretPart}`,
    secretHash: hashSecret(secretKey),
  };
}

/** True when the secret has the right shape and checksum (no database needed). */
export function secretLooksValid(secretKey: string): boolean {
  const m = /^icsk_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/.exec(secretKey);
  return m !== null && checksum(m[1] as string) === m[2];
}

export const clientIdLooksValid = (clientId: string): boolean => /^icci_[0-9A-Za-z]{22}$/.test(clientId);

/** Splits an `ick_…` bearer token into its client ID and secret key, or null when it isn't one. */
export function parseKeyToken(token: string): { clientId: string; secretKey: string } | null {
  const m = /^ick_([0-9A-Za-z]{22})_([0-9A-Za-z]{49})$/.exec(token);
  if (!m) return null;
  return { clientId: `icci_${m[1]}`, secretKey: `icsk_${m[2]}` };
}

export const isKeyToken = (token: string): boolean => token.startsWith('ick_');

/** SHA-256 of a 256-bit random secret: no KDF needed, the input is not guessable. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** Compares in constant time; `storedHash` as stored (hex) or already decoded (cached rows). */
export function secretMatches(secret: string, storedHash: string | Buffer): boolean {
  const a = hash('sha256', secret, 'buffer') as unknown as Buffer;
  const b = typeof storedHash === 'string' ? Buffer.from(storedHash, 'hex') : storedHash;
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Opaque refresh tokens: random, stored only as a hash. */
export function generateRefreshToken(): { token: string; hash: string } {
  const token = `icrt_${base62(randomBytes(32), 43)}`;
  return { token, hash: hashSecret(token) };
}
