/**
 * Where webhooks may post, and the HTTP request that posts them.
 *
 * SSRF: unless INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS is on, a delivery never connects to a loopback,
 * private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud metadata address, fe80::/10),
 * unspecified, multicast or otherwise reserved address. The check runs on the addresses the host name
 * resolves to *at connection time*, inside the socket's own DNS lookup, so the address checked is the
 * address connected to (a DNS answer that changes between a check and the connection — rebinding — cannot
 * slip through). Literal IP addresses (which skip the lookup) are checked before connecting. Creation only
 * checks what it can know without DNS: literal IPs and `localhost`.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { FieldError } from '../../platform/errors.ts';

const RANGES: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'private (shared address space)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'reserved'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['64:ff9b:1::', 48, 'ipv6', 'private (local-use NAT64)'],
  ['100::', 64, 'ipv6', 'reserved (discard)'],
  ['2001:db8::', 32, 'ipv6', 'reserved (documentation)'],
  ['fc00::', 7, 'ipv6', 'private (unique local)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'private (site-local)'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];
const BLOCKS = RANGES.map(([network, prefix, type, label]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, type);
  return { list, type, label };
});

/** The 8 hextets of an IPv6 address (`::`-compressed, or ending in a dotted quad). */
function hextets(address: string): number[] | null {
  let a = address.toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (dotted) {
    const [b0, b1, b2, b3] = dotted.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, dotted.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail, extra] = a.split('::');
  if (extra !== undefined) return null;
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (fill < 0) return null;
  const all = [...h, ...Array(fill).fill('0'), ...t];
  return all.length === 8 ? all.map((x) => Number.parseInt(x, 16)) : null;
}

/**
 * The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), -compatible (`::a.b.c.d`), -translated
 * (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::/96`) or 6to4 (`2002:AABB:CCDD::/48`) one: a host or relay that
 * turns these into IPv4 would connect to it.
 */
function embeddedIpv4(address: string): string | null {
  const h = hextets(address);
  if (!h) return null;
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (h[0] === 0x2002) return quad(h[1] as number, h[2] as number);
  const zeros = (from: number, to: number) => h.slice(from, to).every((x) => x === 0);
  const mapped = zeros(0, 5) && (h[5] === 0xffff || h[5] === 0);
  const translated = zeros(0, 4) && h[4] === 0xffff && h[5] === 0;
  const nat64 = h[0] === 0x64 && h[1] === 0xff9b && zeros(2, 6);
  if (!mapped && !translated && !nat64) return null;
  if (mapped && h[5] === 0 && h[6] === 0) return null; // :: and ::1 are themselves, not 0.0.0.x
  return quad(h[6] as number, h[7] as number);
}

/**
 * Why an address may not be posted to ("loopback", "private", …), or null for a public one.
 * IPv6 addresses that embed an IPv4 one are judged by it.
 */
export function disallowedAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return disallowedAddressReason(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const b of BLOCKS) if (b.type === type && b.list.check(address, type)) return b.label;
  return null;
}

export class BlockedDestinationError extends Error {
  readonly code = 'EBLOCKEDDESTINATION';
  constructor(host: string, address: string, reason: string) {
    super(
      `${host === address ? address : `${host} resolves to ${address}, which`} is a ${reason} address; ` +
        'webhooks may not post to non-public networks (INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)',
    );
    this.name = 'BlockedDestinationError';
  }
}

const isLocalhostName = (host: string) => {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
};

/** A URL's host without IPv6 brackets. */
const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

export const MAX_URL_LENGTH = 2048;

/**
 * Problems with a webhook URL (empty when it is fine): absolute http(s), no credentials, and — unless
 * private networks are allowed — not a literal non-public IP address nor `localhost`.
 */
export function webhookUrlProblems(raw: string, allowPrivateNetworks: boolean, path = 'body.url'): FieldError[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [{ path, message: 'must be an absolute http:// or https:// URL' }];
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return [{ path, message: `must be an http:// or https:// URL (got ${url.protocol})` }];
  }
  if (url.hostname === '') return [{ path, message: 'must name a host' }];
  if (url.username !== '' || url.password !== '') {
    return [{ path, message: 'must not contain credentials (user:password@); check the signature instead' }];
  }
  if (url.href.length > MAX_URL_LENGTH) return [{ path, message: `must be at most ${MAX_URL_LENGTH} characters` }];
  if (!allowPrivateNetworks) {
    const host = bareHost(url);
    const reason = isIP(host) !== 0 ? disallowedAddressReason(host) : isLocalhostName(host) ? 'loopback' : null;
    if (reason) {
      return [
        {
          path,
          message: `${host} is a ${reason} address; webhooks may not post to non-public networks unless INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS is on`,
        },
      ];
    }
  }
  return [];
}

/** Resolves a host name to every address (dns.lookup with `all`), the way the socket would. */
export type Resolver = (hostname: string, family: 0 | 4 | 6) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname, family) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, family }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

/** A socket `lookup` that resolves with `resolver` and refuses non-public addresses unless allowed. */
export function guardedLookup(resolver: Resolver, allowPrivateNetworks: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : 0;
    resolver(hostname, family).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        if (!allowPrivateNetworks) {
          // Any non-public answer refuses the host: the socket may try every address.
          for (const a of addresses) {
            const reason = disallowedAddressReason(a.address);
            if (reason) {
              callback(new BlockedDestinationError(hostname, a.address, reason), '', 0);
              return;
            }
          }
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]?.address ?? '', addresses[0]?.family ?? 4);
      },
      (err) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };
}

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  resolver?: Resolver;
  /** Aborts the request (shutdown). */
  signal?: AbortSignal;
  /** Response bytes read (and discarded) at most; the connection is closed after that. */
  maxResponseBytes?: number;
}

export interface PostResult {
  /** The response status; null when no response came (refused, timed out, connection error). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  aborted: boolean;
}

/** POSTs `body` once. Never follows redirects; response bodies are read up to a cap and discarded. */
export function postOnce(o: PostOptions): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    let statusCode: number | null = null;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: string | null, aborted = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve({ statusCode, error: error === null ? null : error.slice(0, 500), durationMs: elapsed(), aborted });
    };
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      finish('invalid URL');
      return;
    }
    const host = bareHost(url);
    if (!o.allowPrivateNetworks && isIP(host) !== 0) {
      const reason = disallowedAddressReason(host);
      if (reason) {
        finish(new BlockedDestinationError(host, host, reason).message);
        return;
      }
    }
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, {
      method: 'POST',
      headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
      agent: false, // a new connection (and a new, checked lookup) for every attempt
      lookup: guardedLookup(o.resolver ?? systemResolver, o.allowPrivateNetworks),
    });
    timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    const onAbort = () => {
      req.destroy(new Error('aborted: the delivery worker is stopping'));
      finish('aborted', true);
    };
    if (o.signal?.aborted) {
      onAbort();
      return;
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish(err.message || String(err)));
    req.on('response', (res: IncomingMessage) => {
      statusCode = res.statusCode ?? null;
      let bytes = 0;
      const cap = o.maxResponseBytes ?? 64 * 1024;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > cap) {
          res.destroy();
          finish(null);
        }
      });
      res.on('end', () => finish(null));
      res.on('error', () => finish(null)); // the status is what counts; a broken body after it changes nothing
      res.on('close', () => finish(null));
    });
    req.end(o.body);
  });
}
