import { describe, expect, it } from 'vitest';
import { IngestError, parseTerraformPlan } from '../../../src/core/ingest/index.ts';
import { isUnknown, UNKNOWN } from '../../../src/core/inventory/types.ts';
import { knownTags, parsePlan } from '../../../src/core/tagging/plan.ts';
import { edgeStrings, hasEdge, nodeById, readJson } from './helpers.ts';

const EU = 'eu-west-1';
const id = (type: string, key: string, region = EU) => `aws:${region}:${type}:${key}`;

describe('terraform_plan: terraform show -json of a plan', () => {
  const plan = readJson('terraform/plan.json') as Record<string, unknown>;
  const inv = parseTerraformPlan(plan);

  it('keeps what exists after apply: creates, updates, no-ops and replacements, not deletes', () => {
    expect(inv.nodes.map((n) => n.id)).toEqual([
      id('aws.ec2.vpc', 'aws_vpc.main'),
      id('aws.ec2.subnet', 'aws_subnet.app["a"]'),
      id('aws.ec2.subnet', 'aws_subnet.app["b"]'),
      id('aws.ec2.internet_gateway', 'aws_internet_gateway.main'),
      id('aws.ec2.route_table', 'aws_route_table.app'),
      id('aws.ec2.security_group', 'aws_security_group.lb'),
      id('aws.ec2.security_group', 'aws_security_group.app'),
      id('aws.ec2.instance', 'module.app["a"].aws_instance.this'),
      id('aws.ec2.instance', 'module.app["b"].aws_instance.this'),
      'aws:global:aws.s3.bucket:staging-logs-222222222222',
      id('aws.rds.db_instance', '222222222222/staging-db'),
      // the replacement, in the region of its aliased provider (aws.use1)
      'aws:us-east-1:aws.ec2.instance:aws_instance.bastion',
    ]);
    expect(inv.nodes.some((n) => n.name === 'legacy-deployer')).toBe(false);
    expect(JSON.stringify(inv.nodes)).not.toContain('i-0b2c3d4e5f6a70008'); // the deposed object
    expect(inv.warnings).toContain('skipped resources of non-cloud providers (random: 1)');
  });

  it('records the planned actions and the address', () => {
    expect(nodeById(inv, 'aws:us-east-1:aws.ec2.instance:aws_instance.bastion').attributes).toMatchObject({
      terraform_address: 'aws_instance.bastion',
      terraform_actions: ['delete', 'create'],
      instance_type: 't3.nano',
      subnet_id: 'subnet-0b2c3d4e5f6a70002',
    });
    expect(nodeById(inv, 'aws:global:aws.s3.bucket:staging-logs-222222222222').attributes.terraform_actions).toEqual([
      'update',
    ]);
  });

  it('keeps values unknown after apply as UNKNOWN, never as strings', () => {
    const vpc = nodeById(inv, id('aws.ec2.vpc', 'aws_vpc.main'));
    expect(vpc).toMatchObject({ name: 'staging', native_id: null, account: '222222222222' });
    expect(vpc.attributes).toMatchObject({
      vpc_id: UNKNOWN,
      id: UNKNOWN,
      arn: UNKNOWN,
      owner_id: UNKNOWN,
      cidr_blocks: ['10.20.0.0/16'],
      ipv6_cidr_blocks: [],
      is_default: false,
    });
    const instance = nodeById(inv, id('aws.ec2.instance', 'module.app["a"].aws_instance.this'));
    expect(instance.attributes).toMatchObject({
      instance_id: UNKNOWN,
      subnet_id: UNKNOWN,
      private_ip: UNKNOWN,
      public_ip: UNKNOWN,
      security_group_ids: [UNKNOWN],
      state: UNKNOWN,
      instance_type: 't3.small',
      metadata_http_tokens: 'required',
    });
    const bastion = nodeById(inv, 'aws:us-east-1:aws.ec2.instance:aws_instance.bastion');
    expect(isUnknown(bastion.attributes.instance_id)).toBe(true);
    expect(isUnknown(bastion.attributes.private_ip)).toBe(true);
    expect(bastion.attributes.security_group_ids).toEqual(['sg-0b2c3d4e5f6a70003']);
  });

  it('uses tags_all (provider default tags included) as the node tags', () => {
    expect(nodeById(inv, id('aws.ec2.instance', 'module.app["b"].aws_instance.this')).tags).toEqual({
      Name: 'app-b',
      app: 'orders',
      env: 'staging',
      'managed-by': 'terraform',
    });
    expect(nodeById(inv, 'aws:global:aws.s3.bucket:staging-logs-222222222222').tags).toMatchObject({
      'cost-center': 'cc-1234',
    });
  });

  it('drops values the plan marks sensitive', () => {
    const db = nodeById(inv, id('aws.rds.db_instance', '222222222222/staging-db'));
    expect(db.attributes).not.toHaveProperty('password');
    expect(JSON.stringify(inv)).not.toContain('correct-horse-battery-staple');
    expect(db.attributes).toMatchObject({
      terraform_actions: ['no-op'],
      db_instance_identifier: 'staging-db',
      storage_encrypted: true,
    });
  });

  it('merges separate rule resources into new groups, unknown sources included', () => {
    const app = nodeById(inv, id('aws.ec2.security_group', 'aws_security_group.app'));
    expect(app.attributes.group_id).toEqual(UNKNOWN);
    expect(app.attributes.ingress).toEqual([
      {
        protocol: '6',
        from_port: 8080,
        to_port: 8080,
        cidrs: [],
        ipv6_cidrs: [],
        prefix_list_ids: [],
        security_group_ids: [UNKNOWN],
        description: 'from the load balancer',
      },
      {
        protocol: '6',
        from_port: 22,
        to_port: 22,
        cidrs: ['10.20.0.0/16'],
        ipv6_cidrs: [],
        prefix_list_ids: [],
        security_group_ids: [],
        description: 'SSH inside the VPC',
      },
    ]);
    expect(nodeById(inv, id('aws.ec2.security_group', 'aws_security_group.lb')).attributes.egress).toEqual([
      {
        protocol: '6',
        from_port: 8080,
        to_port: 8080,
        cidrs: [],
        ipv6_cidrs: [],
        prefix_list_ids: [],
        security_group_ids: [UNKNOWN],
        description: 'to app',
      },
    ]);
  });

  it('types an unknown route target from the configuration and adds the VPC’s local route', () => {
    expect(nodeById(inv, id('aws.ec2.route_table', 'aws_route_table.app')).attributes).toMatchObject({
      vpc_id: UNKNOWN,
      routes: [
        {
          destination_cidr: '10.20.0.0/16',
          destination_ipv6_cidr: null,
          destination_prefix_list_id: null,
          target_type: 'local',
          target_id: 'local',
          state: 'active',
          origin: 'CreateRouteTable',
        },
        {
          destination_cidr: '0.0.0.0/0',
          destination_ipv6_cidr: null,
          destination_prefix_list_id: null,
          target_type: 'internet_gateway',
          target_id: UNKNOWN,
          state: 'active',
          origin: 'CreateRouteTable',
        },
      ],
      // two associations whose subnets are not created yet
      subnet_ids: [UNKNOWN, UNKNOWN],
    });
  });

  it('derives edges for unknown references from the configuration (through module variables and for_each keys)', () => {
    expect(edgeStrings(inv, (e) => e.type !== 'depends_on')).toEqual(
      [
        'contains aws_vpc.main -> aws_subnet.app["a"]',
        'contains aws_vpc.main -> aws_subnet.app["b"]',
        'contains aws_vpc.main -> aws_route_table.app',
        'contains aws_vpc.main -> aws_security_group.lb',
        'contains aws_vpc.main -> aws_security_group.app',
        'attached_to aws_internet_gateway.main -> aws_vpc.main',
        'member_of aws_subnet.app["a"] -> aws_route_table.app',
        'member_of aws_subnet.app["b"] -> aws_route_table.app',
        'routes_to aws_route_table.app -> aws_internet_gateway.main',
        'allows_traffic_from aws_security_group.app -> aws_security_group.lb',
        'contains aws_subnet.app["a"] -> module.app["a"].aws_instance.this',
        'contains aws_subnet.app["b"] -> module.app["b"].aws_instance.this',
        'member_of module.app["a"].aws_instance.this -> aws_security_group.app',
        'member_of module.app["b"].aws_instance.this -> aws_security_group.app',
      ].sort(),
    );
    // never the other subnet's instance
    expect(
      hasEdge(
        inv,
        id('aws.ec2.subnet', 'aws_subnet.app["a"]'),
        id('aws.ec2.instance', 'module.app["b"].aws_instance.this'),
        'contains',
      ),
    ).toBe(false);
  });

  it('makes depends_on edges from references, explicit depends_on and the prior state', () => {
    const deps = edgeStrings(inv, (e) => e.type === 'depends_on');
    expect(deps).toContain('depends_on aws_subnet.app["a"] -> aws_vpc.main');
    expect(deps).toContain('depends_on module.app["a"].aws_instance.this -> aws_subnet.app["a"]');
    expect(deps).toContain('depends_on module.app["a"].aws_instance.this -> aws_security_group.app');
    expect(deps).toContain('depends_on 222222222222/staging-db -> staging-logs-222222222222');
    expect(deps).not.toContain('depends_on module.app["a"].aws_instance.this -> aws_subnet.app["b"]');
  });

  it('throws IngestErrors naming the field', () => {
    expect(() => parseTerraformPlan({ resource_changes: [] })).toThrow(IngestError);
    expect(() => parseTerraformPlan({ resource_changes: [] })).toThrow(
      'document "terraform_plan": format_version must be a string',
    );
    expect(() => parseTerraformPlan({ format_version: '1.2', values: {} })).toThrow(
      'document "terraform_plan": resource_changes is missing: this is not a plan',
    );
    const changes = (plan.resource_changes as Record<string, unknown>[]).slice(0, 3);
    const broken = {
      ...plan,
      resource_changes: [...changes.slice(0, 2), { ...changes[2], change: { actions: 'create' } }],
    };
    expect(() => parseTerraformPlan(broken, { document_name: 'plan.json' })).toThrow(
      'document "plan.json": resource_changes[2].change.actions must be an array of strings',
    );
  });

  it('handles a plan that changes nothing', () => {
    expect(
      parseTerraformPlan({ format_version: '1.2', planned_values: { root_module: {} }, resource_changes: [] }),
    ).toEqual({
      nodes: [],
      edges: [],
      edgeEnds: new Uint32Array(),
      skipped_documents: [],
      warnings: [],
    });
  });
});

