import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  computeSignature,
  parseSignatureHeader,
  signatureHeader,
  verifySignature,
} from '../../../src/core/webhooks/signature.ts';

const secret = 'whsec_test-secret-0123456789';
const body = '{"id":"dlv_1","type":"ping","data":{}}';
const at = new Date('2026-12-06T12:00:00.000Z');
const t = Math.floor(at.getTime() / 1000);

describe('webhook signatures', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 in the t=…,v1=… header', () => {
    const header = signatureHeader(secret, body, at);
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${expected}`);
    expect(computeSignature(secret, t, body)).toBe(expected);
  });

  it('verifies its own signature, within the tolerance either way', () => {
    const header = signatureHeader(secret, body, at);
    expect(verifySignature(header, body, secret, 300, at)).toBe(true);
    expect(verifySignature(header, Buffer.from(body), secret, 300, at)).toBe(true);
    expect(verifySignature(header, body, secret, 300, new Date(at.getTime() + 300_000))).toBe(true);
    expect(verifySignature(header, body, secret, 300, new Date(at.getTime() - 300_000))).toBe(true);
  });

  it('refuses a stale or future timestamp (replays)', () => {
    const header = signatureHeader(secret, body, at);
    expect(verifySignature(header, body, secret, 300, new Date(at.getTime() + 301_000))).toBe(false);
    expect(verifySignature(header, body, secret, 300, new Date(at.getTime() - 301_000))).toBe(false);
  });

  it('refuses another body, another secret, another timestamp with the same signature', () => {
    const header = signatureHeader(secret, body, at);
    expect(verifySignature(header, `${body} `, secret, 300, at)).toBe(false);
    expect(verifySignature(header, body, `${secret}x`, 300, at)).toBe(false);
    const v1 = header.split('v1=')[1];
    expect(verifySignature(`t=${t + 1},v1=${v1}`, body, secret, 300, at)).toBe(false);
  });

  it('refuses malformed headers', () => {
    const v1 = computeSignature(secret, t, body);
    for (const header of [
      undefined,
      null,
      '',
      'garbage',
      `v1=${v1}`,
      `t=${t}`,
      `t=abc,v1=${v1}`,
      `t=${t},v1=${v1.slice(1)}`,
      `t=${t},t=${t},v1=${v1}`,
      `t=${t},v0=${v1}`,
    ]) {
      expect(verifySignature(header, body, secret, 300, at), String(header)).toBe(false);
    }
    expect(verifySignature(`t=${t},v1=${v1}`, body, '', 300, at)).toBe(false);
  });

  it('accepts any of several v1 signatures and ignores unknown schemes', () => {
    const good = computeSignature(secret, t, body);
    const other = computeSignature('another-secret-0000', t, body);
    expect(verifySignature(`t=${t},v0=zz,v1=${other},v1=${good}`, body, secret, 300, at)).toBe(true);
    expect(parseSignatureHeader(`t=${t},v1=${other.toUpperCase()}`)).toEqual({ timestamp: t, signatures: [other] });
  });
});
