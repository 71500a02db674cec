/**
 * Which target groups each listener forwards to, and each registration's target group and
 * health, as AWS CLI output (describe-listeners / describe-target-groups / describe-target-health)
 * and Terraform (aws_lb_listener default_action, aws_lb_target_group_attachment) give them.
 */
import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot, parseTerraformPlan, parseTerraformState } from '../../../src/core/ingest/index.ts';
import { ruleReach } from '../../../src/core/ingest/values.ts';
import { nodeById, snapshotFromFolder } from './helpers.ts';

const A = '111111111111';
const LB = `arn:aws:elasticloadbalancing:us-east-1:${A}:loadbalancer/app/edge-alb/5d1b2c3d4e5f6001`;
const TG_A = `arn:aws:elasticloadbalancing:us-east-1:${A}:targetgroup/db-http/7a1b2c3d4e5f6001`;
const TG_B = `arn:aws:elasticloadbalancing:us-east-1:${A}:targetgroup/db-https/7a1b2c3d4e5f6002`;
const DB = 'i-0a1b2c3d4e5f60092';
const LB_NODE = `aws:us-east-1:aws.elbv2.load_balancer:${A}/edge-alb`;

describe('aws_snapshot: listener target groups and target health', () => {
  const inv = parseAwsSnapshot(snapshotFromFolder('aws-snapshot/two-listeners'));

  it('keeps each listener with the target groups its default actions forward to', () => {
    expect(nodeById(inv, LB_NODE).attributes.listeners).toEqual([
      {
        port: 80,
        protocol: 'HTTP',
        listener_arn: `${LB.replace('loadbalancer', 'listener')}/1f2f7dc8efc522a1`,
        target_group_arns: [TG_A],
      },
      {
        port: 443,
        protocol: 'HTTPS',
        listener_arn: `${LB.replace('loadbalancer', 'listener')}/1f2f7dc8efc522a2`,
        target_group_arns: [TG_B],
      },
    ]);
  });

  it('copies each registration to the load balancer with its target group, health state and reason', () => {
    expect(nodeById(inv, `aws:us-east-1:aws.elbv2.target_group:${A}/db-http`).attributes.targets).toEqual([
      { id: DB, port: 8080, health: 'unhealthy', health_reason: 'Target.FailedHealthChecks' },
    ]);
    expect(nodeById(inv, LB_NODE).attributes.targets).toEqual([
      {
        id: DB,
        port: 8080,
        target_group_arn: TG_A,
        health: 'unhealthy',
        health_reason: 'Target.FailedHealthChecks',
      },
      { id: DB, port: 8443, target_group_arn: TG_B, health: 'healthy' },
    ]);
  });

  const listenerDoc = (actions: Record<string, unknown>) => ({
    name: 'listeners.json',
    content: { Listeners: [{ LoadBalancerArn: LB, Port: 80, Protocol: 'HTTP', ...actions }] },
  });
  const lbDoc = {
    name: 'lbs.json',
    content: { LoadBalancers: [{ LoadBalancerArn: LB, LoadBalancerName: 'edge-alb' }] },
  };
  const listenersOf = (actions: Record<string, unknown>) =>
    nodeById(
      parseAwsSnapshot({ account_id: A, region: 'us-east-1', documents: [lbDoc, listenerDoc(actions)] }),
      LB_NODE,
    ).attributes.listeners;

  it('reads weighted ForwardConfig target groups, ignores non-forward actions, and leaves unknown mapping absent', () => {
    expect(
      listenersOf({
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: TG_A, Weight: 1 },
                { TargetGroupArn: TG_B, Weight: 3 },
              ],
            },
          },
        ],
      }),
    ).toEqual([{ port: 80, protocol: 'HTTP', target_group_arns: [TG_A, TG_B] }]);
    // A redirect listener forwards to no target group.
    expect(
      listenersOf({ DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443' } }] }),
    ).toEqual([{ port: 80, protocol: 'HTTP', target_group_arns: [] }]);
    // Without DefaultActions the snapshot does not say: no target_group_arns.
    expect(listenersOf({})).toEqual([{ port: 80, protocol: 'HTTP' }]);
  });
});