describe('terraform_plan: tags known only after apply', () => {
  type Change = { after: Record<string, unknown>; after_unknown: Record<string, unknown> };
  /** One resource created by the plan, with planned_values to match. */
  const planOf = (type: string, provider: string, change: Change) => ({
    format_version: '1.2',
    planned_values: {
      root_module: {
        resources: [
          {
            address: `${type}.a`,
            mode: 'managed',
            type,
            name: 'a',
            provider_name: provider,
            schema_version: 0,
            values: change.after,
            sensitive_values: {},
          },
        ],
      },
    },
    resource_changes: [
      {
        address: `${type}.a`,
        mode: 'managed',
        type,
        name: 'a',
        provider_name: provider,
        change: { actions: ['create'], before: null, ...change },
      },
    ],
  });
  const AWS = 'registry.terraform.io/hashicorp/aws';
  const subnet = (change: Change) => {
    const inv = parseTerraformPlan(planOf('aws_subnet', AWS, change), { region: EU, account_id: '111111111111' });
    expect(inv.nodes).toHaveLength(1);
    return inv.nodes[0]!;
  };
  const noUnknownTag = (node: { tags: Record<string, string> }) => {
    expect(Object.keys(node.tags)).not.toContain('$unknown');
    expect(Object.values(node.tags)).not.toContain('[object Object]');
    expect(JSON.stringify(node.tags)).not.toContain('$unknown');
  };

  it('keeps the known tags when tags_all is wholly unknown, and says the final set is not known', () => {
    const node = subnet({
      after: { cidr_block: '10.1.1.0/24', tags: { CostCenter: 'cc-101' } },
      after_unknown: { id: true, vpc_id: true, tags_all: true },
    });
    expect(node.tags).toEqual({ CostCenter: 'cc-101' });
    noUnknownTag(node);
    expect(node.attributes.unknown_tag_keys).toEqual(['*']);
    expect(node.attributes).not.toHaveProperty('tags_all');
    expect(node.name).toBe('aws_subnet.a');
  });

  it('leaves out and lists unknown values inside a wholly unknown tags_all’s known tags', () => {
    const node = subnet({
      after: { cidr_block: '10.1.1.0/24', tags: { CostCenter: 'cc-101' } },
      after_unknown: { id: true, tags: { Owner: true }, tags_all: true },
    });
    expect(node.tags).toEqual({ CostCenter: 'cc-101' });
    noUnknownTag(node);
    expect(node.attributes.unknown_tag_keys).toEqual(['Owner', '*']);
  });

  it('leaves out and lists unknown values inside a known tags_all', () => {
    const node = subnet({
      after: {
        cidr_block: '10.1.1.0/24',
        tags: { CostCenter: 'cc-101' },
        tags_all: { CostCenter: 'cc-101', env: 'prod' },
      },
      after_unknown: { id: true, tags: { Owner: true }, tags_all: { Owner: true } },
    });
    expect(node.tags).toEqual({ CostCenter: 'cc-101', env: 'prod' });
    noUnknownTag(node);
    expect(node.attributes.unknown_tag_keys).toEqual(['Owner']);
  });

  it('gives no tags, never a `$unknown` one, when tags and tags_all are both unknown', () => {
    const node = subnet({ after: { cidr_block: '10.1.1.0/24' }, after_unknown: { tags: true, tags_all: true } });
    expect(node.tags).toEqual({});
    expect(node.attributes.unknown_tag_keys).toEqual(['*']);
  });

  it('does the same for google effective_labels known only after apply', () => {
    const plan = planOf('google_storage_bucket', 'registry.terraform.io/hashicorp/google', {
      after: { name: 'assets', location: 'EU', project: 'acme-prod', labels: { team: 'data' } },
      after_unknown: { id: true, effective_labels: true, terraform_labels: true },
    });
    const [node] = parseTerraformPlan(plan).nodes;
    expect(node!.tags).toEqual({ team: 'data' });
    expect(node!.attributes.unknown_tag_keys).toEqual(['*']);
  });
});

