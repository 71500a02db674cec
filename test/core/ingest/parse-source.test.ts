import { describe, expect, it } from 'vitest';
import { generateTerraformState } from '../../../bench/fixtures/tfstate.ts';
import { INGEST_SOURCES, IngestError, parseSource, parseTerraformState } from '../../../src/core/ingest/index.ts';
import { readJson, snapshotFromFolder } from './helpers.ts';

describe('parseSource', () => {
  it('dispatches each source to its parser', () => {
    expect(INGEST_SOURCES).toEqual(['terraform_state', 'terraform_plan', 'aws_snapshot']);
    expect(parseSource('terraform_state', readJson('terraform/two-tier.tfstate')).nodes).toHaveLength(20);
    expect(parseSource('terraform_plan', readJson('terraform/plan.json')).nodes).toHaveLength(12);
    expect(parseSource('aws_snapshot', snapshotFromFolder('aws-snapshot/two-tier')).nodes).toHaveLength(19);
  });

  it('accepts a Terraform document wrapped with the defaults it lacks', () => {
    const doc = {
      version: 4,
      resources: [
        {
          mode: 'managed',
          type: 'aws_vpc',
          name: 'main',
          provider: 'provider["registry.terraform.io/hashicorp/aws"]',
          instances: [{ schema_version: 1, attributes: { id: 'vpc-1', cidr_block: '10.0.0.0/16' } }],
        },
      ],
    };
    const inv = parseSource('terraform_state', {
      document: doc,
      region: 'ap-southeast-2',
      account_id: '123456789012',
      name: 'net.tfstate',
    });
    expect(inv.nodes[0]).toMatchObject({ id: 'aws:ap-southeast-2:aws.ec2.vpc:vpc-1', account: '123456789012' });
    expect(() => parseSource('terraform_state', { document: { version: 2 }, name: 'old.tfstate' })).toThrow(
      'document "old.tfstate": version must be 4',
    );
  });

  it('rejects an unknown source', () => {
    expect(() => parseSource('cloudformation' as never, {})).toThrow(IngestError);
    expect(() => parseSource('cloudformation' as never, {})).toThrow(
      'source must be one of terraform_state, terraform_plan, aws_snapshot',
    );
  });
});

describe('bench fixture: generateTerraformState', () => {
  it('is deterministic for a seed and gives edgesPerResource depends_on edges per resource', () => {
    const a = generateTerraformState({ resources: 2000, edgesPerResource: 3, seed: 11 });
    const b = generateTerraformState({ resources: 2000, edgesPerResource: 3, seed: 11 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.resources).toHaveLength(2000);
    const deps = a.resources.map((r) => r.instances[0]?.dependencies.length ?? 0);
    expect(deps.slice(10).every((d) => d === 3)).toBe(true);
    const inv = parseTerraformState(JSON.parse(JSON.stringify(a)));
    expect(inv.nodes).toHaveLength(2000);
    expect(inv.warnings).toEqual([]);
    expect(inv.edges.filter((e) => e.type === 'depends_on')).toHaveLength(deps.reduce((x, y) => x + y, 0));
    const types = new Set(inv.nodes.map((n) => n.type));
    expect([...types].sort()).toEqual([
      'aws.ec2.instance',
      'aws.ec2.security_group',
      'aws.ec2.subnet',
      'aws.ec2.vpc',
      'aws.s3.bucket',
    ]);
  });
});
