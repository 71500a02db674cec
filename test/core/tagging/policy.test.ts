import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildTaggableTypesFile,
  providerOfSchemaKey,
  taggableTypesFromSchema,
  typesFromNameList,
} from '../../../scripts/generate-taggable-types.ts';
import taggableData from '../../../src/core/tagging/data/taggable-resource-types.json' with { type: 'json' };
import {
  checkRegexSafety,
  compilePolicies,
  compilePolicy,
  compileTagRegex,
  infracastTypeFor,
  isTaggableType,
  normalizePolicyTags,
  parseIsoInstant,
  policyProblems,
  SCOPE_PROVIDERS,
  type TaggingPolicy,
  terraformTypeFor,
  terraformTypeOf,
} from '../../../src/core/tagging/index.ts';

describe('checkRegexSafety', () => {
  it.each([
    '(a+)+$',
    '(x+x+)+y',
    '(a|a)*',
    '(a|ab)*c',
    '(a*)*',
    '(\\w+\\s?)*$',
    '(.*a){20}',
    '(a{2,3})+',
    '^(?=(a+)+b)',
  ])('rejects %s as catastrophic', (pattern) => {
    const r = checkRegexSafety(pattern);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(/catastrophic/);
  });

  it.each([
    '^\\d*\\d*\\d*x$',
    '.*.*.*=',
    '^\\w+-?\\w+-?\\w+!',
    '.+[a-z]{1,3}[ab]*b+(\\w+\\w)?[a-z](b*|a)?\\w', // found by the fuzz test below
  ])('rejects polynomial chains like %s', (pattern) => {
    const r = checkRegexSafety(pattern);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/adjacent quantifiers/) });
  });

  it.each(['[', '(abc', 'a{2,1}', '*a'])('rejects invalid syntax %s', (pattern) => {
    const r = checkRegexSafety(pattern);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^invalid regular expression/) });
  });

  it.each([
    '^app-[0-9]+$',
    '^(prod|staging|dev)$',
    '^(\\d{1,3}\\.){3}\\d{1,3}$',
    '^[a-z0-9]+(-[a-z0-9]+)*$',
    '^([a-z]+-)*[a-z]+$',
    '^[\\w.-]+@[\\w-]+\\.[a-z]{2,}$',
    '^\\p{Lu}[\\p{L}\\d]*$',
    '^[A-Za-z]+[A-Za-z0-9]*$',
    '^.*-prod-.*$',
    '^\\s*\\S+\\s*$',
  ])('accepts %s', (pattern) => {
    expect(checkRegexSafety(pattern)).toEqual({ ok: true });
  });

  it('rejects empty and oversized patterns', () => {
    expect(checkRegexSafety('').ok).toBe(false);
    expect(checkRegexSafety('a'.repeat(1001)).ok).toBe(false);
  });
});

describe('normalizePolicyTags', () => {
  it('dedupes allowed values keeping order, trims only when asked', () => {
    const tags = [
      { key: 'app', mandatory: true, valueType: 'LIST' as const, allowedValues: ['b', 'a', 'b', ' a ', 'c'] },
    ];
    expect(normalizePolicyTags(tags)[0]!.allowedValues).toEqual(['b', 'a', ' a ', 'c']);
    expect(normalizePolicyTags(tags, { trimValues: true })[0]!.allowedValues).toEqual(['b', 'a', 'c']);
    expect(tags[0]!.allowedValues).toHaveLength(5); // input untouched
  });

  it('dedupes case-insensitively for case-insensitive rules', () => {
    const tags = [
      {
        key: 'env',
        mandatory: true,
        valueType: 'LIST' as const,
        allowedValues: ['Prod', 'prod', 'DEV'],
        caseSensitive: false,
      },
    ];
    expect(normalizePolicyTags(tags)[0]!.allowedValues).toEqual(['Prod', 'DEV']);
  });
});

