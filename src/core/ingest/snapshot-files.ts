/**
 * Turns a folder of AWS CLI output files (read by the caller) into an
 * AwsSnapshotInput, taking account and region from the folder layout:
 *
 * - `<account>/<region>/<x>.json` (and `<region>/<x>.json`, `<x>.json`);
 * - Batfish: `aws_configs/<x>.json`, `aws_configs/<region>/<x>.json`,
 *   `aws_configs/accounts/<account>/<region>/<x>.json` (and
 *   `accounts/<account>/<region>/<x>.json` at the snapshot root).
 *
 * A directory counts as a region when it is named like one (`us-east-1`,
 * `eu-west-2`, `global`), as an account when it is a 12-digit id or sits just
 * above a region inside an `accounts/` folder (Batfish allows named accounts).
 * What the layout does not say comes from `defaults` (then the parser uses
 * ARNs and availability zones).
 */
import type { AwsSnapshotDocument, AwsSnapshotInput } from './aws-snapshot.ts';
import { isAccountId, isRegionName } from './values.ts';

export interface SnapshotFile {
  /** Path relative to the folder the user named, with `/` or `\` separators. */
  path: string;
  content: unknown;
}

export interface SnapshotDefaults {
  account_id?: string;
  region?: string;
}

export function snapshotDocumentsFromFiles(files: SnapshotFile[], defaults: SnapshotDefaults = {}): AwsSnapshotInput {
  const documents: AwsSnapshotDocument[] = [];
  const sorted = files.slice().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    const segments = file.path.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
    const fileName = segments.at(-1);
    if (fileName === undefined || !fileName.toLowerCase().endsWith('.json')) continue;
    const { region, account } = locationFromDirectories(segments.slice(0, -1));
    const doc: AwsSnapshotDocument = { name: segments.join('/'), content: file.content };
    if (region !== null) doc.region = region;
    if (account !== null) doc.account_id = account;
    documents.push(doc);
  }
  const input: AwsSnapshotInput = { documents };
  if (defaults.account_id !== undefined) input.account_id = defaults.account_id;
  if (defaults.region !== undefined) input.region = defaults.region;
  return input;
}

function locationFromDirectories(dirs: string[]): { region: string | null; account: string | null } {
  let region: string | null = null;
  let account: string | null = null;
  for (let i = dirs.length - 1; i >= 0; i--) {
    const dir = dirs[i] as string;
    if (region === null && account === null && (isRegionName(dir) || dir === 'global')) {
      region = dir;
      const parent = dirs[i - 1];
      const grandParent = dirs[i - 2];
      if (parent !== undefined && (isAccountId(parent) || grandParent === 'accounts')) {
        account = parent;
        break;
      }
      continue;
    }
    if (account === null && isAccountId(dir)) {
      account = dir;
      break;
    }
  }
  return { region, account };
}
