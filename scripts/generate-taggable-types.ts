/**
 * Builds src/core/tagging/data/taggable-resource-types.json: the resource
 * types whose schema has a `tags` attribute (aws, azurerm) or a `labels`
 * attribute (google). The validator uses it only when a plan does not say
 * (its planned values are the better source: they come from the provider
 * version that made the plan).
 *
 * From provider schemas (the intended path):
 *   terraform providers schema -json > schema.json
 *   npx tsx scripts/generate-taggable-types.ts schema.json [more.json …] [--source TEXT] [--merge]
 *
 * From name lists (one type per line), when terraform cannot be run:
 *   npx tsx scripts/generate-taggable-types.ts --names aws=aws.txt --names google=google.txt --source TEXT [--merge]
 *
 * --merge keeps providers that the inputs do not cover from the existing file.
 * --out PATH writes elsewhere.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type TaggableProvider = 'aws' | 'azurerm' | 'google';
export const TAGGABLE_PROVIDERS: readonly TaggableProvider[] = ['aws', 'azurerm', 'google'];

export interface TaggableTypesFile {
  aws: string[];
  azurerm: string[];
  google: string[];
  generated_from: Record<string, string>;
  generated_at: string;
}

/** The attribute that carries user tags for each provider. */
const TAG_ATTRIBUTE: Record<TaggableProvider, string> = { aws: 'tags', azurerm: 'tags', google: 'labels' };

interface ProviderSchemasJson {
  format_version?: string;
  provider_schemas?: Record<
    string,
    { resource_schemas?: Record<string, { block?: { attributes?: Record<string, unknown> } }> }
  >;
}

/** `registry.terraform.io/hashicorp/google-beta` → `google`. */
export function providerOfSchemaKey(key: string): TaggableProvider | null {
  const name = key.split('/').pop() ?? key;
  if (name === 'aws') return 'aws';
  if (name === 'azurerm') return 'azurerm';
  if (name === 'google' || name === 'google-beta') return 'google';
  return null;
}

/** Lists, per provider, every resource type whose schema has the provider's tag attribute. */
export function taggableTypesFromSchema(schema: ProviderSchemasJson): Partial<Record<TaggableProvider, string[]>> {
  if (!schema || typeof schema !== 'object' || !schema.provider_schemas) {
    throw new Error('not the output of `terraform providers schema -json`: no provider_schemas');
  }
  const out: Partial<Record<TaggableProvider, Set<string>>> = {};
  for (const [key, provider] of Object.entries(schema.provider_schemas)) {
    const which = providerOfSchemaKey(key);
    if (!which) continue;
    out[which] ??= new Set<string>();
    const set = out[which];
    for (const [type, resource] of Object.entries(provider.resource_schemas ?? {})) {
      const attributes = resource.block?.attributes ?? {};
      if (Object.hasOwn(attributes, TAG_ATTRIBUTE[which])) set.add(type);
    }
  }
  const result: Partial<Record<TaggableProvider, string[]>> = {};
  for (const [provider, set] of Object.entries(out) as [TaggableProvider, Set<string>][]) {
    result[provider] = [...set].sort();
  }
  return result;
}

/** One type per line; blank lines and `#` comments ignored. */
export function typesFromNameList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    ),
  ].sort();
}

export function buildTaggableTypesFile(
  lists: Partial<Record<TaggableProvider, string[]>>,
  sources: Partial<Record<TaggableProvider, string>>,
  previous: TaggableTypesFile | null,
  now: Date,
): TaggableTypesFile {
  const file: TaggableTypesFile = {
    aws: [],
    azurerm: [],
    google: [],
    generated_from: {},
    generated_at: now.toISOString(),
  };
  for (const provider of TAGGABLE_PROVIDERS) {
    const list = lists[provider];
    if (list) {
      file[provider] = list;
      file.generated_from[provider] = sources[provider] ?? 'unspecified';
    } else if (previous) {
      file[provider] = previous[provider] ?? [];
      if (previous.generated_from?.[provider]) file.generated_from[provider] = previous.generated_from[provider];
    }
  }
  return file;
}

function main(argv: string[]): void {
  const here = dirname(fileURLToPath(import.meta.url));
  let out = join(here, '..', 'src', 'core', 'tagging', 'data', 'taggable-resource-types.json');
  let source: string | null = null;
  let merge = false;
  const schemaFiles: string[] = [];
  const nameLists: [TaggableProvider, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--out') out = argv[++i]!;
    else if (arg === '--source') source = argv[++i]!;
    else if (arg === '--merge') merge = true;
    else if (arg === '--names') {
      const [provider, path] = (argv[++i] ?? '').split('=');
      if (!provider || !path || !TAGGABLE_PROVIDERS.includes(provider as TaggableProvider)) {
        throw new Error(`--names wants PROVIDER=FILE with PROVIDER one of ${TAGGABLE_PROVIDERS.join(', ')}`);
      }
      nameLists.push([provider as TaggableProvider, path]);
    } else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else schemaFiles.push(arg);
  }
  if (schemaFiles.length === 0 && nameLists.length === 0) {
    throw new Error(
      'usage: generate-taggable-types.ts SCHEMA.json … | --names PROVIDER=FILE … [--source TEXT] [--merge] [--out PATH]',
    );
  }

  const lists: Partial<Record<TaggableProvider, string[]>> = {};
  const sources: Partial<Record<TaggableProvider, string>> = {};
  for (const file of schemaFiles) {
    const found = taggableTypesFromSchema(JSON.parse(readFileSync(file, 'utf8')) as ProviderSchemasJson);
    for (const [provider, types] of Object.entries(found) as [TaggableProvider, string[]][]) {
      lists[provider] = [...new Set([...(lists[provider] ?? []), ...types])].sort();
      sources[provider] = source ?? `terraform providers schema -json (${basename(file)})`;
    }
  }
  for (const [provider, file] of nameLists) {
    lists[provider] = [
      ...new Set([...(lists[provider] ?? []), ...typesFromNameList(readFileSync(file, 'utf8'))]),
    ].sort();
    sources[provider] = source ?? `name list ${basename(file)}`;
  }
  const previous = merge && existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as TaggableTypesFile) : null;
  const file = buildTaggableTypesFile(lists, sources, previous, new Date());
  writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
  const counts = TAGGABLE_PROVIDERS.map((p) => `${p} ${file[p].length}`).join(', ');
  console.log(`wrote ${out}: ${counts}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
}