describe('compilePolicies', () => {
  const policy: TaggingPolicy = {
    id: 'p',
    name: 'P',
    enabled: true,
    enforcement: 'warn',
    tags: [{ key: 'env', mandatory: true, valueType: 'LIST', allowedValues: ['prod'], caseSensitive: false }],
    exemptions: [{ resource: 'x', expires_at: 'not a date' }],
  };

  it('compiles once per policy object and reuses a compiled set', () => {
    expect(compilePolicy(policy)).toBe(compilePolicy(policy));
    const set = compilePolicies([policy]);
    expect(compilePolicies(set)).toBe(set);
    expect(set.policies[0]!.rules[0]!.accepts('PROD')).toBe(true);
  });

  it('does not turn an unreadable expiry into a permanent exemption', () => {
    const set = compilePolicies([policy]);
    expect(set.warnings.join()).toMatch(/unreadable expires_at/);
    expect(set.policies[0]!.exemptionFor(['x'], Date.now())).toBeNull();
  });

  it('reads an impossible expiry date as unreadable, not as a day of the next month', () => {
    // Date.parse reads 2027-02-30 as March 2: the exemption would still apply on March 1.
    const set = compilePolicies([{ ...policy, exemptions: [{ resource: 'x', expires_at: '2027-02-30' }] }]);
    expect(set.warnings.join()).toMatch(/unreadable expires_at \(2027-02-30\)/);
    expect(set.policies[0]!.exemptionFor(['x'], Date.parse('2027-03-01T00:00:00Z'))).toBeNull();
  });
});

