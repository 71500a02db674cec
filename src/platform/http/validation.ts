/**
 * Request validation with Ajv. Bodies are validated strictly (no coercion:
 * `"1"` is not a number); query strings and path parameters are coerced,
 * because everything in a URL is a string. Unknown fields are rejected
 * everywhere: every object schema sets `additionalProperties: false`.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '../errors.ts';
import { LIST_PATTERN, NOT_BLANK, OPTIONAL_BODY } from './schemas.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as unknown as (
  ajv: Ajv,
) => Ajv;

const base: Options = {
  allErrors: true,
  useDefaults: true,
  removeAdditional: false,
  strict: false,
  // OpenAPI keywords that TypeBox options may carry.
  keywords: ['example'],
};

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...base, ...options });
  addFormats(ajv);
  return ajv;
}

/**
 * The two Ajv instances route schemas compile in, shared by every app this process builds: Ajv keeps
 * each schema object's compiled function, and route schemas are module constants, so an app built
 * again (the tests build hundreds) does not compile them again.
 */
let processAjv: { strict: Ajv; coercing: Ajv } | null = null;

export function createValidatorCompiler(shared: Record<string, unknown>[] = []): FastifySchemaCompiler<unknown> {
  const fresh = () => ({ strict: makeAjv({ coerceTypes: false }), coercing: makeAjv({ coerceTypes: 'array' }) });
  // Schemas added by name are this app's own: they get instances of their own.
  processAjv ??= fresh();
  let instances = shared.length > 0 ? fresh() : processAjv;
  for (const s of shared) {
    instances.strict.addSchema(s);
    instances.coercing.addSchema(s);
  }
  const compile = (schema: object, httpPart: string | undefined) => {
    const ajv = httpPart === 'body' ? instances.strict : instances.coercing;
    try {
      return ajv.compile(schema);
    } catch (e) {
      // Another object with the same $id compiled earlier in this process (an app built from other
      // schemas): this app compiles in instances of its own from now on.
      if (instances !== processAjv || !/already exists/.test(String((e as Error).message))) throw e;
      instances = fresh();
      return compile(schema, httpPart);
    }
  };
  return ({ schema, httpPart }) => {
    const validate = compile(schema as object, httpPart);
    if (httpPart === 'querystring' || httpPart === 'params') {
      return strictNumbers(schema as object, validate) as ReturnType<FastifySchemaCompiler<unknown>>;
    }
    if (httpPart !== 'body' || (schema as Record<string, unknown>)[OPTIONAL_BODY] !== true) {
      return validate as ReturnType<FastifySchemaCompiler<unknown>>;
    }
    // No body at all is fine (Fastify hands it over as null); a body is validated as usual.
    const optional = (data: unknown) => data === undefined || data === null || validate(data);
    Object.defineProperty(optional, 'errors', { get: () => validate.errors });
    return optional as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}

const NUMBER_TEXT = { integer: /^-?\d+$/, number: /^-?\d+(?:\.\d+)?$/ } as const;

/**
 * Ajv coerces a query or path value with `Number()`, which reads `0x10`, `5e1` and ` 10` as numbers. A
 * number in a URL is written in decimal digits: anything else is a 400, as `abc` is. Checks the schema's
 * top-level numeric properties (query and path schemas are flat) before Ajv coerces them.
 */
function strictNumbers(schema: object, validate: ValidateFunction): ValidateFunction | ((data: unknown) => boolean) {
  const numeric: [string, keyof typeof NUMBER_TEXT][] = [];
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  for (const [name, property] of Object.entries(properties)) {
    if (property.type === 'integer' || property.type === 'number') numeric.push([name, property.type]);
  }
  if (numeric.length === 0) return validate;
  let errors: ErrorObject[] | null = null;
  const check = (data: unknown) => {
    const bad: ErrorObject[] = [];
    if (data !== null && typeof data === 'object') {
      for (const [name, type] of numeric) {
        const value = (data as Record<string, unknown>)[name];
        if (typeof value === 'string' && !NUMBER_TEXT[type].test(value)) {
          bad.push({
            keyword: 'type',
            instancePath: `/${name}`,
            schemaPath: '',
            params: { type },
            message: `must be ${type}`,
          });
        }
      }
    }
    const valid = validate(data);
    if (bad.length === 0) {
      errors = validate.errors ?? null;
      return valid;
    }
    const paths = new Set(bad.map((e) => e.instancePath));
    errors = [...bad, ...(validate.errors ?? []).filter((e) => !paths.has(e.instancePath))];
    return false;
  };
  Object.defineProperty(check, 'errors', { get: () => errors });
  return check;
}

let outsideRoutes: Ajv | null = null;

/**
 * A validator for a JSON value checked outside a route, as bodies are (strict, no coercion): it answers
 * the `{path, message}` pairs of what is wrong, under `context` (e.g. `body.filters`), or null when valid.
 */
export function compileJsonValidator(schema: object, context: string): (data: unknown) => FieldError[] | null {
  outsideRoutes ??= makeAjv({ coerceTypes: false });
  const validate = outsideRoutes.compile(schema);
  return (data) => (validate(data) ? null : toFieldErrors(validate.errors ?? [], context));
}

const MAX_DETAILS = 50;

/** Turns Ajv errors into `{path, message}` pairs a person can act on. */
export function toFieldErrors(errors: ErrorObject[], context: string): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let path = pointerToPath(context, e.instancePath);
    let message = e.message ?? 'is invalid';
    switch (e.keyword) {
      case 'additionalProperties': {
        const field = String((e.params as { additionalProperty: string }).additionalProperty);
        path = joinPath(path, field);
        message = `unknown field "${field}"`;
        break;
      }
      case 'required': {
        const field = String((e.params as { missingProperty: string }).missingProperty);
        path = joinPath(path, field);
        message = 'is required';
        break;
      }
      case 'enum':
        message = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'minLength':
        if ((e.params as { limit?: number }).limit === 1) message = 'must not be empty';
        break;
      case 'pattern': {
        const pattern = (e.params as { pattern?: string }).pattern;
        if (pattern === NOT_BLANK) message = 'must not be blank';
        else if (pattern === LIST_PATTERN) message = 'must list at least one value';
        break;
      }
      case 'const':
        message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
        break;
      case 'anyOf':
      case 'oneOf':
        // The branch errors above already say what is wrong; this adds nothing.
        if (out.some((o) => o.path.startsWith(path))) continue;
        message = 'does not match any allowed shape';
        break;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
    if (out.length >= MAX_DETAILS) break;
  }
  return out;
}

function pointerToPath(context: string, pointer: string): string {
  let path = context;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = /^\d+$/.test(seg) ? `${path}[${seg}]` : joinPath(path, seg);
  }
  return path;
}

const joinPath = (path: string, field: string) =>
  /^[A-Za-z_$][\w$]*$/.test(field) ? `${path}.${field}` : `${path}[${JSON.stringify(field)}]`;
