/**
 * KMS keys in an AWS snapshot: `kms describe-key` per key and `kms get-key-rotation-status` per key (the key
 * named in the output, as newer CLIs print it, or in the file name), as the key-rotation rule reads them.
 */
import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot, snapshotDocumentsFromFiles } from '../../../src/core/ingest/index.ts';
import { evaluateRules, ruleById } from '../../../src/core/rules/index.ts';

const A = '111111111111';
const CUSTOMER = '1234abcd-12ab-34cd-56ef-1234567890ab';
const OLD_CLI = '0987dcba-09fe-87dc-65ba-ab0987654321';
const AWS_MANAGED = 'aaaabbbb-cccc-dddd-eeee-ffff00001111';
const arn = (id: string) => `arn:aws:kms:us-east-1:${A}:key/${id}`;
const metadata = (id: string, extra: Record<string, unknown> = {}) => ({
  KeyMetadata: {
    AWSAccountId: A,
    KeyId: id,
    Arn: arn(id),
    CreationDate: '2026-01-10T09:00:00+00:00',
    Enabled: true,
    Description: 'orders data key',
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: 'Enabled',
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    KeySpec: 'SYMMETRIC_DEFAULT',
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
    ...extra,
  },
});
const dir = `${A}/us-east-1`;

const inv = parseAwsSnapshot(
  snapshotDocumentsFromFiles([
    { path: `${dir}/kms-describe-key-${CUSTOMER}.json`, content: metadata(CUSTOMER) },
    { path: `${dir}/kms-describe-key-${OLD_CLI}.json`, content: metadata(OLD_CLI) },
    { path: `${dir}/kms-describe-key-${AWS_MANAGED}.json`, content: metadata(AWS_MANAGED, { KeyManager: 'AWS' }) },
    // A newer CLI names the key (by ARN) in the output.
    {
      path: `${dir}/kms-rotation-a.json`,
      content: { KeyRotationEnabled: false, KeyId: arn(CUSTOMER), RotationPeriodInDays: 365 },
    },
    // An older one prints the flag alone: the key id is in the file name.
    { path: `${dir}/kms-get-key-rotation-status-${OLD_CLI}.json`, content: { KeyRotationEnabled: true } },
    { path: `${dir}/kms-rotation-${AWS_MANAGED}.json`, content: { KeyRotationEnabled: false } },
    { path: `${dir}/kms-rotation-unknown.json`, content: { KeyRotationEnabled: true } },
  ]),
);

describe('aws_snapshot: KeyMetadata and KeyRotationEnabled', () => {
  it('keeps each key with its spec, manager and rotation, as aws_kms_key names them', () => {
    const keys = inv.nodes.filter((n) => n.type === 'aws.kms.key');
    expect(keys.map((n) => [n.id, n.native_id, n.attributes.key_manager, n.attributes.enable_key_rotation])).toEqual([
      [`aws:us-east-1:aws.kms.key:${OLD_CLI}`, arn(OLD_CLI), 'CUSTOMER', true],
      [`aws:us-east-1:aws.kms.key:${CUSTOMER}`, arn(CUSTOMER), 'CUSTOMER', false],
      [`aws:us-east-1:aws.kms.key:${AWS_MANAGED}`, arn(AWS_MANAGED), 'AWS', false],
    ]);
    expect(keys[1]?.attributes).toMatchObject({
      key_id: CUSTOMER,
      key_usage: 'ENCRYPT_DECRYPT',
      customer_master_key_spec: 'SYMMETRIC_DEFAULT',
      is_enabled: true,
    });
    expect(inv.skipped_documents).toEqual([`${dir}/kms-rotation-unknown.json`]);
    expect(inv.warnings).toEqual([
      `document "${dir}/kms-rotation-unknown.json": key rotation status without a key id (give the file the key id in its name, or wrap it as {KeyId, KeyRotationEnabled}); not read`,
    ]);
  });

  it('lets the rotation rule judge customer keys; AWS managed keys are not applicable', () => {
    const rule = ruleById('aws.kms.key_rotation_disabled');
    if (!rule) throw new Error('no rule');
    const r = evaluateRules(inv.nodes, inv.edges, [rule]).results[0];
    expect(r?.failures.map((f) => f.message)).toEqual([`KMS key ${CUSTOMER} has automatic rotation turned off`]);
    expect(r?.evaluated).toBe(2);
  });
});
