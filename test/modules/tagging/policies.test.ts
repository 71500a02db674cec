import { describe, expect, it } from 'vitest';
import {
  AUDIT_VALUES_CAP,
  AUDIT_VALUES_TOTAL_CAP,
  diffDefinitions,
  type PolicyDefinition,
} from '../../../src/modules/tagging/definition.ts';
import { testDialects } from '../../helpers/env.ts';
import { FINOPS_MESSAGE, finopsBody, ownerBody, SEED_TAGS_JSON, taggingTenant } from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

for (const dialect of testDialects()) {
  describe(`${dialect}: tagging policies`, () => {
    it('creates a policy with defaults filled in, a UUID and a Location, and reads it back', async () => {
      const { t, base, editor, viewer } = await taggingTenant(dialect);
      const res = await t.app.inject({ method: 'POST', url: base, headers: editor, payload: finopsBody() });
      expect(res.statusCode, res.body).toBe(201);
      const p = res.json().data;
      expect(p.id).toMatch(UUID);
      expect(res.headers.location).toBe(`${base}/${p.id}`);
      expect(p).toMatchObject({
        name: 'FinOps showback',
        enabled: true,
        enforcement: 'block',
        message: FINOPS_MESSAGE,
        scope: { providers: [], resource_types: { include: [], exclude: [] }, tag_filter: {} },
        exemptions: [],
        trim_values: false,
        version: 1,
      });
      expect(p.tags).toEqual([
        {
          key: 'app_id',
          mandatory: true,
          valueType: 'LIST',
          allowedValues: ['app-1', 'app-2', 'app-3', 'app-4', 'app-5', 'app-9'],
          caseSensitive: true,
          message: null,
        },
        {
          key: 'CostCenter',
          mandatory: true,
          valueType: 'REGEX',
          allowedRegex: '^cc-[0-9]{3}$',
          caseSensitive: true,
          message: 'CostCenter must look like cc-123',
        },
      ]);
      const got = await t.app.inject({ url: `${base}/${p.id}`, headers: viewer });
      expect(got.statusCode).toBe(200);
      expect(got.json().data).toEqual(p);

      const minimal = await t.app.inject({
        method: 'POST',
        url: base,
        headers: editor,
        payload: { name: 'Owner', tags: [{ key: 'owner', valueType: 'ANY' }] },
      });
      expect(minimal.statusCode, minimal.body).toBe(201);
      expect(minimal.json().data).toMatchObject({
        enforcement: 'warn',
        enabled: true,
        description: null,
        tags: [{ key: 'owner', mandatory: false, valueType: 'ANY', caseSensitive: true, message: null }],
      });
    });

    it('lists with pagination, filters and sorting; unknown sort fields are a 400', async () => {
      const { t, base, viewer, create } = await taggingTenant(dialect);
      await create(finopsBody());
      await create(ownerBody());
      await create(ownerBody({ name: 'Alpha', enabled: false }));
      const all = await t.app.inject({ url: `${base}?per_page=2&sort=name`, headers: viewer });
      expect(all.statusCode, all.body).toBe(200);
      expect(all.json().meta).toEqual({ total: 3, page: 1, per_page: 2, total_pages: 2 });
      expect(all.json().data.map((p: { name: string }) => p.name)).toEqual(['Alpha', 'FinOps showback']);
      expect(all.headers.link).toContain('rel="next"');
      const enabled = await t.app.inject({ url: `${base}?enabled=false`, headers: viewer });
      expect(enabled.json().data.map((p: { name: string }) => p.name)).toEqual(['Alpha']);
      const block = await t.app.inject({ url: `${base}?enforcement=block`, headers: viewer });
      expect(block.json().data.map((p: { name: string }) => p.name)).toEqual(['FinOps showback']);
      // A comma means "any of"; every element must be a known enforcement.
      const either = await t.app.inject({ url: `${base}?enforcement=warn,block&sort=name`, headers: viewer });
      expect(either.statusCode, either.body).toBe(200);
      expect(either.json().data.map((p: { name: string }) => p.name)).toEqual([
        'Alpha',
        'FinOps showback',
        'Ownership',
      ]);
      const warnOff = await t.app.inject({ url: `${base}?enforcement=warn&enabled=false`, headers: viewer });
      expect(warnOff.json().data.map((p: { name: string }) => p.name)).toEqual(['Alpha']);
      const strict = await t.app.inject({ url: `${base}?enforcement=warn,strict`, headers: viewer });
      expect(strict.statusCode).toBe(400);
      expect(strict.json().error).toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringContaining('warn, block'),
      });
      expect(strict.json().error.details[0].path).toBe('querystring.enforcement');
      const bad = await t.app.inject({ url: `${base}?sort=colour`, headers: viewer });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toMatch(/Cannot sort by "colour"/);
    });

    it('PUT replaces the whole definition; fields left out take their defaults', async () => {
      const { t, base, editor, create } = await taggingTenant(dialect);
      const p = await create(finopsBody({ enabled: false, trim_values: true }));
      const res = await t.app.inject({
        method: 'PUT',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: { name: 'Renamed', tags: [{ key: 'team', valueType: 'ANY', mandatory: true }] },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data).toMatchObject({
        id: p.id,
        name: 'Renamed',
        description: null,
        message: null,
        enabled: true,
        enforcement: 'warn',
        trim_values: false,
        version: 2,
        created_at: p.created_at,
      });
      expect(res.json().data.tags).toHaveLength(1);
      const missing = await t.app.inject({
        method: 'PUT',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: { name: 'No tags' },
      });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error.details).toEqual([{ path: 'body.tags', message: 'is required' }]);
    });

    it('PATCH changes only the fields it names; tags are replaced as a whole', async () => {
      const { t, base, editor, create } = await taggingTenant(dialect);
      const p = await create(finopsBody({ scope: { providers: ['aws'], tag_filter: { Environment: 'prod' } } }));
      const warn = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: { enforcement: 'warn' },
      });
      expect(warn.statusCode, warn.body).toBe(200);
      expect(warn.json().data).toEqual({
        ...p,
        enforcement: 'warn',
        version: 2,
        updated_at: expect.any(String),
      });

      const tags = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: {
          data: { attributes: { tags: [{ key: 'app_id', mandatory: true, valueType: 'LIST', allowedValues: ['x'] }] } },
        },
      });
      expect(tags.statusCode, tags.body).toBe(200);
      const after = tags.json().data;
      expect(after.tags).toEqual([
        { key: 'app_id', mandatory: true, valueType: 'LIST', allowedValues: ['x'], caseSensitive: true, message: null },
      ]);
      expect(after).toMatchObject({
        name: p.name,
        message: FINOPS_MESSAGE,
        enforcement: 'warn',
        scope: p.scope,
        version: 3,
      });

      const clear = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: { description: null, scope: {} },
      });
      expect(clear.json().data).toMatchObject({
        description: null,
        scope: { providers: [], resource_types: { include: [], exclude: [] }, tag_filter: {} },
      });

      const empty = await t.app.inject({ method: 'PATCH', url: `${base}/${p.id}`, headers: editor, payload: {} });
      expect(empty.statusCode).toBe(400);
      expect(empty.json().error.message).toBe('Nothing to change: give at least one field');

      // The same values again change nothing: same version, same updated_at, no audit entry.
      const auditCount = async () =>
        (
          await t.app.inject({
            url: '/api/v1/tenants/acme/audit-log?target_type=tagging_policy',
            headers: t.admin.headers,
          })
        ).json().meta.total as number;
      const entries = await auditCount();
      const current = clear.json().data;
      const same = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: { enforcement: 'warn', description: null },
      });
      expect(same.statusCode, same.body).toBe(200);
      expect(same.json().data).toEqual(current);
      expect(await auditCount()).toBe(entries);
    });

    it('a merge patch (application/merge-patch+json) merges objects, null resets a member to its default, lists are replaced', async () => {
      const { t, base, editor, viewer, create } = await taggingTenant(dialect);
      const scope = {
        providers: ['aws'],
        resource_types: { include: ['aws_s3_*'], exclude: ['aws_s3_bucket_policy'] },
        tag_filter: { env: 'prod', team: 'core' },
      };
      const p = await create(finopsBody({ scope }));
      const mergePatch = async (payload: unknown, url = `${base}/${p.id}`) =>
        t.app.inject({
          method: 'PATCH',
          url,
          headers: { ...editor, 'content-type': 'application/merge-patch+json' },
          payload: JSON.stringify(payload),
        });

      // The audit's case: naming one member of `scope` leaves the rest of it as it was (no silent widening).
      const providers = await mergePatch({ scope: { providers: ['azurerm'] } });
      expect(providers.statusCode, providers.body).toBe(200);
      expect(providers.json().data.scope).toEqual({ ...scope, providers: ['azurerm'] });
      expect(providers.json().data).toMatchObject({ name: p.name, tags: p.tags, version: 2 });

      // Objects merge at every depth: one include pattern changed, the excludes and the other filter kept.
      const nested = await mergePatch({
        scope: { resource_types: { include: ['aws_s3_bucket'] }, tag_filter: { env: null } },
      });
      expect(nested.statusCode, nested.body).toBe(200);
      expect(nested.json().data.scope).toEqual({
        providers: ['azurerm'],
        resource_types: { include: ['aws_s3_bucket'], exclude: ['aws_s3_bucket_policy'] },
        tag_filter: { team: 'core' },
      });

      // null removes a member: it takes its default.
      const reset = await mergePatch({ description: null, enforcement: null, scope: { resource_types: null } });
      expect(reset.statusCode, reset.body).toBe(200);
      expect(reset.json().data).toMatchObject({
        description: null,
        enforcement: 'warn',
        scope: { providers: ['azurerm'], resource_types: { include: [], exclude: [] }, tag_filter: { team: 'core' } },
      });
      const noScope = await mergePatch({ scope: null, enabled: false });
      expect(noScope.json().data).toMatchObject({
        enabled: false,
        scope: { providers: [], resource_types: { include: [], exclude: [] }, tag_filter: {} },
      });
      expect((await mergePatch({ enabled: null })).json().data.enabled).toBe(true);

      // Lists are replaced whole, as RFC 7396 has it (a rule is not merged into the rule at the same index).
      const tags = await mergePatch({ tags: [{ key: 'owner', valueType: 'ANY' }] });
      expect(tags.statusCode, tags.body).toBe(200);
      expect(tags.json().data.tags).toEqual([
        { key: 'owner', mandatory: false, valueType: 'ANY', caseSensitive: true, message: null },
      ]);

      // The JSON:API form patches the attributes, on the seed's route as on this one.
      const key = await t.apiKey('acme', 'editor');
      const compat = await t.app.inject({
        method: 'PATCH',
        url: `/v1/orgs/acme/tagging-policies/${p.id}`,
        headers: { authorization: `Bearer ${key.token}`, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ data: { attributes: { scope: { tag_filter: { env: 'dev' } } } } }),
      });
      expect(compat.statusCode, compat.body).toBe(200);
      expect(compat.json().data).toMatchObject({ id: p.id, type: 'tagging-policies' });
      expect(compat.json().data.attributes.scope.tag_filter).toEqual({ env: 'dev' });
      const native = await mergePatch({ data: { attributes: { scope: { tag_filter: { team: 'edge' } } } } });
      expect(native.json().data.scope.tag_filter).toEqual({ env: 'dev', team: 'edge' });

      // The same body as application/json keeps its documented meaning: the named field is replaced whole.
      const plain = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: { scope: { providers: ['aws'] } },
      });
      expect(plain.json().data.scope).toEqual({
        providers: ['aws'],
        resource_types: { include: [], exclude: [] },
        tag_filter: {},
      });

      // A patch that changes nothing writes nothing.
      const current = plain.json().data;
      const same = await mergePatch({ scope: { providers: ['aws'] } });
      expect(same.json().data).toEqual(current);
      expect((await t.app.inject({ url: `${base}/${p.id}`, headers: viewer })).json().data).toEqual(current);
    });

    it('a merge patch is checked as the policy it makes: errors name the field as the patch wrote it', async () => {
      const { t, base, slug, editor, create } = await taggingTenant(dialect);
      const p = await create(finopsBody({ scope: { providers: ['aws'], tag_filter: { env: 'prod' } } }));
      const mergePatch = (payload: unknown, url = `${base}/${p.id}`) =>
        t.app.inject({
          method: 'PATCH',
          url,
          headers: { ...editor, 'content-type': 'application/merge-patch+json; charset=utf-8' },
          payload: JSON.stringify(payload),
        });
      const cases: [unknown, { path: string; message: string }][] = [
        // A member without a default cannot be removed.
        [{ name: null }, { path: 'body.name', message: 'is required' }],
        [{ tags: null }, { path: 'body.tags', message: 'is required' }],
        [{ data: { attributes: { name: null } } }, { path: 'body.data.attributes.name', message: 'is required' }],
        [{ scope: { tag_filter: { env: 7 } } }, { path: 'body.scope.tag_filter.env', message: 'must be string,null' }],
        [{ scope: { provider: ['aws'] } }, { path: 'body.scope.provider', message: 'unknown field "provider"' }],
        [{ enforcement: 'deny' }, { path: 'body.enforcement', message: 'must be one of "warn", "block", null' }],
        [{ name: ' ' }, { path: 'body.name', message: 'must not be blank' }],
        [
          { tags: [{ key: 'a', valueType: 'ANY', mandatroy: true }] },
          {
            path: 'body.tags[0].mandatroy',
            message: 'unknown field "mandatroy"',
          },
        ],
        // Checked after merging: the engine's checks name the field too.
        [
          { scope: { providers: ['bogus'] } },
          {
            path: 'body.scope.providers[0]',
            message: expect.stringMatching(/^must be one of aws, azure, .*, not bogus$/),
          },
        ],
        [
          { tags: [{ key: 'a', valueType: 'REGEX', allowedRegex: '(a+)+$' }] },
          {
            path: 'body.tags[0].allowedRegex',
            message: expect.stringMatching(/catastrophically/),
          },
        ],
        [
          { exemptions: [{ resource: 'x', expires_at: '2027-02-30' }] },
          {
            path: 'body.exemptions[0].expires_at',
            message: 'must match format "date"',
          },
        ],
      ];
      for (const [payload, detail] of cases) {
        const res = await mergePatch(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.json().error.details[0], JSON.stringify(payload)).toEqual(detail);
      }
      const compat = await mergePatch(
        { data: { attributes: { scope: { tag_filter: null, nope: 1 } } } },
        `/v1/orgs/${slug}/tagging-policies/${p.id}`,
      );
      expect(compat.statusCode).toBe(400);
      expect(compat.json().error.details).toEqual([
        { path: 'body.data.attributes.scope.nope', message: 'unknown field "nope"' },
      ]);
      const other = await mergePatch({
        data: { id: 'e17b9d51-151d-4855-a17e-6349e485584c', attributes: { enabled: false } },
      });
      expect(other.json().error.details[0].path).toBe('body.data.id');
      // Nothing of a rejected patch is written.
      const stored = (await t.app.inject({ url: `${base}/${p.id}`, headers: editor })).json().data;
      expect(stored).toEqual(p);
      // A merge patch is for PATCH: a POST that says it is one is a 415, as everywhere.
      const post = await t.app.inject({
        method: 'POST',
        url: base,
        headers: { ...editor, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify(finopsBody()),
      });
      expect(post.statusCode).toBe(415);
    });

    it('an empty PATCH asks for at least one field, on both routes, in every form and media type', async () => {
      const { t, base, slug, create } = await taggingTenant(dialect);
      const p = await create(finopsBody());
      const key = await t.apiKey(slug, 'editor');
      for (const url of [`${base}/${p.id}`, `/v1/orgs/${slug}/tagging-policies/${p.id}`]) {
        for (const [payload, base] of [
          [{}, 'body'],
          [{ data: { attributes: {} } }, 'body.data.attributes'],
        ] as const) {
          for (const type of ['application/json', 'application/merge-patch+json']) {
            const res = await t.app.inject({
              method: 'PATCH',
              url,
              headers: { authorization: `Bearer ${key.token}`, 'content-type': type },
              payload: JSON.stringify(payload),
            });
            expect(res.statusCode, `${url} ${type} ${JSON.stringify(payload)}`).toBe(400);
            expect(res.json().error.message).toBe('Nothing to change: give at least one field');
            expect(res.json().error.details).toEqual([
              { path: base, message: expect.stringMatching(/^give at least one of name, description, /) },
            ]);
          }
        }
      }
    });

    it('the OpenAPI document gives a PATCH its schema per media type', async () => {
      const { t } = await taggingTenant(dialect);
      const doc = (await t.app.inject('/api/v1/openapi.json')).json();
      for (const path of ['/api/v1/tenants/{t}/tagging-policies/{id}', '/v1/orgs/{org}/tagging-policies/{id}']) {
        const content = doc.paths[path].patch.requestBody.content;
        expect(Object.keys(content).sort(), path).toEqual(['application/json', 'application/merge-patch+json']);
        expect(content['application/merge-patch+json'].schema.description).toMatch(/RFC 7396/);
        // In a patch, null is allowed (it resets the member); in the plain body it is not.
        expect(content['application/merge-patch+json'].schema.properties.enabled.type).toEqual(['boolean', 'null']);
        expect(content['application/json'].schema.properties.enabled.type).toBe('boolean');
      }
    });

    it("the seed's request, byte for byte, works on the compatibility route with an API key and on the native route", async () => {
      const { t, slug, base, viewer, create } = await taggingTenant(dialect);
      const key = await t.apiKey(slug, 'editor');
      const p = await create(finopsBody());

      const compat = await t.app.inject({
        method: 'PATCH',
        url: `/v1/orgs/${slug}/tagging-policies/${p.id}`,
        headers: { Authorization: `Bearer ${key.token}`, 'Content-Type': 'application/json' },
        payload: SEED_TAGS_JSON,
      });
      expect(compat.statusCode, compat.body).toBe(200);
      const data = compat.json().data;
      expect(data).toMatchObject({ id: p.id, type: 'tagging-policies' });
      expect(data.attributes).not.toHaveProperty('id');
      expect(data.attributes.tags).toEqual([
        {
          key: 'app_id',
          mandatory: true,
          valueType: 'LIST',
          allowedValues: ['app1', 'app2', 'app3', 'app4', 'app5'],
          caseSensitive: true,
          message: null,
        },
      ]);
      expect(data.attributes).toMatchObject({ name: p.name, message: FINOPS_MESSAGE, enforcement: 'block' });
      const stored = (await t.app.inject({ url: `${base}/${p.id}`, headers: viewer })).json().data;
      expect(stored.tags[0].allowedValues).toEqual(['app1', 'app2', 'app3', 'app4', 'app5']);
      expect(stored.tags).toHaveLength(1);

      const q = await create(finopsBody({ name: 'second' }));
      const native = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${q.id}`,
        headers: { authorization: `Bearer ${key.token}`, 'content-type': 'application/json' },
        payload: SEED_TAGS_JSON,
      });
      expect(native.statusCode, native.body).toBe(200);
      expect(native.json().data.tags).toEqual(stored.tags);

      // The org may be the tenant id too, like every tenant path; an unknown policy is a 404.
      const tenant = await t.services.tenants.operatorScope(slug);
      const byId = await t.app.inject({
        method: 'PATCH',
        url: `/v1/orgs/${tenant.id}/tagging-policies/e17b9d51-151d-4855-a17e-6349e485584c`,
        headers: { ...key.headers, 'content-type': 'application/json' },
        payload: SEED_TAGS_JSON,
      });
      expect(byId.statusCode).toBe(404);
      expect(byId.json().error.message).toBe('tagging policy e17b9d51-151d-4855-a17e-6349e485584c not found');
    });

    it('an unknown field is a 400 naming it, in either body form and inside rules', async () => {
      const { t, base, editor, create } = await taggingTenant(dialect);
      const p = await create(finopsBody());
      const cases: [unknown, string][] = [
        [{ nmae: 'x' }, 'body.nmae'],
        [{ data: { attributes: { tgas: [] } } }, 'body.data.attributes.tgas'],
        [
          { data: { attributes: { tags: [{ key: 'a', valueType: 'LIST', allowedvalues: ['x'] }] } } },
          'body.data.attributes.tags[0].allowedvalues',
        ],
        [{ data: { attributes: {}, meta: {} } }, 'body.data.meta'],
        [{ tags: [{ key: 'a', valueType: 'ANY', mandatroy: true }] }, 'body.tags[0].mandatroy'],
      ];
      for (const [payload, path] of cases) {
        const res = await t.app.inject({
          method: 'PATCH',
          url: `${base}/${p.id}`,
          headers: editor,
          payload: payload as never,
        });
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        const field = path.split(/[.\]]/).filter(Boolean).at(-1);
        expect(res.json().error.details[0], JSON.stringify(payload)).toEqual({
          path,
          message: `unknown field "${field}"`,
        });
        expect(res.json().error.message).toBe(`Invalid request: ${path} unknown field "${field}"`);
      }
      const both = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: { name: 'x', data: { attributes: { enabled: false } } },
      });
      expect(both.statusCode).toBe(400);
      expect(both.json().error.details).toEqual([
        { path: 'body.name', message: 'not allowed beside data; move it into data.attributes' },
      ]);
      const otherId = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: {
          data: {
            id: 'e17b9d51-151d-4855-a17e-6349e485584c',
            type: 'tagging-policies',
            attributes: { enabled: false },
          },
        },
      });
      expect(otherId.statusCode).toBe(400);
      expect(otherId.json().error.details[0].path).toBe('body.data.id');
      const wrongType = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: { data: { type: 'policies', attributes: { enabled: false } } },
      });
      expect(wrongType.statusCode).toBe(400);
      expect(wrongType.json().error.details[0]).toEqual({
        path: 'body.data.type',
        message: 'must be "tagging-policies"',
      });
    });

    it('rejects invalid and catastrophic regexes, and rules that contradict their type, with a 400 at the right path', async () => {
      const { t, base, editor } = await taggingTenant(dialect);
      const post = (tags: unknown[]) =>
        t.app.inject({ method: 'POST', url: base, headers: editor, payload: { name: 'p', tags } as never });
      const invalid = await post([{ key: 'cc', valueType: 'REGEX', allowedRegex: '^(cc-[0-9]{3}$' }]);
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().error.details[0]).toMatchObject({
        path: 'body.tags[0].allowedRegex',
        message: expect.stringMatching(/^invalid regular expression/),
      });
      const catastrophic = await post([
        { key: 'a', valueType: 'ANY' },
        { key: 'cc', valueType: 'REGEX', allowedRegex: '^(a+)+$' },
      ]);
      expect(catastrophic.statusCode).toBe(400);
      expect(catastrophic.json().error.details[0]).toMatchObject({
        path: 'body.tags[1].allowedRegex',
        message: expect.stringMatching(/catastrophic|backtrack/),
      });
      const noPattern = await post([{ key: 'cc', valueType: 'REGEX' }]);
      expect(noPattern.json().error.details).toEqual([
        { path: 'body.tags[0].allowedRegex', message: 'is required for a REGEX rule' },
      ]);
      const mixed = await post([{ key: 'cc', valueType: 'LIST', allowedValues: ['a'], allowedRegex: '^a$' }]);
      expect(mixed.json().error.details).toEqual([
        { path: 'body.tags[0].allowedRegex', message: 'applies only to REGEX rules, not LIST' },
      ]);
      const emptyList = await post([{ key: 'app', valueType: 'LIST', allowedValues: [] }]);
      expect(emptyList.json().error.details[0]).toEqual({
        path: 'body.tags[0].allowedValues',
        message: 'must list at least one value for a LIST rule',
      });
      const repeated = await post([
        { key: 'app', valueType: 'ANY' },
        { key: 'app', valueType: 'ANY' },
      ]);
      expect(repeated.statusCode).toBe(400);
      expect(repeated.json().error.details[0].path).toBe('body.tags[1].key');
      const badType = await post([{ key: 'app', valueType: 'list' }]);
      expect(badType.json().error.details[0]).toEqual({
        path: 'body.tags[0].valueType',
        message: 'must be one of "ANY", "LIST", "REGEX"',
      });
      const ok = await post([
        { key: 'cc', valueType: 'REGEX', allowedRegex: '^[a-z]+[a-z0-9-]*$', caseSensitive: false },
      ]);
      expect(ok.statusCode, ok.body).toBe(201);
    });

    it('removes duplicate values, trims them only when the policy says so, and dedupes case-insensitively when asked', async () => {
      const { create } = await taggingTenant(dialect);
      const asIs = await create({
        name: 'as is',
        tags: [{ key: 'app', valueType: 'LIST', allowedValues: ['a', ' a ', 'a', 'b', 'B'] }],
      });
      expect(asIs.tags[0].allowedValues).toEqual(['a', ' a ', 'b', 'B']);
      const trimmed = await create({
        name: 'trimmed',
        trim_values: true,
        tags: [{ key: 'app', valueType: 'LIST', allowedValues: ['a', ' a ', 'b '] }],
      });
      expect(trimmed.tags[0].allowedValues).toEqual(['a', 'b']);
      const folded = await create({
        name: 'folded',
        tags: [{ key: 'app', valueType: 'LIST', caseSensitive: false, allowedValues: ['App1', 'app1', 'APP2'] }],
      });
      expect(folded.tags[0].allowedValues).toEqual(['App1', 'APP2']);
    });

    it('accepts 50,000 allowed values in one ~2 MB request and reads them back fast', async () => {
      const { t, slug, base, editor, viewer, create } = await taggingTenant(dialect);
      const key = await t.apiKey(slug, 'editor');
      const p = await create(finopsBody());
      const values = Array.from(
        { length: 50_000 },
        (_, i) => `cmdb-application-service-id-${String(i).padStart(6, '0')}`,
      );
      const body = JSON.stringify({
        data: {
          attributes: {
            tags: [
              {
                key: 'app_id',
                mandatory: true,
                valueType: 'LIST',
                allowedValues: [...values, ...values.slice(0, 500)],
              },
            ],
          },
        },
      });
      expect(body.length).toBeGreaterThan(1_800_000);

      const started = performance.now();
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/v1/orgs/${slug}/tagging-policies/${p.id}`,
        headers: { ...key.headers, 'content-type': 'application/json' },
        payload: body,
      });
      const writeMs = performance.now() - started;
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      expect(res.json().data.attributes.tags[0].allowedValues).toHaveLength(50_000);

      const readStart = performance.now();
      const got = await t.app.inject({ url: `${base}/${p.id}`, headers: viewer });
      const readMs = performance.now() - readStart;
      expect(got.statusCode).toBe(200);
      expect(got.json().data.tags[0].allowedValues).toEqual(values);
      console.log(
        `[${dialect}] 50,000 values: PATCH ${writeMs.toFixed(0)} ms (${(body.length / 1e6).toFixed(1)} MB), GET ${readMs.toFixed(0)} ms`,
      );
      expect(writeMs).toBeLessThan(3000);
      expect(readMs).toBeLessThan(1000);

      const audit = await t.app.inject({
        url: `/api/v1/tenants/${slug}/audit-log?action=tagging_policy.updated`,
        headers: (await t.userWithRole(slug, 'admin')).headers,
      });
      // Exact counts, but at most 100 values per list (the first ones, sorted) so the entry stays small.
      expect(audit.json().data[0].summary).toMatchObject({
        via: 'compat',
        tags: [
          {
            key: 'app_id',
            change: 'changed',
            values_added: 50_000,
            values_removed: 6,
            added_values: values.slice(0, 100),
            removed_values: ['app-1', 'app-2', 'app-3', 'app-4', 'app-5', 'app-9'],
            truncated: true,
            values: 50_000,
          },
          { key: 'CostCenter', change: 'removed', values_added: 0, values_removed: 0 },
        ],
      });
      expect(audit.json().data[0].summary.tags[1]).not.toHaveProperty('truncated');
      expect(audit.body.length).toBeLessThan(20_000);
      void editor;
    });

    it('writes every change to the audit log with the values added and removed per key', async () => {
      const { t, slug, base, editor, create } = await taggingTenant(dialect);
      const p = await create(finopsBody());
      await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: {
          enforcement: 'warn',
          // Adds app-7 and app-8, removes app-3, app-4 and app-5 (unsorted on purpose: the entry sorts them).
          tags: [
            {
              key: 'app_id',
              mandatory: true,
              valueType: 'LIST',
              allowedValues: ['app-8', 'app-1', 'app-9', 'app-2', 'app-7'],
            },
            { key: 'owner', valueType: 'ANY' },
          ],
        },
      });
      await t.app.inject({ method: 'PUT', url: `${base}/${p.id}`, headers: editor, payload: ownerBody() });
      await t.app.inject({ method: 'DELETE', url: `${base}/${p.id}`, headers: editor });
      const admin = await t.userWithRole(slug, 'admin');
      const res = await t.app.inject({
        url: `/api/v1/tenants/${slug}/audit-log?action=tagging_policy.*&sort=created_at`,
        headers: admin.headers,
      });
      const entries = res.json().data;
      expect(entries.map((e: { action: string }) => e.action)).toEqual([
        'tagging_policy.created',
        'tagging_policy.updated',
        'tagging_policy.replaced',
        'tagging_policy.deleted',
      ]);
      expect(
        entries.every(
          (e: { target_id: string; target_type: string }) => e.target_id === p.id && e.target_type === 'tagging_policy',
        ),
      ).toBe(true);
      expect(entries[0].summary.tags).toEqual([
        {
          key: 'app_id',
          change: 'added',
          values_added: 6,
          values_removed: 0,
          added_values: ['app-1', 'app-2', 'app-3', 'app-4', 'app-5', 'app-9'],
          removed_values: [],
          values: 6,
        },
        {
          key: 'CostCenter',
          change: 'added',
          values_added: 0,
          values_removed: 0,
          added_values: [],
          removed_values: [],
          values: 0,
        },
      ]);
      expect(entries[1].summary).toEqual({
        name: 'FinOps showback',
        version: 2,
        fields: ['enforcement'],
        tags: [
          {
            key: 'app_id',
            change: 'changed',
            values_added: 2,
            values_removed: 3,
            added_values: ['app-7', 'app-8'],
            removed_values: ['app-3', 'app-4', 'app-5'],
            values: 5,
          },
          {
            key: 'owner',
            change: 'added',
            values_added: 0,
            values_removed: 0,
            added_values: [],
            removed_values: [],
            values: 0,
          },
          {
            key: 'CostCenter',
            change: 'removed',
            values_added: 0,
            values_removed: 0,
            added_values: [],
            removed_values: [],
            values: 0,
          },
        ],
      });
      expect(entries[2].summary.tags).toContainEqual(
        expect.objectContaining({
          key: 'app_id',
          change: 'removed',
          values_removed: 5,
          removed_values: ['app-1', 'app-2', 'app-7', 'app-8', 'app-9'],
        }),
      );
      expect(entries[3].summary).toMatchObject({ name: 'Ownership', tags: [{ key: 'owner', change: 'removed' }] });

      // target_type takes a comma list too: the policy's four entries and the key's one.
      await t.apiKey(slug, 'viewer');
      const count = async (q: string) =>
        (await t.app.inject({ url: `/api/v1/tenants/${slug}/audit-log?${q}`, headers: admin.headers })).json().meta
          .total;
      expect(await count('target_type=tagging_policy')).toBe(4);
      expect(await count('target_type=api_key')).toBe(1);
      expect(await count('target_type=tagging_policy,api_key')).toBe(5);
    });

    it('a viewer reads but cannot change a policy (403); deleting removes it', async () => {
      const { t, base, viewer, editor, create } = await taggingTenant(dialect);
      const p = await create(finopsBody());
      expect((await t.app.inject({ url: `${base}/${p.id}`, headers: viewer })).statusCode).toBe(200);
      for (const [method, url] of [
        ['POST', base],
        ['PUT', `${base}/${p.id}`],
        ['PATCH', `${base}/${p.id}`],
        ['DELETE', `${base}/${p.id}`],
      ] as const) {
        const res = await t.app.inject({
          method,
          url,
          headers: viewer,
          payload: method === 'DELETE' ? undefined : finopsBody(),
        });
        expect(res.statusCode, `${method} ${url}`).toBe(403);
      }
      const del = await t.app.inject({ method: 'DELETE', url: `${base}/${p.id}`, headers: editor });
      expect(del.statusCode).toBe(204);
      expect((await t.app.inject({ url: `${base}/${p.id}`, headers: viewer })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'DELETE', url: `${base}/${p.id}`, headers: editor })).statusCode).toBe(404);
    });

    it("another tenant's policy is a 404 on every route, native and compatible", async () => {
      const { t, base, create } = await taggingTenant(dialect);
      const p = await create(finopsBody());
      await t.createTenant('globex');
      const owner = await t.userWithRole('globex', 'owner');
      const key = await t.apiKey('globex', 'owner');
      const theirs = `/api/v1/tenants/globex/tagging-policies/${p.id}`;
      for (const [method, url] of [
        ['GET', theirs],
        ['PUT', theirs],
        ['PATCH', theirs],
        ['DELETE', theirs],
        ['GET', `${theirs}/violations`],
        ['PATCH', `/v1/orgs/globex/tagging-policies/${p.id}`],
      ] as const) {
        const res = await t.app.inject({
          method,
          url,
          headers: key.headers,
          payload: method === 'PUT' || method === 'PATCH' ? finopsBody() : undefined,
        });
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.json().error.message).toBe(`tagging policy ${p.id} not found`);
      }
      // And acme's own paths are a 404 for globex's callers (the tenant, not the policy).
      for (const headers of [owner.headers, key.headers]) {
        const res = await t.app.inject({ url: `${base}/${p.id}`, headers });
        expect(res.statusCode).toBe(404);
        expect(res.json().error.message).toBe('tenant acme not found');
        const compat = await t.app.inject({
          method: 'PATCH',
          url: `/v1/orgs/acme/tagging-policies/${p.id}`,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: SEED_TAGS_JSON,
        });
        expect(compat.statusCode).toBe(404);
      }
      const list = await t.app.inject({ url: '/api/v1/tenants/globex/tagging-policies', headers: key.headers });
      expect(list.json().meta.total).toBe(0);
    });

    it('accepts, stores and returns exemptions with expiry dates', async () => {
      const { t, base, editor, create } = await taggingTenant(dialect);
      const p = await create(
        finopsBody({
          exemptions: [
            { resource: 'module.legacy.*', keys: ['app_id'], reason: 'decommissioned in Q1', expires_at: '2027-03-31' },
            { resource: 'aws_instance.bastion' },
          ],
        }),
      );
      expect(p.exemptions).toEqual([
        {
          resource: 'module.legacy.*',
          keys: ['app_id'],
          reason: 'decommissioned in Q1',
          expires_at: '2027-03-31T00:00:00.000Z',
        },
        { resource: 'aws_instance.bastion', keys: [], reason: null, expires_at: null },
      ]);
      const bad = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: { exemptions: [{ resource: 'x', expires_at: 'next tuesday' }] },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details).toEqual([
        { path: 'body.exemptions[0].expires_at', message: 'must match format "date"' },
        { path: 'body.exemptions[0].expires_at', message: 'must match format "date-time"' },
      ]);
      // A date-time keeps its instant, whatever its zone.
      const offset = await t.app.inject({
        method: 'PATCH',
        url: `${base}/${p.id}`,
        headers: editor,
        payload: { exemptions: [{ resource: 'x', expires_at: '2028-02-29T10:00:00+02:00' }] },
      });
      expect(offset.statusCode, offset.body).toBe(200);
      expect(offset.json().data.exemptions[0].expires_at).toBe('2028-02-29T08:00:00.000Z');
    });

    it('an impossible date is a 400 naming the field, not a day of the next month', async () => {
      const { t, base, editor, create } = await taggingTenant(dialect);
      const p = await create(finopsBody());
      for (const expires_at of [
        '2027-02-30',
        '2027-02-29',
        '2027-04-31',
        '2027-02-30T10:00:00Z',
        '2027-03-01T10:00:00',
      ]) {
        const exemptions = [{ resource: 'x', keys: ['app_id'], expires_at }];
        const requests = [
          { method: 'POST', url: base, payload: finopsBody({ exemptions }), type: 'application/json' },
          { method: 'PUT', url: `${base}/${p.id}`, payload: finopsBody({ exemptions }), type: 'application/json' },
          { method: 'PATCH', url: `${base}/${p.id}`, payload: { exemptions }, type: 'application/json' },
          { method: 'PATCH', url: `${base}/${p.id}`, payload: { exemptions }, type: 'application/merge-patch+json' },
        ] as const;
        for (const r of requests) {
          const res = await t.app.inject({
            method: r.method,
            url: r.url,
            headers: { ...editor, 'content-type': r.type },
            payload: JSON.stringify(r.payload),
          });
          expect(res.statusCode, `${r.method} ${r.type} ${expires_at}`).toBe(400);
          expect(res.json().error.details[0]).toEqual({
            path: 'body.exemptions[0].expires_at',
            message: expect.stringMatching(/^must match format "date(-time)?"$/),
          });
        }
      }
      const stored = (await t.app.inject({ url: `${base}/${p.id}`, headers: editor })).json().data;
      expect(stored.version).toBe(1);
    });

    it('refuses what would make a policy, or an exemption, quietly apply to nothing', async () => {
      const { t, base, slug, editor, create } = await taggingTenant(dialect);
      const post = (body: unknown) =>
        t.app.inject({ method: 'POST', url: base, headers: editor, payload: body as never });
      const expectError = async (res: Awaited<ReturnType<typeof post>>, path: string, message: RegExp) => {
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json().error.details).toEqual([{ path, message: expect.stringMatching(message) }]);
      };

      // A provider typo: the policy would apply to no resource at all.
      await expectError(
        await post(finopsBody({ scope: { providers: ['aws', 'bogus'] } })),
        'body.scope.providers[1]',
        /^must be one of aws, azure, azurerm, google, google-beta, gcp, not bogus$/,
      );
      const providers = await create(finopsBody({ scope: { providers: ['AWS', 'azurerm', 'google-beta'] } }));
      expect(providers.scope.providers).toEqual(['AWS', 'azurerm', 'google-beta']);

      // An exemption for a key the policy has no rule for exempts nothing.
      await expectError(
        await post(finopsBody({ exemptions: [{ resource: 'x', keys: ['app_id', 'zz'] }] })),
        'body.exemptions[0].keys[1]',
        /^zz is not a key of the policy's rules \(app_id, CostCenter\)$/,
      );
      // Nor may replacing the rules leave an exemption behind that names a key no longer there.
      const exempted = await create(finopsBody({ exemptions: [{ resource: 'x', keys: ['CostCenter'] }] }));
      await expectError(
        await t.app.inject({
          method: 'PATCH',
          url: `/v1/orgs/${slug}/tagging-policies/${exempted.id}`,
          headers: editor,
          payload: { data: { attributes: { tags: [{ key: 'app_id', valueType: 'ANY' }] } } },
        }),
        'body.data.attributes.exemptions[0].keys[0]',
        /^CostCenter is not a key of the policy's rules \(app_id\)$/,
      );

      // An enabled policy without rules would pass every resource and inflate the share tagged correctly.
      await expectError(
        await post(finopsBody({ tags: [] })),
        'body.tags',
        /^must hold at least one rule while the policy is enabled/,
      );
      const draft = await create(finopsBody({ tags: [], enabled: false }));
      expect(draft).toMatchObject({ enabled: false, tags: [] });
      await expectError(
        await t.app.inject({
          method: 'PATCH',
          url: `${base}/${draft.id}`,
          headers: editor,
          payload: { enabled: true },
        }),
        'body.tags',
        /^must hold at least one rule while the policy is enabled/,
      );
      await expectError(
        await t.app.inject({
          method: 'PATCH',
          url: `${base}/${providers.id}`,
          headers: editor,
          payload: { data: { attributes: { tags: [] } } },
        }),
        'body.data.attributes.tags',
        /^must hold at least one rule while the policy is enabled/,
      );
    });
  });
}

