import { describe, expect, it } from 'vitest';
import {
  cidrContainsCidr,
  cidrContainsIp,
  cidrSize,
  cidrsOverlap,
  formatIPv4,
  isIPv6,
  isPrivateIPv4,
  isPublicIPv4,
  maskOf,
  parseCidr,
  parseIPv4,
  parseIPv4Cidr,
  rangeToCidrs,
} from '../../../src/core/network/ip.ts';

describe('IPv4 parsing', () => {
  it('parses dotted quads to uint32 and back', () => {
    expect(parseIPv4('10.0.1.5')).toBe(0x0a000105);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(formatIPv4(0xc0a80001)).toBe('192.168.0.1');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
  });

  it('rejects what is not an IPv4 address', () => {
    for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.-1', 'a.b.c.d', '10.0.0.1.2', '', '1..2.3', '::1']) {
      expect(parseIPv4(bad)).toBeNull();
    }
  });
});

describe('CIDRs', () => {
  it('clears host bits and reports that it did', () => {
    const c = parseIPv4Cidr('10.0.1.5/24')!;
    expect(c.text).toBe('10.0.1.0/24');
    expect(c.host_bits_set).toBe(true);
    expect(formatIPv4(c.first)).toBe('10.0.1.0');
    expect(formatIPv4(c.last)).toBe('10.0.1.255');
    expect(parseIPv4Cidr('10.0.1.0/24')!.host_bits_set).toBe(false);
  });

  it('treats a bare address as /32 and handles /0', () => {
    expect(parseIPv4Cidr('10.0.0.7')).toMatchObject({ prefix: 32, first: 0x0a000007, last: 0x0a000007 });
    expect(parseIPv4Cidr('0.0.0.0/0')).toMatchObject({ prefix: 0, first: 0, last: 0xffffffff });
    expect(cidrSize(parseIPv4Cidr('0.0.0.0/0')!)).toBe(2 ** 32);
  });

  it('rejects bad prefixes', () => {
    expect(parseIPv4Cidr('10.0.0.0/33')).toBeNull();
    expect(parseIPv4Cidr('10.0.0.0/')).toBeNull();
    expect(parseIPv4Cidr('10.0.0.0/a')).toBeNull();
  });

  it('passes IPv6 through as recognised but not computed on', () => {
    expect(isIPv6('2001:db8::/32')).toBe(true);
    expect(parseCidr('2001:db8::/32')).toEqual({ family: 'ipv6', text: '2001:db8::/32' });
    expect(parseIPv4Cidr('2001:db8::/32')).toBeNull();
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ family: 'ipv4', prefix: 8 });
  });

  it('answers containment and overlap', () => {
    const vpc = parseIPv4Cidr('10.0.0.0/16')!;
    const subnet = parseIPv4Cidr('10.0.2.0/24')!;
    const other = parseIPv4Cidr('10.1.0.0/16')!;
    expect(cidrContainsIp(vpc, parseIPv4('10.0.255.255')!)).toBe(true);
    expect(cidrContainsIp(vpc, parseIPv4('10.1.0.0')!)).toBe(false);
    expect(cidrContainsCidr(vpc, subnet)).toBe(true);
    expect(cidrContainsCidr(subnet, vpc)).toBe(false);
    expect(cidrsOverlap(vpc, subnet)).toBe(true);
    expect(cidrsOverlap(vpc, other)).toBe(false);
  });

  it('computes masks at the edges', () => {
    expect(maskOf(0)).toBe(0);
    expect(maskOf(32)).toBe(0xffffffff);
    expect(maskOf(24)).toBe(0xffffff00);
    expect(maskOf(1)).toBe(0x80000000);
  });

  it('splits a range into the fewest CIDRs', () => {
    expect(rangeToCidrs(parseIPv4('10.0.0.0')!, parseIPv4('10.0.0.255')!)).toEqual(['10.0.0.0/24']);
    expect(rangeToCidrs(parseIPv4('10.0.0.1')!, parseIPv4('10.0.0.6')!)).toEqual([
      '10.0.0.1/32',
      '10.0.0.2/31',
      '10.0.0.4/31',
      '10.0.0.6/32',
    ]);
    expect(rangeToCidrs(0, 0xffffffff)).toEqual(['0.0.0.0/0']);
  });

  it('classifies private and public addresses', () => {
    expect(isPrivateIPv4(parseIPv4('172.31.0.1')!)).toBe(true);
    expect(isPrivateIPv4(parseIPv4('172.32.0.1')!)).toBe(false);
    expect(isPublicIPv4(parseIPv4('8.8.8.8')!)).toBe(true);
    expect(isPublicIPv4(parseIPv4('10.1.2.3')!)).toBe(false);
    expect(isPublicIPv4(parseIPv4('100.64.0.1')!)).toBe(false);
    expect(isPublicIPv4(parseIPv4('224.0.0.1')!)).toBe(false);
    // Documentation ranges stand for public addresses in examples and tests.
    expect(isPublicIPv4(parseIPv4('203.0.113.9')!)).toBe(true);
  });
});