describe('terraform_plan: sensitive values of forgotten resources and list elements', () => {
  const ssm = 'arn:aws:ssm:us-east-1:111111111111:parameter/app/db';
  // Terraform 1.7+: `removed { from = aws_ssm_parameter.db  lifecycle { destroy = false } }`.
  const forget = {
    format_version: '1.2',
    terraform_version: '1.9.5',
    resource_changes: [
      {
        address: 'aws_ssm_parameter.db',
        mode: 'managed',
        type: 'aws_ssm_parameter',
        name: 'db',
        provider_name: 'registry.terraform.io/hashicorp/aws',
        change: {
          actions: ['forget'],
          before: {
            arn: ssm,
            id: '/app/db',
            name: '/app/db',
            type: 'SecureString',
            value: 'FORGET-LEAKED-VALUE',
            description: 'db password',
            tags: {},
            tags_all: {},
          },
          after: null,
          after_unknown: {},
          before_sensitive: { value: true, description: true, tags: {}, tags_all: {} },
          after_sensitive: false,
        },
      },
    ],
  };

  it('keeps a forgotten resource (it still exists) with its before values, minus what before_sensitive marks', () => {
    const inv = parseTerraformPlan(forget);
    const node = nodeById(inv, 'aws:us-east-1:aws.ssm.parameter:/app/db');
    expect(node.attributes).toMatchObject({ name: '/app/db', terraform_actions: ['forget'] });
    expect(node.attributes).not.toHaveProperty('value');
    // `description` is not secret by name: only before_sensitive drops it.
    expect(node.attributes).not.toHaveProperty('description');
    expect(JSON.stringify(inv)).not.toContain('FORGET-LEAKED-VALUE');
  });

  it('marks unknown list elements before dropping sensitive ones (both masks index the original list)', () => {
    const inv = parseTerraformPlan({
      format_version: '1.2',
      resource_changes: [
        {
          address: 'aws_security_group.sg',
          mode: 'managed',
          type: 'aws_security_group',
          name: 'sg',
          provider_name: 'registry.terraform.io/hashicorp/aws',
          change: {
            actions: ['update'],
            before: { id: 'sg-0eeeeeeeeeeeeeee1' },
            after: {
              arn: 'arn:aws:ec2:us-east-1:111111111111:security-group/sg-0eeeeeeeeeeeeeee1',
              id: 'sg-0eeeeeeeeeeeeeee1',
              name: 'sg',
              vpc_id: 'vpc-1',
              ingress: [
                { cidr_blocks: ['SECRET-CIDR', null, '10.0.0.9/32'], from_port: 22, to_port: 22, protocol: 'tcp' },
              ],
              egress: [],
            },
            after_unknown: { ingress: [{ cidr_blocks: [false, true, false] }] },
            before_sensitive: {},
            after_sensitive: { ingress: [{ cidr_blocks: [true, false, false] }] },
          },
        },
      ],
    });
    const sg = nodeById(inv, 'aws:us-east-1:aws.ec2.security_group:sg-0eeeeeeeeeeeeeee1');
    expect((sg.attributes.ingress as { cidrs: unknown[] }[])[0]?.cidrs).toEqual([UNKNOWN, '10.0.0.9/32']);
    expect(JSON.stringify(inv)).not.toContain('SECRET-CIDR');
  });
});