describe('terraform: aws_lb_listener target groups and aws_lb_target_group_attachment', () => {
  const R = (type: string, name: string, attributes: Record<string, unknown>) => ({
    mode: 'managed',
    type,
    name,
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [{ schema_version: 0, attributes }],
  });
  const tg = (name: string, arn: string, port: number) =>
    R('aws_lb_target_group', name, {
      id: arn,
      arn,
      name,
      port,
      protocol: 'HTTP',
      target_type: 'instance',
      vpc_id: 'vpc-1',
      load_balancer_arns: [LB],
      tags: {},
    });
  const state = {
    version: 4,
    terraform_version: '1.9.0',
    serial: 1,
    lineage: 'listeners',
    outputs: {},
    resources: [
      R('aws_lb', 'edge', {
        id: LB,
        arn: LB,
        name: 'edge-alb',
        internal: false,
        load_balancer_type: 'application',
        subnets: [],
        security_groups: [],
        vpc_id: 'vpc-1',
        tags: {},
      }),
      tg('db-http', TG_A, 8080),
      tg('db-https', TG_B, 8443),
      R('aws_lb_listener', 'http', {
        id: `${LB}/l80`,
        arn: `${LB}/l80`,
        load_balancer_arn: LB,
        port: 80,
        protocol: 'HTTP',
        default_action: [{ type: 'forward', target_group_arn: TG_A, forward: [] }],
      }),
      R('aws_lb_listener', 'https', {
        id: `${LB}/l443`,
        arn: `${LB}/l443`,
        load_balancer_arn: LB,
        port: 443,
        protocol: 'HTTPS',
        default_action: [
          {
            type: 'forward',
            target_group_arn: '',
            forward: [{ target_group: [{ arn: TG_B, weight: 1 }], stickiness: [] }],
          },
        ],
      }),
      R('aws_lb_target_group_attachment', 'http', { id: 'a1', target_group_arn: TG_A, target_id: DB, port: 8080 }),
      R('aws_lb_target_group_attachment', 'https', { id: 'a2', target_group_arn: TG_B, target_id: DB, port: 8443 }),
    ],
  };
  const inv = parseTerraformState(state);
  const lb = inv.nodes.find((n) => n.type === 'aws.elbv2.load_balancer');

  it('keeps each listener with its default_action / forward target groups', () => {
    expect(lb?.attributes.listeners).toEqual([
      { port: 80, protocol: 'HTTP', listener_arn: `${LB}/l80`, target_group_arns: [TG_A] },
      { port: 443, protocol: 'HTTPS', listener_arn: `${LB}/l443`, target_group_arns: [TG_B] },
    ]);
  });

  it('copies each attachment to the load balancer with its target group (health unknown)', () => {
    expect(lb?.attributes.targets).toEqual([
      { id: DB, port: 8080, target_group_arn: TG_A, health: null },
      { id: DB, port: 8443, target_group_arn: TG_B, health: null },
    ]);
  });
});