describe('audit diff of tagging policies', () => {
  const policy = (tags: Record<string, string[]>): PolicyDefinition => ({
    name: 'p',
    description: null,
    enabled: true,
    enforcement: 'warn',
    message: null,
    scope: { providers: [], resource_types: { include: [], exclude: [] }, tag_filter: {} },
    exemptions: [],
    trim_values: false,
    tags: Object.entries(tags).map(([key, allowedValues]) => ({
      key,
      mandatory: true,
      valueType: 'LIST' as const,
      allowedValues,
      caseSensitive: true,
      message: null,
    })),
  });
  const many = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);

  it('lists the first values of each key, sorted, within a cap per key and per entry; counts stay exact', () => {
    // Twelve keys of 300 new values each (reversed: the lists are sorted, not taken in input order).
    const after = policy(
      Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`k${k}`, many(`v${k}`, 300).reverse()])),
    );
    const diff = diffDefinitions(policy({ k0: ['old-b', 'old-a'] }), after);
    const [first, ...rest] = diff.tags;
    expect(first).toEqual({
      key: 'k0',
      change: 'changed',
      values_added: 300,
      values_removed: 2,
      added_values: many('v0', AUDIT_VALUES_CAP),
      removed_values: ['old-a', 'old-b'],
      truncated: true,
      values: 300,
    });
    expect(rest.every((t) => t.values_added === 300 && t.truncated === true)).toBe(true);
    const listed = diff.tags.reduce((n, t) => n + t.added_values.length + t.removed_values.length, 0);
    expect(listed).toBe(AUDIT_VALUES_TOTAL_CAP);
    expect(diff.tags.at(-1)?.added_values).toEqual([]);
    expect(JSON.stringify(diff).length).toBeLessThan(20_000);
  });
});
