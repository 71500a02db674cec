import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty } from '../../../src/core/tagging/format/index.ts';
import {
  exitCodeFor,
  formatValidation,
  OUTPUT_FORMATS,
  type TaggingPolicy,
  validatePlan,
} from '../../../src/core/tagging/index.ts';
import { FINOPS_MESSAGE, finopsPolicy, loadPlan, NOW, ownerPolicy } from './helpers.ts';

const result = validatePlan(loadPlan('aws.plan.json'), [finopsPolicy(), ownerPolicy()], { now: NOW });
const clean = validatePlan(loadPlan('aws.plan.json'), [], { now: NOW });

function sarifValidator() {
  // The official schema is draft-04 (`id`, not `$id`); every keyword it uses means the same in
  // draft-07, so it is loaded unchanged except for those two header fields.
  const raw = JSON.parse(readFileSync(new URL('../../fixtures/sarif-2.1.0.json', import.meta.url), 'utf8'));
  const { $schema: _draft, id, ...schema } = raw;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv.compile({ ...schema, $id: id });
}

describe('sarif', () => {
  const validate = sarifValidator();

  it('is valid SARIF 2.1.0', () => {
    for (const r of [result, clean]) {
      const log = JSON.parse(formatValidation(r, 'sarif', { toolVersion: '0.1.0' }));
      const ok = validate(log);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('has one rule per policy tag rule, error for block and warning for warn', () => {
    const log = JSON.parse(formatValidation(result, 'sarif'));
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([
      'pol_finops/app_id',
      'pol_finops/CostCenter',
      'pol_owner/owner',
    ]);
    expect(run.tool.driver.rules[0].defaultConfiguration.level).toBe('error');
    expect(run.tool.driver.rules[2].defaultConfiguration.level).toBe('warning');
    expect(run.results).toHaveLength(result.violations.length);
    const first = run.results[0];
    expect(first).toMatchObject({ ruleId: 'pol_finops/app_id', ruleIndex: 0, level: 'error' });
    expect(first.message.text).toContain(FINOPS_MESSAGE);
    expect(first.message.text).toContain('"app-1"');
    expect(first.locations[0].logicalLocations[0]).toEqual({
      name: 'aws_instance.web[0]',
      fullyQualifiedName: 'aws_instance.web[0]',
      kind: 'resource',
    });
    expect(first.locations[0].physicalLocation).toBeUndefined();
    expect(run.results.filter((r: { level: string }) => r.level === 'warning')).toHaveLength(2);
  });

  it('adds file and line when known, or the default file', () => {
    const withFile = structuredClone(result);
    withFile.violations[0]!.file = 'modules/web/main.tf';
    withFile.violations[0]!.line = 12;
    const log = JSON.parse(formatValidation(withFile, 'sarif', { defaultFile: 'plan.json' }));
    expect(validate(log)).toBe(true);
    expect(log.runs[0].results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'modules/web/main.tf' },
      region: { startLine: 12 },
    });
    expect(log.runs[0].results[1].locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'plan.json' } });
  });

  it('fingerprints are stable across runs', () => {
    const a = JSON.parse(formatValidation(result, 'sarif')).runs[0].results.map(
      (r: { partialFingerprints: object }) => r.partialFingerprints,
    );
    const again = validatePlan(loadPlan('aws.plan.json'), [finopsPolicy(), ownerPolicy()], { now: NOW });
    const b = JSON.parse(formatValidation(again, 'sarif')).runs[0].results.map(
      (r: { partialFingerprints: object }) => r.partialFingerprints,
    );
    expect(a).toEqual(b);
    expect(new Set(a.map((f: Record<string, string>) => Object.values(f)[0])).size).toBe(a.length);
  });
});

describe('junit', () => {
  const xml = formatValidation(result, 'junit');
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    isArray: (name) => ['testsuite', 'testcase', 'failure'].includes(name),
  });

  it('is well-formed XML that CI readers parse', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml);
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s: Record<string, string>) => s['@_name'])).toEqual([
      'FinOps showback (pol_finops)',
      'Ownership (pol_owner)',
    ]);
    const finops = suites[0];
    // Every taggable resource the policy applied to is a testcase.
    expect(finops.testcase).toHaveLength(9);
    expect(Number(finops['@_tests'])).toBe(9);
    expect(Number(finops['@_failures'])).toBe(4);
    expect(Number(finops['@_skipped'])).toBe(1); // aws_lambda_function.fn: known after apply
    const web0 = finops.testcase.find((t: Record<string, string>) => t['@_name'] === 'aws_instance.web[0]');
    expect(web0.failure).toHaveLength(2);
    expect(web0.failure[0]['@_type']).toBe('block');
    expect(web0.failure[0]['@_message']).toContain(FINOPS_MESSAGE);
    expect(web0.failure[0]['#text']).toContain('did you mean "app-1"?');
    // Ownership fails on aws_instance.web[0] only (its own tags and its volume_tags).
    expect(Number(doc.testsuites['@_failures'])).toBe(4 + 1);
  });

  it('escapes XML special and control characters', () => {
    const nasty: TaggingPolicy = finopsPolicy({ message: 'use <app> & "quotes" \u0001 here' });
    const r = validatePlan(loadPlan('aws.plan.json'), [nasty], { now: NOW });
    const out = formatValidation(r, 'junit');
    expect(XMLValidator.validate(out)).toBe(true);
    expect(out).toContain('use &lt;app&gt; &amp; &quot;quotes&quot; \uFFFD here');
    const doc = parser.parse(out);
    expect(
      doc.testsuites.testsuite[0].testcase.find((t: { failure?: unknown[] }) => t.failure).failure[0]['@_message'],
    ).toContain('use <app> & "quotes"');
  });

  it('an empty run is still valid', () => {
    expect(XMLValidator.validate(formatValidation(clean, 'junit'))).toBe(true);
  });
});