describe('parseIsoInstant', () => {
  it.each([
    ['2027-03-31', '2027-03-31T00:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
    ['2000-02-29', '2000-02-29T00:00:00.000Z'],
    ['2027-03-31T12:30:00Z', '2027-03-31T12:30:00.000Z'],
    ['2027-03-31T12:30:00.25+02:00', '2027-03-31T10:30:00.250Z'],
    ['2027-03-31t12:30:00-0130', '2027-03-31T14:00:00.000Z'],
    ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(new Date(parseIsoInstant(text)!).toISOString()).toBe(iso);
  });

  it.each([
    '2027-02-30',
    '2027-02-29',
    '1900-02-29',
    '2027-04-31',
    '2026-11-31',
    '2027-13-01',
    '2027-00-10',
    '2027-01-00',
    '2027-02-30T10:00:00Z',
    '2027-03-01T24:00:00Z',
    '2027-03-01T10:60:00Z',
    '2027-03-01T10:00:00', // no zone: whose ten o'clock?
    '2027-03-01T10:00:00+24:00',
    '2027-3-1',
    'next tuesday',
    '',
  ])('rejects %j', (text) => {
    expect(parseIsoInstant(text)).toBeNull();
  });
});

describe('resource types', () => {
  it('maps Infracast and Terraform types both ways', () => {
    expect(terraformTypeFor('aws.ec2.instance')).toBe('aws_instance');
    expect(terraformTypeFor('aws.s3.bucket')).toBe('aws_s3_bucket');
    expect(terraformTypeFor('aws.elbv2.load_balancer')).toBe('aws_lb');
    expect(terraformTypeFor('azure.storage.account', 'azure')).toBe('azurerm_storage_account');
    expect(terraformTypeFor('google.compute.instance', 'google')).toBe('google_compute_instance');
    expect(infracastTypeFor('aws_instance')).toBe('aws.ec2.instance');
    expect(infracastTypeFor('aws_lambda_function')).toBe('aws.lambda.function');
    expect(
      terraformTypeOf({ provider: 'aws', type: 'aws.ec2.thing', attributes: { terraform_type: 'aws_thing' } }),
    ).toBe('aws_thing');
  });

  it('knows taggable types from the checked-in list', () => {
    expect(isTaggableType('aws_instance')).toBe(true);
    expect(isTaggableType('aws_iam_role_policy')).toBe(false);
    expect(isTaggableType('aws_autoscaling_group')).toBe(true);
    expect(isTaggableType('azurerm_resource_group')).toBe(true);
    expect(isTaggableType('google_storage_bucket')).toBe(true);
    expect(isTaggableType('random_id')).toBe(false);
  });

  it('the data file says where it came from', () => {
    expect(taggableData.aws.length).toBeGreaterThan(700);
    expect(taggableData.azurerm.length).toBeGreaterThan(400);
    expect(taggableData.google.length).toBeGreaterThan(250);
    expect(Object.keys(taggableData.generated_from).sort()).toEqual(['aws', 'azurerm', 'google']);
    expect(taggableData.generated_from.aws).toMatch(/tflint-ruleset-aws/);
    expect([...taggableData.aws].sort()).toEqual(taggableData.aws);
  });
});

describe('generate-taggable-types', () => {
  const schema = {
    format_version: '1.0',
    provider_schemas: {
      'registry.terraform.io/hashicorp/aws': {
        resource_schemas: {
          aws_instance: { block: { attributes: { ami: {}, tags: {}, tags_all: {} } } },
          aws_iam_role_policy: { block: { attributes: { policy: {} } } },
        },
      },
      'registry.terraform.io/hashicorp/google-beta': {
        resource_schemas: {
          google_storage_bucket: { block: { attributes: { labels: {}, effective_labels: {} } } },
          google_compute_network: { block: { attributes: { name: {} } } },
        },
      },
      'registry.terraform.io/hashicorp/random': { resource_schemas: { random_id: { block: { attributes: {} } } } },
    },
  };

  it('lists types with tags (aws, azurerm) or labels (google)', () => {
    expect(taggableTypesFromSchema(schema)).toEqual({ aws: ['aws_instance'], google: ['google_storage_bucket'] });
    expect(providerOfSchemaKey('registry.terraform.io/hashicorp/azurerm')).toBe('azurerm');
    expect(() => taggableTypesFromSchema({})).toThrow(/provider_schemas/);
  });

  it('reads name lists and merges with a previous file', () => {
    expect(typesFromNameList('b\n# comment\n\na\nb\n')).toEqual(['a', 'b']);
    const previous = {
      aws: ['x'],
      azurerm: ['y'],
      google: [],
      generated_from: { aws: 'old', azurerm: 'older' },
      generated_at: '',
    };
    const file = buildTaggableTypesFile({ aws: ['z'] }, { aws: 'new' }, previous, new Date('2025-01-01T00:00:00Z'));
    expect(file).toEqual({
      aws: ['z'],
      azurerm: ['y'],
      google: [],
      generated_from: { aws: 'new', azurerm: 'older' },
      generated_at: '2025-01-01T00:00:00.000Z',
    });
  });
});

describe('policyProblems', () => {
  it('is empty for a good policy and names each problem otherwise', () => {
    const good: TaggingPolicy = {
      id: 'p',
      name: 'P',
      enabled: true,
      enforcement: 'block',
      tags: [{ key: 'app', mandatory: true, valueType: 'REGEX', allowedRegex: '^app-[0-9]+$' }],
    };
    expect(policyProblems(good)).toEqual([]);
    const bad = {
      ...good,
      enforcement: 'deny',
      tags: [
        { key: 'app', mandatory: true, valueType: 'REGEX', allowedRegex: '(a+)+$' },
        { key: 'app', mandatory: true, valueType: 'LIST', allowedValues: [] },
        { key: 'x', mandatory: true, valueType: 'ENUM' },
      ],
      exemptions: [{ resource: '', expires_at: 'soon' }],
    } as unknown as TaggingPolicy;
    expect(policyProblems(bad)).toEqual([
      "enforcement must be 'warn' or 'block'",
      expect.stringMatching(/^tags\[0\]\.allowedRegex: nested quantifiers/),
      'tags[1].key app is repeated; give each key one rule',
      'tags[1].allowedValues must list at least one value for a LIST rule',
      'tags[2].valueType must be ANY, LIST or REGEX',
      'exemptions[0].resource is required',
      'exemptions[0].expires_at must be an ISO date (2027-03-31) or a date-time with its zone (2027-03-31T12:00:00Z)',
    ]);
  });

  it('names what would make a policy, or an exemption, quietly apply to nothing', () => {
    const good: TaggingPolicy = {
      id: 'p',
      name: 'P',
      enabled: true,
      enforcement: 'warn',
      scope: { providers: ['aws', 'AzureRM', 'google-beta', 'gcp'] },
      exemptions: [{ resource: 'x', keys: ['app'] }, { resource: 'y' }],
      tags: [{ key: 'app', mandatory: true, valueType: 'ANY' }],
    };
    expect(policyProblems(good)).toEqual([]);
    expect(
      policyProblems({
        ...good,
        scope: { providers: ['aws', 'bogus'] },
        exemptions: [{ resource: 'x', keys: ['app', 'zz'] }],
      }),
    ).toEqual([
      `scope.providers[1] must be one of ${SCOPE_PROVIDERS.join(', ')}, not bogus`,
      "exemptions[0].keys[1] zz is not a key of the policy's rules (app)",
    ]);
    // No rules: it would pass every resource in scope. Allowed only while disabled (a draft).
    expect(policyProblems({ ...good, exemptions: [], tags: [] })).toEqual([
      'tags must hold at least one rule while the policy is enabled (or set enabled to false)',
    ]);
    expect(policyProblems({ ...good, exemptions: [], tags: [], enabled: false })).toEqual([]);
  });

  it.each(['2027-02-30', '2027-04-31', '2027-02-29', '2027-02-30T10:00:00Z'])(
    'rejects the impossible expiry date %s',
    (expires_at) => {
      const policy: TaggingPolicy = {
        id: 'p',
        name: 'P',
        enabled: true,
        enforcement: 'warn',
        exemptions: [{ resource: 'x', expires_at }],
        tags: [{ key: 'app', mandatory: true, valueType: 'ANY' }],
      };
      expect(policyProblems(policy)).toEqual([
        expect.stringMatching(/^exemptions\[0\]\.expires_at must be an ISO date/),
      ]);
    },
  );
});

describe('checkRegexSafety against real backtracking', () => {
  const atom = fc.constantFrom('a', 'b', '[a-z]', '\\d', '\\w', '-', '.', '[ab]');
  const quant = fc.constantFrom('', '', '*', '+', '?', '{1,3}', '{2,}');
  const leaf = fc.tuple(atom, quant).map(([a, q]) => a + q);
  const pattern: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc
        .tuple(fc.array(tie('node'), { minLength: 1, maxLength: 3 }), quant)
        .map(([items, q]) => `(${items.join('')})${q}`),
      fc.tuple(tie('node'), tie('node'), quant).map(([a, b, q]) => `(${a}|${b})${q}`),
      fc.array(tie('node'), { minLength: 2, maxLength: 4 }).map((items) => items.join('')),
    ),
  })).node;
  const adversarial = ['a', 'ab', 'a-', '1', 'a1', '-'].flatMap((unit) => [
    `${unit.repeat(Math.ceil(255 / unit.length)).slice(0, 255)}!`,
    `!${unit.repeat(Math.ceil(255 / unit.length)).slice(0, 255)}`,
  ]);

  it('patterns it accepts finish quickly on 256-character adversarial values', () => {
    fc.assert(
      fc.property(pattern, (p) => {
        if (!checkRegexSafety(p).ok) return;
        const compiled = compileTagRegex(p, false);
        if (!compiled.ok) return;
        const started = performance.now();
        for (const input of adversarial) compiled.regex.test(input);
        // Catastrophic cases take seconds to hours; accepted ones take milliseconds even on a loaded CI machine.
        expect(performance.now() - started).toBeLessThan(1_000);
      }),
      { numRuns: 400 },
    );
  });
});
