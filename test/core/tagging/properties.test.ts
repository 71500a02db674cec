import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  exitCodeFor,
  formatValidation,
  OUTPUT_FORMATS,
  type TaggingPolicy,
  type TagRule,
  validatePlan,
} from '../../../src/core/tagging/index.ts';

const KEYS = ['app_id', 'owner', 'CostCenter', 'env'];
const VALUES = ['app-1', 'App_1', 'app-2', 'cc-100', 'CC-1', 'prod', '', ' prod ', 'a,b:c%\n'];

interface ResourceSpec {
  type: string;
  tags: Record<string, string> | null;
  unknownKey: string | null;
  actions: string[];
  module: string | null;
}
interface PolicySpec {
  enforcement: 'warn' | 'block';
  enabled: boolean;
  trim: boolean;
  tags: TagRule[];
  providers: string[] | null;
}

const tagsArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 4 });
const resourceArb: fc.Arbitrary<ResourceSpec> = fc.record({
  type: fc.constantFrom(
    'aws_instance',
    'aws_s3_bucket',
    'aws_iam_role_policy',
    'azurerm_resource_group',
    'google_storage_bucket',
  ),
  tags: fc.option(tagsArb, { nil: null }),
  unknownKey: fc.option(fc.constantFrom(...KEYS), { nil: null }),
  actions: fc.constantFrom<string[]>(['create'], ['update'], ['delete', 'create'], ['no-op'], ['delete']),
  module: fc.option(fc.constantFrom('module.a', 'module.b["x"]'), { nil: null }),
});
const ruleArb: fc.Arbitrary<TagRule> = fc.oneof(
  fc.record({ key: fc.constantFrom(...KEYS), mandatory: fc.boolean(), valueType: fc.constant('ANY' as const) }),
  fc.record({
    key: fc.constantFrom(...KEYS),
    mandatory: fc.boolean(),
    valueType: fc.constant('LIST' as const),
    allowedValues: fc.subarray(VALUES),
    caseSensitive: fc.boolean(),
  }),
  fc.record({
    key: fc.constantFrom(...KEYS),
    mandatory: fc.boolean(),
    valueType: fc.constant('REGEX' as const),
    allowedRegex: fc.constantFrom('^app-[0-9]+$', 'cc-[0-9]{3}', '(a+)+$', '['),
  }),
);
const policyArb: fc.Arbitrary<PolicySpec> = fc.record({
  enforcement: fc.constantFrom('warn' as const, 'block' as const),
  enabled: fc.boolean(),
  trim: fc.boolean(),
  tags: fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
  providers: fc.option(fc.subarray(['aws', 'azure', 'google']), { nil: null }),
});

function toPlan(resources: ResourceSpec[]) {
  return {
    format_version: '1.2',
    resource_changes: resources.map((r, i) => {
      const attr = r.type.startsWith('google') ? 'labels' : 'tags';
      const after: Record<string, unknown> = { name: `r${i}` };
      if (r.type !== 'aws_iam_role_policy') after[attr] = r.tags;
      const afterUnknown: Record<string, unknown> = {};
      if (r.unknownKey && r.type !== 'aws_iam_role_policy') afterUnknown[attr] = { [r.unknownKey]: true };
      return {
        address: `${r.module ? `${r.module}.` : ''}${r.type}.r[${i}]`,
        ...(r.module ? { module_address: r.module } : {}),
        mode: 'managed',
        type: r.type,
        name: 'r',
        change: {
          actions: r.actions,
          after: r.actions.includes('create') || r.actions.includes('update') ? after : null,
          after_unknown: afterUnknown,
        },
      };
    }),
  };
}

function toPolicies(specs: PolicySpec[]): TaggingPolicy[] {
  return specs.map((p, i) => ({
    id: `p${i}`,
    name: `Policy ${i}`,
    enabled: p.enabled,
    enforcement: p.enforcement,
    trim_values: p.trim,
    scope: p.providers ? { providers: p.providers } : null,
    tags: p.tags,
  }));
}

const raw = JSON.parse(readFileSync(new URL('../../fixtures/sarif-2.1.0.json', import.meta.url), 'utf8'));
const { $schema: _draft, id, ...schema } = raw;
const validateSarif = new Ajv({ strict: false, validateFormats: false }).compile({ ...schema, $id: id });

describe('validatePlan invariants', () => {
  it('counts add up, exit code follows block violations, every format renders', () => {
    fc.assert(
      fc.property(
        fc.array(resourceArb, { maxLength: 8 }),
        fc.array(policyArb, { maxLength: 4 }),
        (resources, specs) => {
          const r = validatePlan(toPlan(resources), toPolicies(specs));
          const s = r.summary;
          expect(s.passed + s.failed + s.unknown + s.exempted).toBe(s.taggable);
          expect(s.blocking + s.warnings).toBe(r.violations.length);
          expect(s.resources).toBe(
            resources.filter((x) => x.actions.includes('create') || x.actions.includes('update')).length,
          );
          expect(exitCodeFor(r)).toBe(r.violations.some((v) => v.enforcement === 'block') ? 1 : 0);
          for (const v of r.violations) {
            expect(v.suggestions.length).toBeLessThanOrEqual(3);
            expect(v.policies.length).toBeGreaterThan(0);
            expect(r.resources.find((x) => x.address === v.address)?.status).toBe('fail');
          }
          // A missing key is reported once per resource, sub path and key.
          const missing = r.violations
            .filter((v) => v.kind === 'missing')
            .map((v) => `${v.address}|${v.sub_path}|${v.key}`);
          expect(new Set(missing).size).toBe(missing.length);
          for (const format of OUTPUT_FORMATS) expect(typeof formatValidation(r, format)).toBe('string');
          expect(validateSarif(JSON.parse(formatValidation(r, 'sarif')))).toBe(true);
          expect(XMLValidator.validate(formatValidation(r, 'junit'))).toBe(true);
          for (const line of formatValidation(r, 'github').trimEnd().split('\n'))
            expect(line).toMatch(/^::(error|warning|notice) /);
        },
      ),
      { numRuns: 150 },
    );
  });
});
