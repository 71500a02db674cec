/**
 * The digest of a Terraform state without its serial: equal for new serials of the same state,
 * different for any other change, and not given when the top-level serial cannot be told for certain.
 */
import { describe, expect, it } from 'vitest';
import { terraformStateDigest, topLevelSerial } from '../../../src/modules/inventory/ingest/state-digest.ts';

const state = (serial: number, extra: Record<string, unknown> = {}) => ({
  version: 4,
  terraform_version: '1.9.5',
  serial,
  lineage: '3f9c2a4e-7b1d-4c55-9a0e-2d6b8f1e0c11',
  outputs: {},
  resources: [
    {
      mode: 'managed',
      type: 'aws_instance',
      name: 'web',
      provider: 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [{ schema_version: 1, attributes: { id: 'i-0abc', tags: { serial: '7' } } }],
    },
  ],
  ...extra,
});
const compact = (v: unknown) => JSON.stringify(v);
// As Terraform writes a .tfstate file.
const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

describe('terraformStateDigest', () => {
  it('is the same for new serials of a state, compact or as Terraform writes it', () => {
    for (const format of [compact, pretty]) {
      const one = terraformStateDigest(format(state(1)), 'prod', 'p1');
      expect(one).toMatch(/^[0-9a-f]{64}$/);
      expect(terraformStateDigest(format(state(2)), 'prod', 'p1')).toBe(one);
      expect(terraformStateDigest(format(state(123456)), 'prod', 'p1')).toBe(one);
    }
  });

  it('differs for any other change, another job name or another parser', () => {
    const one = terraformStateDigest(compact(state(1)), 'prod', 'p1');
    const changed = state(1);
    (changed.resources[0]?.instances[0]?.attributes as { id: string }).id = 'i-0abd';
    expect(terraformStateDigest(compact(changed), 'prod', 'p1')).not.toBe(one);
    expect(terraformStateDigest(compact(state(1, { outputs: { a: { value: 1 } } })), 'prod', 'p1')).not.toBe(one);
    expect(terraformStateDigest(compact(state(1, { lineage: 'other' })), 'prod', 'p1')).not.toBe(one);
    expect(terraformStateDigest(compact(state(1)), 'staging', 'p1')).not.toBe(one);
    expect(terraformStateDigest(compact(state(1)), 'prod', 'p2')).not.toBe(one);
  });

  it('finds only a top-level serial key, never one nested or in a string, and gives up otherwise', () => {
    const text = compact(state(42));
    const at = topLevelSerial(text);
    expect(at && text.slice(at.start, at.end)).toBe('42');
    // Resources first: the first "serial" is a tag inside them, at depth 7.
    const { resources, ...rest } = state(5);
    expect(topLevelSerial(compact({ resources, ...rest }))).toBeNull();
    // Inside an escaped string it is not the key; as a string value before the key, or with no digits after
    // it, nothing is certain.
    expect(topLevelSerial('{"note":"say \\"serial\\": 1","serial":3}')).toEqual({ start: 37, end: 38 });
    expect(topLevelSerial('{"name":"serial","serial":3}')).toBeNull();
    expect(topLevelSerial('{"serial":"3"}')).toBeNull();
    expect(topLevelSerial('{"values":{"root_module":{}}}')).toBeNull();
    // A `terraform show -json` document or a wrapped state: no top-level serial.
    expect(topLevelSerial(compact({ document: state(1) }))).toBeNull();
    // Too far in to be Terraform's own key order.
    expect(topLevelSerial(`{"padding":"${'x'.repeat(5000)}","serial":1}`)).toBeNull();
    expect(terraformStateDigest('{"serial":', 'prod', 'p1')).toBeNull();
  });
});

describe('parserVersion', () => {
  it('is a digest of the parsing code, the same on every call', async () => {
    const { parserVersion } = await import('../../../src/modules/inventory/ingest/parser-version.ts');
    expect(parserVersion()).toMatch(/^[0-9a-f]{16}$/);
    expect(parserVersion()).toBe(parserVersion());
  });
});