describe('github', () => {
  it('escapes data and properties as the runner requires', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
  });

  it('emits ::error for block and ::warning for warn, one line per violation plus a notice', () => {
    const lines = formatValidation(result, 'github').trimEnd().split('\n');
    expect(lines).toHaveLength(result.violations.length + 1);
    expect(lines.filter((l) => l.startsWith('::error '))).toHaveLength(6);
    expect(lines.filter((l) => l.startsWith('::warning '))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/^::notice title=Infracast tagging::FAIL/);
    expect(lines[0]).toMatch(
      /^::error title=Tagging%3A app_id on aws_instance\.web\[0\]::aws_instance\.web\[0\]: tag app_id/,
    );
  });

  it('never lets a message break out of its command', () => {
    const hostile = finopsPolicy({ message: 'line one\nline two 100%\r::error::injected' });
    const plan = loadPlan('aws.plan.json') as { resource_changes: { address: string }[] };
    plan.resource_changes[0]!.address = 'aws_instance.web["a,b:c"]';
    const out = formatValidation(validatePlan(plan, [hostile], { now: NOW }), 'github', {
      defaultFile: 'infra/plan.json',
    });
    const lines = out.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^::(error|warning|notice)[ :]/);
    expect(out).toContain('line one%0Aline two 100%25%0D::error::injected');
    expect(out).toContain('file=infra/plan.json');
    expect(out).toContain('title=Tagging%3A app_id on aws_instance.web["a%2Cb%3Ac"]');
  });
});

describe('markdown', () => {
  it('has a summary line and a table of violations', () => {
    const md = formatValidation(result, 'markdown');
    expect(md.split('\n')[0]).toBe(
      '### ❌ Infracast tagging: FAIL: 6 blocking, 2 warnings in 4 of 9 taggable resources, 55.56% tagged correctly (2 unknown until apply)',
    );
    expect(md).toContain('| | Resource | Key | Actual | Expected / message | Did you mean |');
    expect(md).toContain(
      "| ❌ | `aws_instance.web[0]` | `app_id` | `App_1` | one of 6 allowed values (e.g. app-1, app-2, app-3)<br>The application ID isn't valid",
    );
    expect(md).toContain('| `app-1` |');
    expect(md).toContain('_missing_');
    expect(md).not.toContain('<details><summary>2 more');
  });

  it('collapses the rest into <details> when long, blocking rows first', () => {
    const md = formatValidation(result, 'markdown', { maxTableRows: 3 });
    expect(md).toContain('<details><summary>5 more violations</summary>');
    const firstTable = md.split('<details>')[0]!;
    expect(firstTable.match(/^\| ❌/gm)).toHaveLength(3);
  });

  it('escapes pipes and HTML in cells', () => {
    const r = validatePlan(loadPlan('aws.plan.json'), [finopsPolicy({ message: 'a | b <script>' })], { now: NOW });
    const md = formatValidation(r, 'markdown');
    expect(md).toContain('a \\| b &lt;script&gt;');
    expect(md).not.toContain('<script>');
  });

  it('says so when everything passes', () => {
    expect(formatValidation(clean, 'markdown')).toMatch(/^### ✅ Infracast tagging: PASS/);
  });

  it('the summary line says how many resources no policy covers, and which disabled policies were checked', () => {
    const scoped = finopsPolicy({
      enabled: false,
      scope: { resource_types: { include: ['aws_instance', 'aws_s3_bucket'] } },
    });
    const r = validatePlan(loadPlan('aws.plan.json'), [scoped], { now: NOW, includeDisabled: true });
    expect(formatValidation(r, 'markdown').split('\n')[0]).toBe(
      '### ❌ Infracast tagging: FAIL: 2 blocking, 0 warnings in 1 of 9 taggable resources, 66.67% tagged correctly (6 not covered by any policy, 1 disabled policy checked as named)',
    );
    expect(formatValidation(clean, 'text').split('\n')[0]).toBe(
      'Infracast tagging: PASS: 9 taggable of 12 resources checked against 0 policies (9 not covered by any policy)',
    );
  });
});

describe('text and json', () => {
  it('text groups by resource with the message and suggestion', () => {
    const text = formatValidation(result, 'text');
    expect(text.split('\n')[0]).toMatch(/^Infracast tagging: FAIL: 6 blocking/);
    expect(text).toContain('✖ error  aws_instance.web[0]  (aws_instance)');
    expect(text).toContain('tag app_id = "App_1" is not allowed');
    expect(text).toContain('→ did you mean "app-1"?');
    expect(text).toContain('✖ error  aws_instance.web[0] (volume_tags)  (aws_instance)');
    expect(text).toContain('Known only after apply (not failed): aws_s3_bucket.logs, aws_lambda_function.fn');
  });

  it('json round-trips the result', () => {
    expect(JSON.parse(formatValidation(result, 'json'))).toEqual(JSON.parse(JSON.stringify(result)));
  });

  it('every format renders', () => {
    for (const format of OUTPUT_FORMATS) expect(formatValidation(result, format).length).toBeGreaterThan(0);
  });
});

describe('exit codes', () => {
  it('fail only on block violations', () => {
    expect(exitCodeFor(result)).toBe(1);
    expect(exitCodeFor(clean)).toBe(0);
    expect(exitCodeFor(validatePlan(loadPlan('aws.plan.json'), [ownerPolicy()], { now: NOW }))).toBe(0);
  });
});
