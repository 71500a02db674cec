/**
 * IPv4 addresses and CIDR blocks as unsigned 32-bit integers.
 *
 * Pure helpers shared by the path tracer and anyone else who needs to compare
 * addresses. IPv6 is recognised (so callers can report it) but not computed
 * on: `parseCidr` returns `{ family: 'ipv6' }` for it and every IPv4-only
 * function returns null / false for IPv6 input instead of guessing.
 */

/** A parsed IPv4 CIDR block. `first`/`last` are inclusive uint32 bounds. */
export interface Ipv4Cidr {
  family: 'ipv4';
  /** Network address (host bits cleared), uint32. */
  first: number;
  /** Broadcast address, uint32. */
  last: number;
  prefix: number;
  /** Canonical text, host bits cleared: '10.0.1.0/24'. */
  text: string;
  /** True when the input had host bits set ('10.0.1.5/24'); AWS would normalise it. */
  host_bits_set: boolean;
}

/** An IPv6 CIDR or address: recognised, kept verbatim, not computed on. */
export interface Ipv6Cidr {
  family: 'ipv6';
  text: string;
}

export type ParsedCidr = Ipv4Cidr | Ipv6Cidr;

/** Parses dotted-quad IPv4 to a uint32, or null when it is not one. */
export function parseIPv4(text: string): number | null {
  const parts = text.trim().split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3 || !/^\d+$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Formats a uint32 as dotted-quad. */
export function formatIPv4(value: number): string {
  const v = value >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** A loose syntactic check, enough to tell an IPv6 literal from IPv4 or garbage. */
export function isIPv6(text: string): boolean {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash >= 0 ? t.slice(0, slash) : t;
  return addr.includes(':') && /^[0-9a-fA-F:.]+$/.test(addr);
}

export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== null;
}

/** Netmask of a prefix length as uint32 (/0 → 0, /32 → 0xffffffff). */
export function maskOf(prefix: number): number {
  if (prefix <= 0) return 0;
  if (prefix >= 32) return 0xffffffff;
  return (0xffffffff << (32 - prefix)) >>> 0;
}

/** Builds a CIDR from an address and prefix length. */
export function ipv4Cidr(address: number, prefix: number): Ipv4Cidr {
  const mask = maskOf(prefix);
  const first = (address & mask) >>> 0;
  const last = (first | ~mask) >>> 0;
  return {
    family: 'ipv4',
    first,
    last,
    prefix,
    text: `${formatIPv4(first)}/${prefix}`,
    host_bits_set: first !== address >>> 0,
  };
}

/**
 * Parses 'a.b.c.d/n' (a bare IPv4 address counts as /32) or an IPv6 CIDR.
 * Returns null for anything else.
 */
export function parseCidr(text: string): ParsedCidr | null {
  const t = text.trim();
  if (isIPv6(t)) return { family: 'ipv6', text: t };
  return parseIPv4Cidr(t);
}

/** Like parseCidr but IPv4 only: IPv6 and garbage give null. */
export function parseIPv4Cidr(text: string): Ipv4Cidr | null {
  const t = text.trim();
  const slash = t.indexOf('/');
  const address = parseIPv4(slash >= 0 ? t.slice(0, slash) : t);
  if (address === null) return null;
  let prefix = 32;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,2}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > 32) return null;
  }
  return ipv4Cidr(address, prefix);
}

export function prefixLength(cidr: Ipv4Cidr): number {
  return cidr.prefix;
}

export function cidrContainsIp(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.first && address <= cidr.last;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContainsCidr(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** Number of addresses in the block (2^(32-prefix)). */
export function cidrSize(cidr: Ipv4Cidr): number {
  return cidr.last - cidr.first + 1;
}

/** The smallest list of CIDR blocks covering exactly [first, last]. */
export function rangeToCidrs(first: number, last: number): string[] {
  const out: string[] = [];
  let start = first >>> 0;
  const end = last >>> 0;
  while (start <= end) {
    // Largest block aligned on `start` that does not run past `end`.
    let prefix = 32;
    while (prefix > 0) {
      const size = 2 ** (32 - (prefix - 1));
      if (start % size !== 0 || start + size - 1 > end) break;
      prefix--;
    }
    out.push(`${formatIPv4(start)}/${prefix}`);
    const next = start + 2 ** (32 - prefix);
    if (next > 0xffffffff) break;
    start = next;
  }
  return out;
}

/**
 * Special-purpose IPv4 ranges (RFC 6890 and friends) that are not routable
 * on the public internet. The documentation ranges (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24) are deliberately absent: examples and
 * tests use them to stand for public addresses.
 */
export const NON_PUBLIC_IPV4_RANGES: readonly Ipv4Cidr[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
].map((c) => parseIPv4Cidr(c) as Ipv4Cidr);

/** RFC 1918 private ranges only. */
export function isPrivateIPv4(address: number): boolean {
  return (
    (address >= 0x0a000000 && address <= 0x0affffff) ||
    (address >= 0xac100000 && address <= 0xac1fffff) ||
    (address >= 0xc0a80000 && address <= 0xc0a8ffff)
  );
}

/** True when the address is routable on the public internet. */
export function isPublicIPv4(address: number): boolean {
  for (const range of NON_PUBLIC_IPV4_RANGES) {
    if (address >= range.first && address <= range.last) return false;
  }
  return true;
}