describe('terraform_plan: provider default_tags when tags_all is not known', () => {
  const AWS = 'registry.terraform.io/hashicorp/aws';
  const GOOGLE = 'registry.terraform.io/hashicorp/google';
  const change = (after: Record<string, unknown>, after_unknown: Record<string, unknown> = { id: true }) => ({
    actions: ['create'],
    before: null,
    after,
    after_unknown,
  });
  const rc = (
    address: string,
    type: string,
    name: string,
    c: ReturnType<typeof change>,
    extra: Record<string, unknown> = {},
  ) => ({ address, mode: 'managed', type, name, provider_name: AWS, change: c, ...extra });
  /** A configuration resource: `aws_vpc.main` and its provider key. */
  const cfg = (address: string, provider_config_key: string) => {
    const [type, name] = address.split('.') as [string, string];
    return { address, mode: 'managed', type, name, provider_config_key };
  };
  // Terraform 1.0 style: module resources keep their module's provider key, with no expressions of its own
  // (`net:aws`, `module.app:aws`), inheriting the root configuration; an alias with default tags from a variable.
  const plan = {
    format_version: '1.0',
    terraform_version: '1.0.11',
    variables: { west_tags: { value: { owner: 'team-west', env: 'prod' } } },
    resource_changes: [
      rc(
        'module.net.aws_vpc.main',
        'aws_vpc',
        'main',
        change({ cidr_block: '10.0.0.0/16', tags: { app_id: 'app-2', CostCenter: 'CC-100' } }),
        { module_address: 'module.net' },
      ),
      rc(
        'module.app["a"].aws_instance.web',
        'aws_instance',
        'web',
        change({ ami: 'ami-1', instance_type: 't3.micro', tags: { Name: 'web-a', owner: 'team-app' } }),
        { module_address: 'module.app["a"]' },
      ),
      rc(
        'aws_subnet.west',
        'aws_subnet',
        'west',
        change({ cidr_block: '10.1.0.0/24', vpc_id: 'vpc-0aaaaaaaaaaaaaaa1', tags: { env: 'dev' } }),
      ),
      // tags_all known only after apply; the resource's own `owner` too: it wins over the default, unknown.
      rc(
        'aws_s3_bucket.logs',
        'aws_s3_bucket',
        'logs',
        change({ bucket: 'logs', tags: { CostCenter: 'cc-200' } }, { id: true, tags: { owner: true }, tags_all: true }),
      ),
      // Default tags from an expression the plan does not resolve: no values, and the key set is not known.
      rc(
        'aws_security_group.dyn',
        'aws_security_group',
        'dyn',
        change({ name: 'dyn', vpc_id: 'vpc-0aaaaaaaaaaaaaaa1', tags: { app_id: 'app-9' } }),
      ),
      // tags_all known: it already holds the default tags, used as it is.
      rc(
        'aws_vpc.edge',
        'aws_vpc',
        'edge',
        change({ cidr_block: '10.9.0.0/16', tags: { Name: 'edge' }, tags_all: { Name: 'edge', owner: 'team-x' } }),
      ),
      {
        address: 'google_storage_bucket.assets',
        mode: 'managed',
        type: 'google_storage_bucket',
        name: 'assets',
        provider_name: GOOGLE,
        change: change({ name: 'assets', location: 'EU', project: 'acme-prod', labels: { team: 'data' } }),
      },
    ],
    configuration: {
      provider_config: {
        aws: {
          name: 'aws',
          expressions: {
            region: { constant_value: 'eu-west-1' },
            default_tags: [{ tags: { constant_value: { owner: 'team-x', env: 'prod', empty: null } } }],
          },
        },
        'aws.west': {
          name: 'aws',
          alias: 'west',
          expressions: {
            region: { constant_value: 'us-west-2' },
            default_tags: [{ tags: { references: ['var.west_tags'] } }],
          },
        },
        'aws.dyn': {
          name: 'aws',
          alias: 'dyn',
          expressions: { default_tags: [{ tags: { references: ['local.common_tags'] } }] },
        },
        'net:aws': { name: 'aws', module_address: 'module.net' },
        'module.app:aws': { name: 'aws', module_address: 'module.app' },
        google: { name: 'google', expressions: { default_labels: { constant_value: { 'cost-center': 'cc-7' } } } },
      },
      root_module: {
        resources: [
          cfg('aws_subnet.west', 'aws.west'),
          cfg('aws_s3_bucket.logs', 'aws'),
          cfg('aws_security_group.dyn', 'aws.dyn'),
          cfg('aws_vpc.edge', 'aws'),
          cfg('google_storage_bucket.assets', 'google'),
        ],
        module_calls: {
          net: {
            source: './net',
            module: {
              resources: [cfg('aws_vpc.main', 'net:aws')],
            },
          },
          app: {
            source: './app',
            for_each_expression: { constant_value: { a: {} } },
            module: {
              resources: [cfg('aws_instance.web', 'module.app:aws')],
            },
          },
        },
      },
    },
  };
  const inv = parseTerraformPlan(plan, { account_id: '111111111111' });
  const validated = parsePlan(plan);
  const node = (address: string) => {
    const found = inv.nodes.find((n) => n.attributes.terraform_address === address);
    if (found === undefined) throw new Error(`no node for ${address}`);
    return found;
  };

  it('merges the provider default_tags under the resource tags (module inheritance, aliases, variables)', () => {
    expect(node('module.net.aws_vpc.main').tags).toEqual({
      owner: 'team-x',
      env: 'prod',
      app_id: 'app-2',
      CostCenter: 'CC-100',
    });
    expect(node('module.app["a"].aws_instance.web').tags).toEqual({ owner: 'team-app', env: 'prod', Name: 'web-a' });
    expect(node('aws_subnet.west').tags).toEqual({ owner: 'team-west', env: 'dev' });
    expect(node('aws_vpc.edge').tags).toEqual({ Name: 'edge', owner: 'team-x' });
    expect(node('google_storage_bucket.assets').tags).toEqual({ 'cost-center': 'cc-7', team: 'data' });
    for (const address of ['module.net.aws_vpc.main', 'aws_subnet.west', 'aws_vpc.edge']) {
      expect(node(address).attributes).not.toHaveProperty('unknown_tag_keys');
    }
  });

  it('never gives an unknown or unresolved default a value', () => {
    const logs = node('aws_s3_bucket.logs');
    expect(logs.tags).toEqual({ env: 'prod', CostCenter: 'cc-200' });
    expect(logs.attributes.unknown_tag_keys).toEqual(['owner', '*']);
    const dyn = node('aws_security_group.dyn');
    expect(dyn.tags).toEqual({ app_id: 'app-9' });
    expect(dyn.attributes.unknown_tag_keys).toEqual(['*']);
    expect(inv.warnings.some((w) => w.startsWith('provider aws.dyn: default tags'))).toBe(true);
  });

  it('never reads a variable declared sensitive into tags (they would be stored)', () => {
    const secret = structuredClone(plan) as typeof plan & {
      configuration: { root_module: { variables?: Record<string, unknown> } };
    };
    secret.configuration.root_module.variables = { west_tags: { sensitive: true } };
    const west = parseTerraformPlan(secret, { account_id: '111111111111' }).nodes.find(
      (n) => n.attributes.terraform_address === 'aws_subnet.west',
    );
    expect(west?.tags).not.toHaveProperty('owner', 'team-west');
    expect(west?.attributes.unknown_tag_keys).toContain('*');
  });

  it('gives every node the tags the plan validator reports for the same plan', () => {
    expect(validated.resources.length).toBe(plan.resource_changes.length);
    for (const resource of validated.resources) {
      const target = resource.targets[0]!;
      const { known, unknownKeys } = knownTags(target.tags);
      const n = node(resource.address);
      expect({ address: resource.address, tags: n.tags }).toEqual({ address: resource.address, tags: known });
      const expectedUnknown = [...unknownKeys, ...(target.keysComplete ? [] : ['*'])];
      expect(((n.attributes.unknown_tag_keys as string[] | undefined) ?? []).sort()).toEqual(expectedUnknown.sort());
    }
  });
});