describe('aws_snapshot: listener rules (describe-rules)', () => {
  const LISTENER_80 = `${LB.replace('loadbalancer', 'listener')}/1f2f7dc8efc522a1`;
  const LISTENER_443 = `${LB.replace('loadbalancer', 'listener')}/1f2f7dc8efc522a2`;
  const ruleArn = (listener: string, id: string) => `${listener.replace(':listener/', ':listener-rule/')}/${id}`;
  const docs = (rules: unknown[]) => [
    { name: 'lbs.json', content: { LoadBalancers: [{ LoadBalancerArn: LB, LoadBalancerName: 'edge-alb' }] } },
    {
      name: 'tgs.json',
      content: {
        TargetGroups: [
          { TargetGroupArn: TG_A, TargetGroupName: 'db-http', Port: 8080, Protocol: 'HTTP', VpcId: 'vpc-1' },
          { TargetGroupArn: TG_B, TargetGroupName: 'db-https', Port: 8443, Protocol: 'HTTP', VpcId: 'vpc-1' },
        ],
      },
    },
    // The rules document first: keys are read in a fixed order (listeners before rules).
    { name: 'elbv2-describe-rules.json', content: { Rules: rules } },
    {
      name: 'listeners.json',
      content: {
        Listeners: [
          {
            ListenerArn: LISTENER_80,
            LoadBalancerArn: LB,
            Port: 80,
            Protocol: 'HTTP',
            DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_A }],
          },
          {
            ListenerArn: LISTENER_443,
            LoadBalancerArn: LB,
            Port: 443,
            Protocol: 'HTTPS',
            DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
          },
        ],
      },
    },
  ];
  const parse = (rules: unknown[]) => parseAwsSnapshot({ account_id: A, region: 'us-east-1', documents: docs(rules) });

  it("adds a rule's forward target groups to its listener (derived from the rule ARN), and records them apart", () => {
    const inv = parse([
      {
        RuleArn: ruleArn(LISTENER_443, '9683b2d02a6cabee'),
        Priority: '10',
        Conditions: [
          { Field: 'host-header', HostHeaderConfig: { Values: ['db.example.com'] } },
          { Field: 'source-ip', SourceIpConfig: { Values: ['203.0.113.0/24', '2001:db8::/32'] } },
        ],
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: TG_A, Weight: 1 },
                { TargetGroupArn: TG_B, Weight: 1 },
              ],
            },
          },
        ],
        IsDefault: false,
      },
      {
        RuleArn: ruleArn(LISTENER_443, '2286fff5055e0f79'),
        Priority: '20',
        Conditions: [{ Field: 'path-pattern', Values: ['/old/*'] }],
        Actions: [{ Type: 'redirect', RedirectConfig: { Path: '/new' } }],
        IsDefault: false,
      },
      {
        RuleArn: ruleArn(LISTENER_443, '3c5e1f0a9b8d7e6f'),
        Priority: '30',
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] }, Values: ['/*'] }],
        Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }],
        IsDefault: false,
      },
      {
        RuleArn: ruleArn(LISTENER_443, 'aaaaaaaaaaaaaaaa'),
        Priority: 'default',
        Conditions: [],
        Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
        IsDefault: true,
      },
    ]);
    expect(inv.warnings).toEqual([]);
    expect(inv.skipped_documents).toEqual([]);
    expect(nodeById(inv, LB_NODE).attributes.listeners).toEqual([
      { port: 80, protocol: 'HTTP', listener_arn: LISTENER_80, target_group_arns: [TG_A] },
      {
        port: 443,
        protocol: 'HTTPS',
        listener_arn: LISTENER_443,
        target_group_arns: [TG_A, TG_B],
        rule_target_group_arns: [TG_A, TG_B],
        default_target_group_arns: [],
        rules: [
          {
            rule_arn: ruleArn(LISTENER_443, '9683b2d02a6cabee'),
            priority: 10,
            // The client sets the host header, but not its own address.
            source_cidrs: ['203.0.113.0/24', '2001:db8::/32'],
            any_request: false,
            target_group_arns: [TG_A, TG_B],
          },
          {
            rule_arn: ruleArn(LISTENER_443, '2286fff5055e0f79'),
            priority: 20,
            source_cidrs: null,
            any_request: false,
            target_group_arns: [],
          },
          {
            rule_arn: ruleArn(LISTENER_443, '3c5e1f0a9b8d7e6f'),
            priority: 30,
            source_cidrs: null,
            any_request: true,
            target_group_arns: [],
          },
        ],
      },
    ]);
    expect(nodeById(inv, `aws:us-east-1:aws.elbv2.target_group:${A}/db-https`).attributes.load_balancer_arns).toEqual([
      LB,
    ]);
  });

  it('warns about a rule whose listener is not in the input, without failing', () => {
    const other = `${LB.replace('loadbalancer', 'listener')}/ffffffffffffffff`;
    const inv = parse([
      {
        RuleArn: ruleArn(other, '1'),
        Priority: '1',
        Conditions: [],
        Actions: [{ Type: 'forward', TargetGroupArn: TG_B }],
        IsDefault: false,
      },
    ]);
    expect(inv.warnings).toEqual([
      `document "elbv2-describe-rules.json": rule ${ruleArn(other, '1')} of listener ${other}, which is not in the input (describe-listeners); its target groups are not assigned to a listener`,
    ]);
    expect(nodeById(inv, LB_NODE).attributes.listeners).toEqual([
      { port: 80, protocol: 'HTTP', listener_arn: LISTENER_80, target_group_arns: [TG_A] },
      { port: 443, protocol: 'HTTPS', listener_arn: LISTENER_443, target_group_arns: [] },
    ]);
  });

  it("skips another service's Rules (events list-rules) with a warning and still reads the listeners", () => {
    const events = {
      name: 'events-list-rules.json',
      content: {
        Rules: [{ Name: 'nightly', Arn: `arn:aws:events:us-east-1:${A}:rule/nightly`, State: 'ENABLED' }],
      },
    };
    const inv = parseAwsSnapshot({
      account_id: A,
      region: 'us-east-1',
      documents: [...docs([]).filter((d) => d.name !== 'elbv2-describe-rules.json'), events],
    });
    expect(inv.skipped_documents).toEqual(['events-list-rules.json']);
    expect(inv.warnings).toEqual([
      `document "events-list-rules.json": Rules are not ELBv2 listener rules (no item has a RuleArn arn:<partition>:elasticloadbalancing:…:listener-rule/…): another AWS service's output, not read`,
    ]);
    expect(nodeById(inv, LB_NODE).attributes.listeners).toHaveLength(2);
  });
});

