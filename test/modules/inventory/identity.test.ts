/**
 * Edge ids are derived from (source, type, target) and are part of the API: the same relation must keep its
 * id across versions, or every re-ingest after an upgrade would replace every edge. Pinned here.
 */
import { describe, expect, it } from 'vitest';
import { canonicalTagsJson, edgeIdFor } from '../../../src/modules/inventory/identity.ts';

describe('edge ids', () => {
  it('are stable: these relations have had these ids since the first release', () => {
    expect(
      edgeIdFor('aws:us-east-1:aws.ec2.instance:i-0web', 'member_of', 'aws:us-east-1:aws.ec2.security_group:sg-0web'),
    ).toBe('edg_G25DND6WKPMXC0ZD54JFX221MK');
    expect(
      edgeIdFor(
        'aws:global:aws.iam.user:111111111111/alice',
        'member_of',
        'aws:global:aws.iam.group:111111111111/Admins',
      ),
    ).toBe('edg_9D44HMNTFVWFJ1GV4JSA550EYC');
    expect(edgeIdFor('tf:x:y:é/ünïcode 🚀', 'depends_on', 'a')).toBe('edg_91892T1Y14NSRN0EWQ9V8Q9S86');
  });

  it('share an 8-character prefix per source (edges of a node sit together in the primary key)', () => {
    const prefixes = new Map<string, string>();
    const a = edgeIdFor('aws:us-east-1:aws.ec2.instance:i-0web', 'member_of', 'x', prefixes);
    const b = edgeIdFor('aws:us-east-1:aws.ec2.instance:i-0web', 'contains', 'y', prefixes);
    expect(a).toMatch(/^edg_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a.slice(0, 12)).toBe(b.slice(0, 12));
    expect(a).not.toBe(b);
    expect(prefixes.get('aws:us-east-1:aws.ec2.instance:i-0web')).toBe(a.slice(4, 12));
    // The cache changes nothing.
    expect(edgeIdFor('aws:us-east-1:aws.ec2.instance:i-0web', 'member_of', 'x')).toBe(a);
  });
});

describe('canonical tag JSON', () => {
  it('is the same text whatever order the keys came in (content hashes must not care)', () => {
    expect(canonicalTagsJson({})).toBe('{}');
    expect(canonicalTagsJson({ b: '2', a: '1', c: '3' })).toBe('{"a":"1","b":"2","c":"3"}');
    expect(canonicalTagsJson({ a: '1', b: '2', c: '3' })).toBe('{"a":"1","b":"2","c":"3"}');
    // Keys that are array indices: JavaScript objects list them first, in numeric order.
    const expected = '{"9":"n","10":"t","Env":"e","env":"l"}';
    expect(canonicalTagsJson({ env: 'l', 10: 't', Env: 'e', 9: 'n' })).toBe(expected);
    expect(canonicalTagsJson({ 9: 'n', 10: 't', Env: 'e', env: 'l' })).toBe(expected);
  });
});
