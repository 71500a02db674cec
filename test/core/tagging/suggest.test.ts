import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findSimilarKey,
  foldValue,
  SuggestionIndex,
  type TaggingPolicy,
  validatePlan,
} from '../../../src/core/tagging/index.ts';

const values = ['app-1', 'app-2', 'app-12', 'billing-api', 'billing-web', 'data.lake', 'Payments Core'];

describe('SuggestionIndex', () => {
  const index = new SuggestionIndex(values);

  it('matches case and separator slips first', () => {
    expect(index.suggest('App_1')).toEqual(['app-1']);
    expect(index.suggest('APP 12')).toEqual(['app-12']);
    expect(index.suggest(' billing_api ')).toEqual(['billing-api']);
    expect(index.suggest('data-lake')).toEqual(['data.lake']);
    expect(index.suggest('payments-core')).toEqual(['Payments Core']);
    expect(index.suggest('app1')).toEqual(['app-1']); // a missing separator
  });

  it('then typos by edit distance, closest first, at most three', () => {
    expect(index.suggest('biling-api')).toEqual(['billing-api']);
    expect(index.suggest('billing-wbe')[0]).toBe('billing-web');
    expect(index.suggest('app-3')).toEqual(['app-1', 'app-2']);
    expect(index.suggest('app-7').length).toBeLessThanOrEqual(3);
  });

  it('bounds the distance: nothing for unrelated values', () => {
    expect(index.suggest('zzzzzzzz')).toEqual([]);
    expect(index.suggest('x')).toEqual([]);
  });

  it('never suggests the value itself', () => {
    expect(index.suggest('app-1')).not.toContain('app-1');
  });

  it('fold is idempotent and ignores case and separators', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(foldValue(foldValue(s))).toBe(foldValue(s));
        expect(foldValue(s.toUpperCase().replaceAll('-', '_'))).toBe(foldValue(s.toLowerCase()));
      }),
    );
  });

  it('any allowed value with one character changed gets a suggestion within the allowed set', () => {
    const set = new Set(values);
    fc.assert(
      fc.property(fc.constantFrom(...values), fc.nat(), fc.constantFrom('x', 'q', '9'), (value, at, ch) => {
        const i = at % value.length;
        const typo = value.slice(0, i) + ch + value.slice(i + 1);
        const got = index.suggest(typo);
        if (set.has(typo)) return;
        expect(got.length).toBeGreaterThan(0);
        for (const g of got) expect(set.has(g)).toBe(true);
      }),
    );
  });
});

describe('findSimilarKey', () => {
  it('finds keys that differ by case, separators or a small typo', () => {
    expect(findSimilarKey('app_id', ['Name', 'App-ID'])).toBe('App-ID');
    expect(findSimilarKey('CostCenter', ['costcentre'])).toBe('costcentre');
    expect(findSimilarKey('owner', ['Name', 'env'])).toBeNull();
  });
});

describe('50,000 allowed values on one key', () => {
  const allowed = Array.from({ length: 50_000 }, (_, i) => `svc-${String(i + 1).padStart(5, '0')}`);
  const policy: TaggingPolicy = {
    id: 'pol_cmdb',
    name: 'CMDB services',
    enabled: true,
    enforcement: 'block',
    message: 'Register the service in the CMDB first.',
    tags: [{ key: 'service', mandatory: true, valueType: 'LIST', allowedValues: allowed }],
  };
  const actuals = ['svc-00001', 'svc-50000', 'SVC_12345', 'svc-1234x', 'svc-99999', 'totally-unknown', 'svc-25000'];
  const plan = {
    format_version: '1.2',
    resource_changes: actuals.map((service, i) => ({
      address: `aws_sqs_queue.q[${i}]`,
      mode: 'managed',
      type: 'aws_sqs_queue',
      name: 'q',
      index: i,
      change: { actions: ['create'], after: { tags: { service }, tags_all: { service } }, after_unknown: {} },
    })),
  };

  it('validates correctly and suggests quickly', () => {
    const started = performance.now();
    const r = validatePlan(plan, [policy]);
    const elapsed = performance.now() - started;
    expect(r.violations.map((v) => v.actual)).toEqual(['SVC_12345', 'svc-1234x', 'svc-99999', 'totally-unknown']);
    const byActual = Object.fromEntries(r.violations.map((v) => [v.actual, v.suggestions]));
    expect(byActual.SVC_12345).toEqual(['svc-12345']);
    expect(byActual['svc-1234x']!.length).toBeGreaterThan(0);
    for (const s of byActual['svc-1234x']!) expect(s.startsWith('svc-1234')).toBe(true);
    expect(byActual['svc-99999']!.length).toBeGreaterThan(0);
    expect(byActual['totally-unknown']).toEqual([]);
    expect(r.violations[0]!.rule.text).toContain('50,000 allowed values');
    expect(r.violations[0]!.rule.allowed_sample).toEqual(['svc-00001', 'svc-00002', 'svc-00003']);
    expect(JSON.stringify(r).length).toBeLessThan(20_000); // the list is summarised, never dumped
    expect(elapsed).toBeLessThan(2_000);
  });
});
