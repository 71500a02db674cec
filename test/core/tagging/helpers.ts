import { readFileSync } from 'node:fs';
import type { TaggingPolicy } from '../../../src/core/tagging/index.ts';

export function loadPlan(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../fixtures/tagging/${name}`, import.meta.url), 'utf8'));
}

export const APP_IDS = ['app-1', 'app-2', 'app-3', 'app-4', 'app-5', 'app-9'];
export const FINOPS_MESSAGE =
  "The application ID isn't valid, please ensure your application is registered at https://services.acme-inc.com/list";

export function finopsPolicy(overrides: Partial<TaggingPolicy> = {}): TaggingPolicy {
  return {
    id: 'pol_finops',
    name: 'FinOps showback',
    description: 'Application and cost centre on every resource',
    enabled: true,
    enforcement: 'block',
    message: FINOPS_MESSAGE,
    tags: [
      { key: 'app_id', mandatory: true, valueType: 'LIST', allowedValues: APP_IDS },
      {
        key: 'CostCenter',
        mandatory: true,
        valueType: 'REGEX',
        allowedRegex: '^cc-[0-9]{3}$',
        message: 'CostCenter must look like cc-123',
      },
    ],
    ...overrides,
  };
}

export function ownerPolicy(overrides: Partial<TaggingPolicy> = {}): TaggingPolicy {
  return {
    id: 'pol_owner',
    name: 'Ownership',
    enabled: true,
    enforcement: 'warn',
    message: 'Every resource needs an owner team.',
    scope: { providers: ['aws'] },
    tags: [{ key: 'owner', mandatory: true, valueType: 'ANY' }],
    ...overrides,
  };
}

export const NOW = new Date('2025-06-01T00:00:00Z');
