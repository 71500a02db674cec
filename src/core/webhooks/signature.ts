/**
 * Webhook signatures, Stripe style: each delivery carries
 *
 *   Infracast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The timestamp is signed with the body, so a captured request cannot be replayed once it is older
 * than the receiver's tolerance. Receivers verify with `verifySignature` (or the same few lines of
 * their own: see the README). Pure: no I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Infracast-Signature';
/** How old a signature may be, by default, before `verifySignature` refuses it. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`. */
export function computeSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The `Infracast-Signature` header value for `body` signed at `now`. */
export function signatureHeader(secret: string, body: string, now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${computeSignature(secret, t, body)}`;
}

export interface ParsedSignature {
  timestamp: number;
  /** Every `v1=` value (a sender may give several, e.g. while a secret is being rotated). */
  signatures: string[];
}

/** Parses `t=…,v1=…[,v1=…]`; null when there is no valid timestamp or no v1 signature. Unknown schemes are ignored. */
export function parseSignatureHeader(header: string): ParsedSignature | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== null) return null;
      timestamp = Number(value);
    } else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) {
      signatures.push(value.toLowerCase());
    }
  }
  if (timestamp === null || signatures.length === 0) return null;
  return { timestamp, signatures };
}

/**
 * True when `header` holds a v1 signature of `body` under `secret` made within `toleranceSeconds` of
 * `now` (either way: clocks drift). `body` must be the raw request body, byte for byte, not a re-serialised
 * object. Comparisons are constant-time.
 */
export function verifySignature(
  header: string | undefined | null,
  body: string | Buffer,
  secret: string,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  now: Date = new Date(),
): boolean {
  if (!header || !secret) return false;
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  if (Math.abs(Math.floor(now.getTime() / 1000) - parsed.timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(
    createHmac('sha256', secret).update(`${parsed.timestamp}.`).update(body).digest('hex'),
    'utf8',
  );
  let ok = false;
  for (const candidate of parsed.signatures) {
    // Same length by construction (64 hex characters), as timingSafeEqual requires.
    if (timingSafeEqual(expected, Buffer.from(candidate, 'utf8'))) ok = true;
  }
  return ok;
}