describe('terraform: aws_lb_listener_rule / aws_alb_listener_rule forward target groups', () => {
  const R = (type: string, name: string, attributes: Record<string, unknown>) => ({
    mode: 'managed',
    type,
    name,
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [{ schema_version: 0, attributes }],
  });
  // The fixture has no VPC node (its warning is not about listeners).
  const listenerWarnings = (warnings: string[]) => warnings.filter((w) => !w.includes('vpc-1'));
  const L80 = `${LB.replace('loadbalancer', 'listener')}/l80`;
  const L443 = `${LB.replace('loadbalancer', 'listener')}/l443`;
  // A state's condition block lists every kind, all empty but the one it sets.
  const noConditions = {
    host_header: [],
    http_header: [],
    http_request_method: [],
    path_pattern: [],
    query_string: [],
    source_ip: [],
  };
  const tg = (name: string, arn: string, port: number) =>
    R('aws_lb_target_group', name, {
      id: arn,
      arn,
      name,
      port,
      protocol: 'HTTP',
      target_type: 'instance',
      vpc_id: 'vpc-1',
      load_balancer_arns: [LB],
      tags: {},
    });
  const state = (rules: unknown[]) => ({
    version: 4,
    terraform_version: '1.9.0',
    serial: 1,
    lineage: 'listener-rules',
    outputs: {},
    resources: [
      // Rules before their listeners: the listeners are merged first whatever the order.
      ...rules,
      R('aws_lb', 'edge', {
        id: LB,
        arn: LB,
        name: 'edge-alb',
        internal: false,
        load_balancer_type: 'application',
        subnets: [],
        security_groups: [],
        vpc_id: 'vpc-1',
        tags: {},
      }),
      tg('db-http', TG_A, 8080),
      tg('db-https', TG_B, 8443),
      R('aws_lb_listener', 'http', {
        id: L80,
        arn: L80,
        load_balancer_arn: LB,
        port: 80,
        protocol: 'HTTP',
        default_action: [{ type: 'forward', target_group_arn: TG_A, forward: [] }],
      }),
      R('aws_lb_listener', 'https', {
        id: L443,
        arn: L443,
        load_balancer_arn: LB,
        port: 443,
        protocol: 'HTTPS',
        default_action: [{ type: 'fixed-response', target_group_arn: '', forward: [] }],
      }),
    ],
  });

  it("adds a rule's forward target groups to its listener's (action target_group_arn and forward blocks)", () => {
    const inv = parseTerraformState(
      state([
        R('aws_lb_listener_rule', 'api', {
          id: `${L443}/r1`,
          arn: `${L443}/r1`,
          listener_arn: L443,
          priority: 10,
          action: [{ type: 'forward', target_group_arn: TG_B, forward: [] }],
          condition: [
            { ...noConditions, path_pattern: [{ values: ['/api/*'] }] },
            { ...noConditions, source_ip: [{ values: ['198.51.100.0/24'] }] },
          ],
        }),
        R('aws_alb_listener_rule', 'db', {
          id: `${L443}/r2`,
          arn: `${L443}/r2`,
          listener_arn: L443,
          priority: 20,
          action: [
            {
              type: 'forward',
              target_group_arn: '',
              forward: [{ target_group: [{ arn: TG_A, weight: 1 }], stickiness: [] }],
            },
          ],
          condition: [{ ...noConditions, host_header: [{ values: ['db.example.com'] }] }],
        }),
        R('aws_lb_listener_rule', 'old', {
          id: `${L80}/r3`,
          arn: `${L80}/r3`,
          listener_arn: L80,
          priority: 5,
          action: [{ type: 'redirect', target_group_arn: '', forward: [], redirect: [{ path: '/new' }] }],
          condition: [{ ...noConditions, path_pattern: [{ values: ['/*'] }] }],
        }),
      ]),
    );
    expect(listenerWarnings(inv.warnings)).toEqual([]);
    expect(inv.nodes.filter((n) => n.type.includes('listener_rule'))).toEqual([]);
    expect(inv.nodes.find((n) => n.type === 'aws.elbv2.load_balancer')?.attributes.listeners).toEqual([
      {
        port: 80,
        protocol: 'HTTP',
        listener_arn: L80,
        target_group_arns: [TG_A],
        rule_target_group_arns: [],
        default_target_group_arns: [TG_A],
        // Redirects every request: the default action is never reached.
        rules: [{ rule_arn: `${L80}/r3`, priority: 5, source_cidrs: null, any_request: true, target_group_arns: [] }],
      },
      {
        port: 443,
        protocol: 'HTTPS',
        listener_arn: L443,
        target_group_arns: [TG_B, TG_A],
        rule_target_group_arns: [TG_B, TG_A],
        default_target_group_arns: [],
        rules: [
          {
            rule_arn: `${L443}/r1`,
            priority: 10,
            source_cidrs: ['198.51.100.0/24'],
            any_request: false,
            target_group_arns: [TG_B],
          },
          { rule_arn: `${L443}/r2`, priority: 20, source_cidrs: null, any_request: false, target_group_arns: [TG_A] },
        ],
      },
    ]);
  });

  it('warns about a rule whose listener is not in the input', () => {
    const inv = parseTerraformState(
      state([
        R('aws_lb_listener_rule', 'lost', {
          id: 'r9',
          listener_arn: `${LB}/missing`,
          action: [{ type: 'forward', target_group_arn: TG_B, forward: [] }],
        }),
      ]),
    );
    expect(listenerWarnings(inv.warnings)).toEqual([
      `aws_lb_listener_rule.lost: listener_arn ${LB}/missing is not in the input; its aws_lb_listener_rule is not merged`,
    ]);
  });
});

