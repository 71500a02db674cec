/**
 * Policy files for `infracast validate --policies FILE`: the same JSON as the
 * API's list or get answer, a plain array, one policy, or the seed's
 * `{"data":{"attributes":{…}}}`. Checked like the API checks a body (types,
 * unknown fields, then the engine's problems) so a file that validates
 * offline would be accepted by the server. Imports no TypeBox: the CLI must
 * start in a fraction of a second.
 */
import type { TaggingPolicy } from '../../core/tagging/index.ts';
import type { FieldError } from '../../platform/errors.ts';
import { definitionFrom, normalizeDefinition, POLICY_FIELDS, toEnginePolicy } from './definition.ts';
import type { PolicyAttributesInputT } from './schemas.ts';

export class PolicyFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : ''));
    this.name = 'PolicyFileError';
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Server-side fields of an API answer, ignored when read back from a file. */
const READ_ONLY = new Set(['id', 'type', 'version', 'created_at', 'updated_at']);

export function policiesFromDocument(doc: unknown): TaggingPolicy[] {
  const d = isObject(doc) && 'data' in doc ? doc.data : doc;
  const items = Array.isArray(d) ? d : isObject(d) ? [d] : null;
  if (!items) throw new PolicyFileError(['expected a policy, a list of policies, or {"data": …}']);
  const single = !Array.isArray(d);
  const problems: string[] = [];
  const policies: TaggingPolicy[] = [];
  items.forEach((item, i) => {
    const at = (path: string) => (single ? path : `[${i}]${path ? `.${path}` : ''}`) || 'policy';
    if (!isObject(item)) {
      problems.push(`${at('')}: must be an object`);
      return;
    }
    // A JSON:API resource `{id, type, attributes}`, or the policy's fields directly.
    const attrs = isObject(item.attributes) ? item.attributes : item;
    const id = typeof item.id === 'string' && item.id ? item.id : single ? 'policy' : `policy-${i + 1}`;
    const fields: Json = {};
    for (const [k, v] of Object.entries(attrs)) if (!READ_ONLY.has(k)) fields[k] = v;
    const shape = shapeProblems(fields);
    if (shape.length > 0) {
      for (const p of shape) problems.push(`${at(p.path)}: ${p.message}`);
      return;
    }
    const a = fields as PolicyAttributesInputT;
    try {
      const def = normalizeDefinition(
        definitionFrom({ attributes: { ...a, name: a.name ?? id, tags: a.tags ?? [] }, base: '' }),
        '',
      );
      policies.push(toEnginePolicy(id, def));
    } catch (e) {
      const details = ((e as { details?: FieldError[] | null }).details ?? []) as FieldError[];
      for (const p of details) problems.push(`${at(p.path.replace(/^\./, ''))}: ${p.message}`);
      if (details.length === 0) problems.push(`${at('')}: ${(e as Error).message}`);
    }
  });
  if (problems.length > 0) throw new PolicyFileError(problems);
  const seen = new Set<string>();
  for (const p of policies) {
    if (seen.has(p.id)) throw new PolicyFileError([`policy id ${p.id} appears more than once`]);
    seen.add(p.id);
  }
  return policies;
}

/** The API schema's checks (PolicyAttributesInput in schemas.ts), by hand. */
function shapeProblems(f: Json): FieldError[] {
  const out: FieldError[] = [];
  const fail = (path: string, message: string): void => {
    out.push({ path, message });
  };
  const unknownFields = (o: Json, allowed: readonly string[], base: string) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(base ? `${base}.${k}` : k, 'unknown field');
  };
  const str = (v: unknown, path: string, nullable = false) => {
    if (v === undefined || (nullable && v === null)) return;
    if (typeof v !== 'string') fail(path, nullable ? 'must be a string or null' : 'must be a string');
  };
  const bool = (v: unknown, path: string) => {
    if (v !== undefined && typeof v !== 'boolean') fail(path, 'must be true or false');
  };
  const strings = (v: unknown, path: string) => {
    if (v === undefined) return;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(path, 'must be an array of strings');
  };

  unknownFields(f, POLICY_FIELDS, '');
  str(f.name, 'name');
  str(f.description, 'description', true);
  str(f.message, 'message', true);
  bool(f.enabled, 'enabled');
  bool(f.trim_values, 'trim_values');
  if (f.enforcement !== undefined && f.enforcement !== 'warn' && f.enforcement !== 'block') {
    fail('enforcement', "must be 'warn' or 'block'");
  }
  if (f.scope !== undefined) {
    if (!isObject(f.scope)) fail('scope', 'must be an object');
    else {
      const s = f.scope;
      unknownFields(s, ['providers', 'resource_types', 'tag_filter'], 'scope');
      strings(s.providers, 'scope.providers');
      if (s.resource_types !== undefined) {
        if (!isObject(s.resource_types)) fail('scope.resource_types', 'must be an object');
        else {
          unknownFields(s.resource_types, ['include', 'exclude'], 'scope.resource_types');
          strings(s.resource_types.include, 'scope.resource_types.include');
          strings(s.resource_types.exclude, 'scope.resource_types.exclude');
        }
      }
      if (
        s.tag_filter !== undefined &&
        !(isObject(s.tag_filter) && Object.values(s.tag_filter).every((v) => typeof v === 'string'))
      ) {
        fail('scope.tag_filter', 'must map tag keys to string values');
      }
    }
  }
  if (f.exemptions !== undefined) {
    if (!Array.isArray(f.exemptions)) fail('exemptions', 'must be an array');
    else
      f.exemptions.forEach((e, i) => {
        const at = `exemptions[${i}]`;
        if (!isObject(e)) {
          fail(at, 'must be an object');
          return;
        }
        unknownFields(e, ['resource', 'keys', 'reason', 'expires_at'], at);
        if (typeof e.resource !== 'string' || e.resource === '') fail(`${at}.resource`, 'is required');
        strings(e.keys, `${at}.keys`);
        str(e.reason, `${at}.reason`, true);
        str(e.expires_at, `${at}.expires_at`, true);
      });
  }
  if (f.tags !== undefined) {
    if (!Array.isArray(f.tags)) fail('tags', 'must be an array');
    else
      f.tags.forEach((r, i) => {
        const at = `tags[${i}]`;
        if (!isObject(r)) {
          fail(at, 'must be an object');
          return;
        }
        unknownFields(
          r,
          ['key', 'mandatory', 'valueType', 'allowedValues', 'allowedRegex', 'caseSensitive', 'message'],
          at,
        );
        if (typeof r.key !== 'string' || r.key === '') fail(`${at}.key`, 'is required');
        if (!['ANY', 'LIST', 'REGEX'].includes(r.valueType as string))
          fail(`${at}.valueType`, 'must be ANY, LIST or REGEX');
        strings(r.allowedValues, `${at}.allowedValues`);
        str(r.allowedRegex, `${at}.allowedRegex`);
        bool(r.mandatory, `${at}.mandatory`);
        bool(r.caseSensitive, `${at}.caseSensitive`);
        str(r.message, `${at}.message`, true);
      });
  }
  return out;
}
