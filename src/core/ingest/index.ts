/**
 * Inventory ingest parsers: one input document → nodes and edges, with no
 * I/O. Discovery jobs run them and upsert the result.
 *
 * - `parseTerraformState`: a `.tfstate` (v4) or `terraform show -json` of a state;
 * - `parseTerraformPlan`: `terraform show -json` of a plan (what will exist after apply);
 * - `parseAwsSnapshot`: AWS CLI describe/list output, one document per call;
 *   `snapshotDocumentsFromFiles` builds its input from a folder's files.
 *
 * Node ids, type names and edges are documented in docs/inventory-types.md.
 */
import type { ParsedInventory } from '../inventory/types.ts';
import { type AwsSnapshotInput, parseAwsSnapshot } from './aws-snapshot.ts';
import { ingestError } from './errors.ts';
import { parseTerraformPlan } from './terraform-plan.ts';
import { parseTerraformState, type TerraformDocumentOptions } from './terraform-state.ts';
import { isRecord } from './values.ts';

export type { AwsSnapshotDocument, AwsSnapshotInput } from './aws-snapshot.ts';
export { parseAwsSnapshot, RECOGNISED_DOCUMENT_KEYS, readableDocumentKeys } from './aws-snapshot.ts';
export { IngestError, ingestError } from './errors.ts';
export type { SnapshotDefaults, SnapshotFile } from './snapshot-files.ts';
export { snapshotDocumentsFromFiles } from './snapshot-files.ts';
export type { TerraformParseOptions } from './terraform-model.ts';
export { parseTerraformPlan } from './terraform-plan.ts';
export type { TerraformDocumentOptions } from './terraform-state.ts';
export { parseTerraformState } from './terraform-state.ts';
export {
  ACCOUNT_SCOPED_NAME_TYPES,
  AWS_DOCUMENT_KEYS,
  AWS_TYPES,
  accountScopedKey,
  awsTypeForNativeId,
  cloudOfTerraformType,
  infracastTypeForTerraform,
  TERRAFORM_MERGED_TYPES,
  TERRAFORM_NODE_TYPES,
} from './type-map.ts';

export const INGEST_SOURCES = ['terraform_state', 'terraform_plan', 'aws_snapshot'] as const;
export type IngestSource = (typeof INGEST_SOURCES)[number];

/**
 * Runs the parser for `source`. For Terraform sources, `input` is the JSON
 * document itself, or `{ document, region?, account_id?, provider_regions? }`
 * to give defaults the document lacks. For `aws_snapshot` it is an
 * AwsSnapshotInput (`{ account_id?, region?, documents: [{ name, content }] }`).
 */
export function parseSource(source: IngestSource, input: unknown): ParsedInventory {
  switch (source) {
    case 'terraform_state': {
      const { document, options } = unwrapTerraformInput(input, 'terraform_state');
      return parseTerraformState(document, options);
    }
    case 'terraform_plan': {
      const { document, options } = unwrapTerraformInput(input, 'terraform_plan');
      return parseTerraformPlan(document, options);
    }
    case 'aws_snapshot':
      return parseAwsSnapshot(input as AwsSnapshotInput);
    default:
      throw ingestError(null, 'source', `must be one of ${INGEST_SOURCES.join(', ')}`);
  }
}

const TERRAFORM_DOCUMENT_KEYS = ['version', 'format_version', 'resources', 'values', 'resource_changes'];

function unwrapTerraformInput(
  input: unknown,
  documentName: string,
): { document: unknown; options: TerraformDocumentOptions } {
  if (!isRecord(input) || !('document' in input) || TERRAFORM_DOCUMENT_KEYS.some((k) => k in input)) {
    return { document: input, options: { document_name: documentName } };
  }
  const options: TerraformDocumentOptions = {
    document_name: typeof input.name === 'string' ? input.name : documentName,
  };
  if (typeof input.region === 'string') options.region = input.region;
  if (typeof input.account_id === 'string') options.account_id = input.account_id;
  if (isRecord(input.provider_regions)) {
    const regions: Record<string, string> = {};
    for (const [k, v] of Object.entries(input.provider_regions)) if (typeof v === 'string') regions[k] = v;
    options.provider_regions = regions;
  }
  return { document: input.document, options };
}