describe('terraform plan: a new listener and its rule (listener ARN unknown until apply)', () => {
  const AWS = 'registry.terraform.io/hashicorp/aws';
  type Res = { type: string; name: string; after: Record<string, unknown>; unknown: Record<string, unknown> };
  const res = (type: string, name: string, after: Record<string, unknown>, unknown: Record<string, unknown> = {}) =>
    ({ type, name, after, unknown }) as Res;
  const planOf = (resources: Res[], expressions: Record<string, Record<string, unknown>>) => ({
    format_version: '1.2',
    planned_values: {
      root_module: {
        resources: resources.map((r) => ({
          address: `${r.type}.${r.name}`,
          mode: 'managed',
          type: r.type,
          name: r.name,
          provider_name: AWS,
          schema_version: 0,
          values: r.after,
          sensitive_values: {},
        })),
      },
    },
    resource_changes: resources.map((r) => ({
      address: `${r.type}.${r.name}`,
      mode: 'managed',
      type: r.type,
      name: r.name,
      provider_name: AWS,
      change: { actions: ['create'], before: null, after: r.after, after_unknown: r.unknown },
    })),
    configuration: {
      root_module: {
        resources: resources.map((r) => ({
          address: `${r.type}.${r.name}`,
          mode: 'managed',
          type: r.type,
          name: r.name,
          provider_config_key: 'aws',
          expressions: expressions[`${r.type}.${r.name}`] ?? {},
        })),
      },
    },
  });
  const resources = (ruleTarget: unknown, ruleUnknown: Record<string, unknown>) => [
    res('aws_lb', 'edge', { arn: LB, id: LB, name: 'edge-alb', load_balancer_type: 'application', subnets: [] }),
    res('aws_lb_target_group', 'db', { arn: TG_A, id: TG_A, name: 'db-http', port: 8080, protocol: 'HTTP' }),
    res(
      'aws_lb_listener_rule',
      'db',
      { action: [{ type: 'forward', target_group_arn: ruleTarget, forward: [] }] },
      { arn: true, id: true, listener_arn: true, ...ruleUnknown },
    ),
    res(
      'aws_lb_listener',
      'http',
      { load_balancer_arn: LB, port: 80, protocol: 'HTTP', default_action: [{ type: 'fixed-response', forward: [] }] },
      { arn: true, id: true },
    ),
  ];
  const expressions = {
    'aws_lb_listener_rule.db': {
      listener_arn: { references: ['aws_lb_listener.http.arn', 'aws_lb_listener.http'] },
    },
  };
  const listenersOf = (plan: unknown) =>
    parseTerraformPlan(plan, { region: 'us-east-1', account_id: A }).nodes.find(
      (n) => n.type === 'aws.elbv2.load_balancer',
    )?.attributes.listeners;

  it('finds the listener through the configuration reference', () => {
    expect(listenersOf(planOf(resources(TG_A, {}), expressions))).toEqual([
      {
        port: 80,
        protocol: 'HTTP',
        target_group_arns: [TG_A],
        rule_target_group_arns: [TG_A],
        default_target_group_arns: [],
        // The plan gives neither priority nor conditions: the rule is never taken to answer every request.
        rules: [{ priority: null, source_cidrs: null, any_request: false, target_group_arns: [TG_A] }],
      },
    ]);
  });

  it("leaves the listener's mapping out when the rule forwards to a target group whose ARN is unknown", () => {
    const plan = planOf(resources(null, { action: [{ target_group_arn: true }] }), expressions);
    expect(listenersOf(plan)).toEqual([{ port: 80, protocol: 'HTTP' }]);
  });
});

