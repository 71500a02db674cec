/**
 * `infracast validate PLAN`: checks a Terraform plan (`terraform show -json`)
 * against tagging policies, in CI or by hand.
 *
 * - Against a server: `--server URL --tenant t` with INFRACAST_TOKEN (or
 *   INFRACAST_CLIENT_ID + INFRACAST_SECRET_KEY); the server validates with
 *   the tenant's enabled policies (compiled once there and cached).
 * - Offline: `--policies FILE`, the same JSON as the API's list or get
 *   answer, a plain array, or the seed's `{"data":{"attributes":{…}}}`.
 *
 * Output: `--format text|json|markdown|sarif|junit|github` to stdout or
 * `--output FILE`. Exit codes: 0 clean or only `warn` policies fail, 1 a
 * `block` policy fails, 2 the check could not run (unreadable plan or policy
 * file, bad options or credentials, server unreachable or refusing).
 *
 * Kept light on purpose: this runs on every pull request, so it loads the
 * engine and the HTTP client, never the server (no Fastify, no TypeBox).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  compilePolicies,
  exitCodeFor,
  formatValidation,
  InvalidPlanError,
  isOutputFormat,
  OUTPUT_FORMATS,
  type OutputFormat,
  type TaggingPolicy,
  type ValidationResult,
  validatePlan,
} from '../../core/tagging/index.ts';
import { PolicyFileError, policiesFromDocument } from '../../modules/tagging/policy-file.ts';
import { ApiError, createApiClient, credentialsFromEnv, DEFAULT_SERVER } from '../client.ts';
import { CliError } from '../shared.ts';

interface ValidateOptions {
  server?: string;
  tenant?: string;
  policies?: string;
  policy?: string[];
  format: string;
  output?: string;
}

const BAD_INPUT = 2;

/** One line, whatever the underlying message holds (CI logs show the first line only). */
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

function readText(path: string, what: string): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? (e as Error).message);
    throw new CliError(`cannot read ${what} ${path}: ${why}`, BAD_INPUT);
  }
}

/** Parses JSON text, failing with the file's name and the parser's reason on one line. */
function parseJson(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const detail = text.trim() === '' ? 'the file is empty' : oneLine((e as Error).message);
    throw new CliError(`${path}: ${what} is not valid JSON: ${detail}`, BAD_INPUT);
  }
}

function loadPolicies(path: string, only: string[] | undefined): TaggingPolicy[] {
  let policies: TaggingPolicy[];
  try {
    policies = policiesFromDocument(parseJson(readText(path, 'policies'), path, 'the policy file'));
  } catch (e) {
    if (e instanceof PolicyFileError) throw new CliError(`${path}: invalid policies: ${oneLine(e.message)}`, BAD_INPUT);
    throw e;
  }
  if (!only) return policies;
  const unknown = only.filter((id) => !policies.some((p) => p.id === id));
  if (unknown.length > 0) throw new CliError(`${path}: no policy ${unknown.join(', ')}`, BAD_INPUT);
  // Named explicitly: checked even when disabled (validatePlan's includeDisabled), as the API does
  // with policy_ids, and shown as they are (`enabled: false` in the JSON, a note in the headline).
  return policies.filter((p) => only.includes(p.id));
}

/** Formats that list every resource (unknown-until-apply ones, JUnit test cases); the others need only violations. */
const NEEDS_RESOURCES: readonly OutputFormat[] = ['text', 'json', 'markdown', 'junit'];

async function validateOnServer(
  planText: string,
  planPath: string,
  format: OutputFormat,
  o: ValidateOptions,
): Promise<ValidationResult> {
  if (!o.tenant) throw new CliError('give --tenant with --server (or --policies FILE to validate offline)', BAD_INPUT);
  const credentials = credentialsFromEnv(process.env);
  if (!credentials) {
    throw new CliError('set INFRACAST_TOKEN, or INFRACAST_CLIENT_ID and INFRACAST_SECRET_KEY', BAD_INPUT);
  }
  const client = createApiClient({ server: o.server ?? DEFAULT_SERVER, credentials, userAgent: 'infracast-cli' });
  // The plan goes as the text it was read as: a 50 MB plan is not parsed and serialised again.
  const body = o.policy?.length ? `{"plan":${planText},"policy_ids":${JSON.stringify(o.policy)}}` : planText;
  try {
    // Every resource of a 15k-resource plan is ~15 MB of JSON: asked for only when the format shows them.
    const withResources = NEEDS_RESOURCES.includes(format);
    const result = await client.post<ValidationResult>(client.tenantPath(o.tenant, 'tagging-policies', 'validate'), {
      rawJson: body,
      query: { include: withResources ? 'resources' : undefined },
    });
    return { ...result, resources: result.resources ?? [] };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    // A refused plan names the file; anything else is about the server (its message already says which).
    if (e.status === 400 && /plan/i.test(e.message))
      throw new CliError(`${planPath}: ${oneLine(e.message)}`, BAD_INPUT);
    if (e.status === 0) throw new CliError(oneLine(e.message), BAD_INPUT);
    throw new CliError(`${client.server} answered ${e.status}: ${oneLine(e.message)}`, BAD_INPUT);
  }
}

