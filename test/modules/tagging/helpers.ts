/** Shared by the tagging API tests: the seed's request body, policy bodies, a tenant with callers. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { DatabaseDialect } from '../../../src/platform/config.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';

/** The seed's tags.json, byte for byte (its formatting, de-indented out of the Markdown list). */
export const SEED_TAGS_JSON = `{
  "data": {
    "attributes": {
      "tags": [
        {
          "key": "app_id",
          "mandatory": true,
          "valueType": "LIST",
          "allowedValues": [
            "app1",
            "app2",
            "app3",
            "app4",
            "app5"
          ]
        }
      ]
    }
  }
}
`;

export const FINOPS_MESSAGE =
  "The application ID isn't valid, please ensure your application is registered at https://services.acme-inc.com/list";

export const finopsBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'FinOps showback',
  description: 'Application and cost centre on every resource',
  enforcement: 'block',
  message: FINOPS_MESSAGE,
  tags: [
    {
      key: 'app_id',
      mandatory: true,
      valueType: 'LIST',
      allowedValues: ['app-1', 'app-2', 'app-3', 'app-4', 'app-5', 'app-9'],
    },
    {
      key: 'CostCenter',
      mandatory: true,
      valueType: 'REGEX',
      allowedRegex: '^cc-[0-9]{3}$',
      message: 'CostCenter must look like cc-123',
    },
  ],
  ...overrides,
});

export const ownerBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Ownership',
  enforcement: 'warn',
  message: 'Every resource needs an owner team.',
  scope: { providers: ['aws'] },
  tags: [{ key: 'owner', mandatory: true, valueType: 'ANY' }],
  ...overrides,
});

export const readFixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/tagging/${name}`, import.meta.url), 'utf8');

export interface TaggingTenant {
  t: TestApp;
  slug: string;
  base: string;
  owner: Record<string, string>;
  editor: Record<string, string>;
  viewer: Record<string, string>;
  /** POSTs a policy as the editor and returns its data. */
  // biome-ignore lint/suspicious/noExplicitAny: answers are read loosely in assertions
  create(body: unknown): Promise<Record<string, any>>;
}

export async function taggingTenant(dialect: DatabaseDialect, slug = 'acme'): Promise<TaggingTenant> {
  const t = await createTestApp({ dialect });
  await t.createTenant(slug);
  const [owner, editor, viewer] = await Promise.all([
    t.userWithRole(slug, 'owner'),
    t.userWithRole(slug, 'editor'),
    t.userWithRole(slug, 'viewer'),
  ]);
  const base = `/api/v1/tenants/${slug}/tagging-policies`;
  return {
    t,
    slug,
    base,
    owner: owner.headers,
    editor: editor.headers,
    viewer: viewer.headers,
    async create(body) {
      const res = await t.app.inject({ method: 'POST', url: base, headers: editor.headers, payload: body as never });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().data;
    },
  };
}