describe('ruleReach: what a listener rule’s conditions say for reachability', () => {
  it('keeps source-ip CIDRs and knows which other conditions match every request', () => {
    // Only a source-ip condition: every request from those sources.
    expect(ruleReach([{ field: 'source-ip', values: ['10.0.0.0/8'] }])).toEqual({
      source_cidrs: ['10.0.0.0/8'],
      any_request: true,
    });
    // `/*` and `*` match every path or host; one match-all value among several is enough.
    expect(ruleReach([{ field: 'path-pattern', values: ['/api/*', '/*'] }])).toEqual({
      source_cidrs: null,
      any_request: true,
    });
    expect(ruleReach([{ field: 'host-header', values: ['*'] }]).any_request).toBe(true);
    // Anything narrower, or a header/method/query condition, matches only some requests.
    expect(ruleReach([{ field: 'path-pattern', values: ['/api/*'] }]).any_request).toBe(false);
    expect(ruleReach([{ field: 'http-header', values: ['*'] }]).any_request).toBe(false);
    expect(
      ruleReach([
        { field: 'path-pattern', values: ['/*'] },
        { field: 'http-request-method', values: ['GET'] },
      ]).any_request,
    ).toBe(false);
  });

  it('treats unknown values (plans) and a rule without conditions as matching nothing for certain', () => {
    expect(ruleReach([{ field: 'source-ip', values: null }])).toEqual({ source_cidrs: null, any_request: false });
    expect(ruleReach([{ field: 'path-pattern', values: null }]).any_request).toBe(false);
    expect(ruleReach([])).toEqual({ source_cidrs: null, any_request: false });
  });

  it('reads Terraform condition blocks, including values unknown until apply', () => {
    const AWS = 'registry.terraform.io/hashicorp/aws';
    const L = `${LB.replace('loadbalancer', 'listener')}/l80`;
    const resource = (
      type: string,
      name: string,
      after: Record<string, unknown>,
      unknown: Record<string, unknown>,
    ) => ({
      address: `${type}.${name}`,
      mode: 'managed',
      type,
      name,
      provider_name: AWS,
      change: { actions: ['create'], before: null, after, after_unknown: unknown },
    });
    const resources = [
      resource('aws_lb', 'edge', { arn: LB, id: LB, name: 'edge-alb', load_balancer_type: 'application' }, {}),
      resource('aws_lb_target_group', 'db', { arn: TG_A, id: TG_A, name: 'db-http', port: 8080 }, {}),
      resource(
        'aws_lb_listener',
        'http',
        {
          arn: L,
          id: L,
          load_balancer_arn: LB,
          port: 80,
          protocol: 'HTTP',
          default_action: [{ type: 'fixed-response' }],
        },
        {},
      ),
      resource(
        'aws_lb_listener_rule',
        'office',
        {
          listener_arn: L,
          action: [{ type: 'forward', target_group_arn: TG_A }],
          condition: [{ source_ip: [{}] }, { path_pattern: [{ values: ['/*'] }] }],
        },
        { arn: true, id: true, priority: true, condition: [{ source_ip: [{ values: true }] }, {}] },
      ),
    ];
    const plan = {
      format_version: '1.2',
      planned_values: {
        root_module: {
          resources: resources.map((r) => ({ ...r, change: undefined, values: r.change.after, sensitive_values: {} })),
        },
      },
      resource_changes: resources,
    };
    const lb = parseTerraformPlan(plan, { region: 'us-east-1', account_id: A }).nodes.find(
      (n) => n.type === 'aws.elbv2.load_balancer',
    );
    expect(lb?.attributes.listeners).toEqual([
      expect.objectContaining({
        rules: [{ priority: null, source_cidrs: null, any_request: false, target_group_arns: [TG_A] }],
      }),
    ]);
  });
});