describe('terraform_plan: prior state objects no change names', () => {
  const aws = 'registry.terraform.io/hashicorp/aws';
  const vpc = (id: string, name: string) => ({
    arn: `arn:aws:ec2:us-east-1:111111111111:vpc/${id}`,
    id,
    cidr_block: '10.0.0.0/16',
    owner_id: '111111111111',
    tags: { Name: name },
    tags_all: { Name: name },
  });
  const priorVpc = (address: string, id: string, name: string) => ({
    address,
    mode: 'managed',
    type: 'aws_vpc',
    name: address.split('.')[1],
    provider_name: aws,
    values: vpc(id, name),
    sensitive_values: { tags: {}, tags_all: {} },
  });
  // `terraform plan -target=aws_vpc.a`: resource_changes and planned_values name only the target.
  const targeted = {
    format_version: '1.2',
    terraform_version: '1.9.5',
    planned_values: {
      root_module: {
        resources: [{ ...priorVpc('aws_vpc.a', 'vpc-0a', 'a'), values: { ...vpc('vpc-0a', 'a2') } }],
      },
    },
    resource_changes: [
      {
        address: 'aws_vpc.a',
        mode: 'managed',
        type: 'aws_vpc',
        name: 'a',
        provider_name: aws,
        change: {
          actions: ['update'],
          before: vpc('vpc-0a', 'a'),
          after: vpc('vpc-0a', 'a2'),
          after_unknown: {},
          before_sensitive: {},
          after_sensitive: {},
        },
      },
      {
        // moved from aws_vpc.old: the prior state has it under its previous address
        address: 'aws_vpc.new',
        previous_address: 'aws_vpc.old',
        mode: 'managed',
        type: 'aws_vpc',
        name: 'new',
        provider_name: aws,
        change: {
          actions: ['no-op'],
          before: vpc('vpc-0m', 'moved'),
          after: vpc('vpc-0m', 'moved'),
          after_unknown: {},
          before_sensitive: {},
          after_sensitive: {},
        },
      },
    ],
    prior_state: {
      format_version: '1.0',
      values: {
        root_module: {
          resources: [
            priorVpc('aws_vpc.a', 'vpc-0a', 'a'),
            priorVpc('aws_vpc.old', 'vpc-0m', 'moved'),
            {
              ...priorVpc('aws_vpc.b', 'vpc-0b', 'b'),
              values: { ...vpc('vpc-0b', 'b'), secret_note: 'PRIOR-SECRET' },
              sensitive_values: { secret_note: true },
            },
          ],
          child_modules: [{ address: 'module.net', resources: [priorVpc('module.net.aws_vpc.this', 'vpc-0c', 'c')] }],
        },
      },
    },
  };

  it('keeps them (a -target or -refresh-only plan lists only what it changes), once for a moved one', () => {
    const inv = parseTerraformPlan(targeted);
    expect(inv.nodes.map((n) => [n.id, n.name]).sort()).toEqual([
      ['aws:us-east-1:aws.ec2.vpc:vpc-0a', 'a2'],
      ['aws:us-east-1:aws.ec2.vpc:vpc-0b', 'b'],
      ['aws:us-east-1:aws.ec2.vpc:vpc-0c', 'c'],
      ['aws:us-east-1:aws.ec2.vpc:vpc-0m', 'moved'],
    ]);
    expect(nodeById(inv, 'aws:us-east-1:aws.ec2.vpc:vpc-0c').attributes).toMatchObject({
      terraform_address: 'module.net.aws_vpc.this',
      terraform_actions: ['no-op'],
    });
    expect(nodeById(inv, 'aws:us-east-1:aws.ec2.vpc:vpc-0m').attributes.terraform_address).toBe('aws_vpc.new');
    expect(JSON.stringify(inv)).not.toContain('PRIOR-SECRET');
  });

  it('does not keep what the plan deletes', () => {
    const destroy = {
      ...targeted,
      resource_changes: [
        ...targeted.resource_changes,
        {
          address: 'aws_vpc.b',
          mode: 'managed',
          type: 'aws_vpc',
          name: 'b',
          provider_name: aws,
          change: { actions: ['delete'], before: vpc('vpc-0b', 'b'), after: null },
        },
      ],
    };
    expect(parseTerraformPlan(destroy).nodes.map((n) => n.id)).not.toContain('aws:us-east-1:aws.ec2.vpc:vpc-0b');
  });
});