async function runValidate(planPath: string, o: ValidateOptions): Promise<void> {
  if (!isOutputFormat(o.format)) {
    throw new CliError(`unknown --format ${o.format}; use one of ${OUTPUT_FORMATS.join(', ')}`, BAD_INPUT);
  }
  const format: OutputFormat = o.format;
  if (o.policies && o.tenant) {
    throw new CliError('give either --policies FILE (offline) or --tenant (against a server), not both', BAD_INPUT);
  }
  const planText = readText(planPath, 'plan');
  // Checked here in both modes: a broken file fails fast, naming itself, without a round trip.
  const plan = parseJson(planText, planPath, 'the plan');

  let result: ValidationResult;
  if (o.policies) {
    const policies = compilePolicies(loadPolicies(o.policies, o.policy));
    try {
      result = validatePlan(plan, policies, { includeDisabled: Boolean(o.policy?.length) });
    } catch (e) {
      if (e instanceof InvalidPlanError) throw new CliError(`${planPath}: ${oneLine(e.message)}`, BAD_INPUT);
      throw e;
    }
  } else {
    result = await validateOnServer(planText, planPath, format, o);
  }

  const text = formatValidation(result, format, {
    defaultFile: planPath === '-' ? undefined : planPath,
    toolVersion: toolVersion(),
  });
  if (o.output) {
    try {
      writeFileSync(o.output, text);
    } catch (e) {
      throw new CliError(
        `cannot write ${o.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        BAD_INPUT,
      );
    }
    const s = result.summary;
    // The share is over covered resources (an older server sends no `covered`).
    const uncovered = typeof s.covered === 'number' ? s.taggable - s.covered : 0;
    process.stderr.write(
      `infracast: ${result.violations.length === 0 ? 'PASS' : s.blocking > 0 ? 'FAIL' : 'WARN'}: ${s.blocking} blocking, ` +
        `${s.warnings} warning(s) in ${s.failed} of ${s.taggable} taggable resources` +
        `${s.percent === null || s.percent === undefined ? '' : `, ${s.percent}% tagged correctly`}` +
        `${uncovered > 0 ? ` (${uncovered} not covered by any policy)` : ''}; ${format} written to ${o.output}\n`,
    );
  } else {
    process.stdout.write(text);
  }
  process.exitCode = exitCodeFor(result);
}

let version: string | undefined;
function toolVersion(): string {
  if (version === undefined) {
    try {
      version = (
        JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
      ).version;
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}

export function registerValidateCommand(program: Command) {
  program
    .command('validate <plan>')
    .description(
      'Check a Terraform plan (`terraform show -json plan.out > plan.json`, or - for stdin) against tagging policies',
    )
    .option('--server <url>', 'server URL (validate against the tenant’s policies there)', DEFAULT_SERVER)
    .option('--tenant <slug>', 'tenant slug or id on the server')
    .option('--policies <file>', 'validate offline against the policies in this JSON file')
    .option(
      '--policy <id>',
      'check only this policy (repeatable; disabled ones included)',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option('--format <format>', `output: ${OUTPUT_FORMATS.join(', ')}`, 'text')
    .option('--output <file>', 'write the output to a file instead of stdout')
    .addHelpText(
      'after',
      `
Exit codes: 0 clean or only warn policies fail; 1 a block policy fails; 2 the check could not run.

Examples:
  $ INFRACAST_TOKEN=ick_… infracast validate plan.json --server https://infracast.example.com --tenant acme --format github
  $ infracast validate plan.json --policies policies.json --format markdown --output comment.md`,
    )
    .action((plan: string, opts: ValidateOptions) => runValidate(plan, opts));
}
