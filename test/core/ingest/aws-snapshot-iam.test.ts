/**
 * IAM from `aws iam get-account-authorization-details` (UserDetailList, GroupDetailList, RoleDetailList,
 * Policies with their versions' documents, as the AWS CLI prints them: documents decoded to JSON) beside the
 * list-* outputs, which carry no policies; and what the IAM rules make of both.
 */
import { describe, expect, it } from 'vitest';
import { parseAwsSnapshot } from '../../../src/core/ingest/index.ts';
import { nodeId } from '../../../src/core/inventory/types.ts';
import { evaluateRules, RULES } from '../../../src/core/rules/index.ts';
import { edgeStrings, nodeById } from './helpers.ts';

const A = '111111111111';
const B = '222222222222';
const iam = (type: string, key: string) => nodeId('aws', 'global', `aws.iam.${type}`, key);

const ADMIN_DOCUMENT = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const READ_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::logs/*' }],
};

/** get-account-authorization-details of one account (the shape of the AWS CLI reference's example). */
function authorizationDetails(account: string) {
  return {
    UserDetailList: [
      {
        Path: '/',
        UserName: 'alice',
        UserId: `AIDA${account}ALICE`,
        Arn: `arn:aws:iam::${account}:user/alice`,
        CreateDate: '2024-01-10T09:00:00Z',
        GroupList: ['Admins'],
        AttachedManagedPolicies: [],
        UserPolicyList: [],
        Tags: [],
      },
      {
        Path: '/',
        UserName: 'ci',
        UserId: `AIDA${account}CI`,
        Arn: `arn:aws:iam::${account}:user/ci`,
        CreateDate: '2024-02-01T09:00:00Z',
        GroupList: [],
        AttachedManagedPolicies: [{ PolicyName: 'ReadLogs', PolicyArn: `arn:aws:iam::${account}:policy/ReadLogs` }],
        // The API URL-encodes documents; the CLI decodes them. Either is read.
        UserPolicyList: [{ PolicyName: 'deploy', PolicyDocument: encodeURIComponent(JSON.stringify(READ_DOCUMENT)) }],
      },
    ],
    GroupDetailList: [
      {
        Path: '/',
        GroupName: 'Admins',
        GroupId: `AGPA${account}ADMINS`,
        Arn: `arn:aws:iam::${account}:group/Admins`,
        CreateDate: '2023-12-01T09:00:00Z',
        GroupPolicyList: [{ PolicyName: 'inline-admin', PolicyDocument: ADMIN_DOCUMENT }],
        AttachedManagedPolicies: [
          { PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
        ],
      },
    ],
    RoleDetailList: [
      {
        Path: '/',
        RoleName: 'deployer',
        RoleId: `AROA${account}DEPLOY`,
        Arn: `arn:aws:iam::${account}:role/deployer`,
        CreateDate: '2024-03-01T09:00:00Z',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:user/ci` }, Action: 'sts:AssumeRole' },
          ],
        },
        // Instance profiles are listed only here, each with its roles (the role itself).
        InstanceProfileList: [
          {
            Path: '/',
            InstanceProfileName: 'deployer-profile',
            InstanceProfileId: `AIPA${account}DEPLOY`,
            Arn: `arn:aws:iam::${account}:instance-profile/deployer-profile`,
            CreateDate: '2024-03-01T09:00:00Z',
            Roles: [
              {
                Path: '/',
                RoleName: 'deployer',
                RoleId: `AROA${account}DEPLOY`,
                Arn: `arn:aws:iam::${account}:role/deployer`,
                CreateDate: '2024-03-01T09:00:00Z',
              },
            ],
          },
        ],
        RolePolicyList: [{ PolicyName: 'ecr', PolicyDocument: READ_DOCUMENT }],
        AttachedManagedPolicies: [],
        Tags: [{ Key: 'team', Value: 'platform' }],
      },
    ],
    Policies: [
      {
        PolicyName: 'ReadLogs',
        PolicyId: `ANPA${account}READ`,
        Arn: `arn:aws:iam::${account}:policy/ReadLogs`,
        Path: '/',
        DefaultVersionId: 'v2',
        AttachmentCount: 1,
        IsAttachable: true,
        CreateDate: '2024-01-01T09:00:00Z',
        UpdateDate: '2024-04-01T09:00:00Z',
        // v1 granted everything; v2, the default, does not: only v2 is in force.
        PolicyVersionList: [
          { Document: READ_DOCUMENT, VersionId: 'v2', IsDefaultVersion: true, CreateDate: '2024-04-01T09:00:00Z' },
          { Document: ADMIN_DOCUMENT, VersionId: 'v1', IsDefaultVersion: false, CreateDate: '2024-01-01T09:00:00Z' },
        ],
      },
      {
        PolicyName: 'BreakGlass',
        PolicyId: `ANPA${account}GLASS`,
        Arn: `arn:aws:iam::${account}:policy/BreakGlass`,
        Path: '/',
        DefaultVersionId: 'v1',
        AttachmentCount: 0,
        IsAttachable: true,
        CreateDate: '2024-01-01T09:00:00Z',
        UpdateDate: '2024-01-01T09:00:00Z',
        PolicyVersionList: [
          {
            Document: encodeURIComponent(JSON.stringify(ADMIN_DOCUMENT)),
            VersionId: 'v1',
            IsDefaultVersion: true,
            CreateDate: '2024-01-01T09:00:00Z',
          },
        ],
      },
    ],
    IsTruncated: false,
  };
}

const parse = () =>
  parseAwsSnapshot({
    documents: [
      { name: `${A}/global/iam-authorization-details.json`, content: authorizationDetails(A) },
      { name: `${B}/global/iam-authorization-details.json`, content: authorizationDetails(B) },
      {
        name: `${A}/global/iam-list-users.json`,
        content: {
          Users: [
            {
              Path: '/',
              UserName: 'legacy',
              UserId: 'AIDALEGACY',
              Arn: `arn:aws:iam::${A}:user/legacy`,
              CreateDate: '2019-01-01T00:00:00Z',
            },
          ],
        },
      },
    ],
  });

describe('AWS snapshot: IAM from get-account-authorization-details', () => {
  it('reads users with their groups, managed and inline policies; list-users says it lists none', () => {
    const inv = parse();
    expect(inv.skipped_documents).toEqual([]);
    expect(nodeById(inv, iam('user', `${A}/ci`)).attributes).toMatchObject({
      user_name: 'ci',
      policies_listed: true,
      group_names: [],
      attached_policy_arns: [`arn:aws:iam::${A}:policy/ReadLogs`],
      inline_policies: [{ name: 'deploy', policy: READ_DOCUMENT }],
    });
    expect(nodeById(inv, iam('user', `${A}/alice`)).attributes).toMatchObject({
      group_names: ['Admins'],
      attached_policy_arns: [],
      inline_policies: [],
    });
    expect(nodeById(inv, iam('user', `${A}/legacy`)).attributes).toMatchObject({
      policies_listed: false,
      attached_policy_arns: [],
      inline_policies: [],
    });
  });

  it('reads groups and roles with their policies, and each policy’s default version document', () => {
    const inv = parse();
    expect(nodeById(inv, iam('group', `${A}/Admins`))).toMatchObject({
      account: A,
      native_id: `arn:aws:iam::${A}:group/Admins`,
      attributes: {
        group_name: 'Admins',
        attached_policy_arns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        inline_policies: [{ name: 'inline-admin', policy: ADMIN_DOCUMENT }],
      },
    });
    expect(nodeById(inv, iam('role', `${A}/deployer`))).toMatchObject({
      tags: { team: 'platform' },
      attributes: {
        inline_policies: [{ name: 'ecr', policy: READ_DOCUMENT }],
        trusted_principals: [`arn:aws:iam::${A}:user/ci`],
      },
    });
    expect(nodeById(inv, iam('policy', `${A}/ReadLogs`)).attributes).toMatchObject({
      default_version_id: 'v2',
      policy: READ_DOCUMENT,
    });
    expect(nodeById(inv, iam('policy', `${A}/BreakGlass`)).attributes.policy).toEqual(ADMIN_DOCUMENT);
  });

  it('reads the instance profiles listed under roles, so an instance reaches its role', () => {
    const inv = parseAwsSnapshot({
      documents: [
        { name: `${A}/global/iam-authorization-details.json`, content: authorizationDetails(A) },
        {
          name: `${A}/us-east-1/ec2-describe-instances.json`,
          content: {
            Reservations: [
              {
                OwnerId: A,
                Instances: [
                  {
                    InstanceId: 'i-0abc',
                    State: { Name: 'running' },
                    IamInstanceProfile: {
                      Arn: `arn:aws:iam::${A}:instance-profile/deployer-profile`,
                      Id: `AIPA${A}DEPLOY`,
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
    });
    expect(nodeById(inv, iam('instance_profile', `${A}/deployer-profile`))).toMatchObject({
      account: A,
      native_id: `arn:aws:iam::${A}:instance-profile/deployer-profile`,
      attributes: { instance_profile_name: 'deployer-profile', roles: [`arn:aws:iam::${A}:role/deployer`] },
    });
    expect(edgeStrings(inv, (e) => e.type === 'uses').sort()).toEqual([
      'uses 111111111111/deployer-profile -> 111111111111/deployer',
      'uses i-0abc -> 111111111111/deployer-profile',
    ]);
    expect(inv.warnings.filter((w) => w.includes('instance-profile'))).toEqual([]);
  });

  it('links each user to the group of its own account (group names repeat across accounts)', () => {
    const inv = parse();
    const memberships = inv.edges.filter((e) => e.type === 'member_of' && e.source_id.includes('aws.iam.user'));
    expect(memberships.map((e) => [e.source_id, e.target_id])).toEqual(
      expect.arrayContaining([
        [iam('user', `${A}/alice`), iam('group', `${A}/Admins`)],
        [iam('user', `${B}/alice`), iam('group', `${B}/Admins`)],
      ]),
    );
    expect(memberships).toHaveLength(2);
    expect(edgeStrings(inv, (e) => e.type === 'assumes')).toEqual([
      `assumes ${A}/ci -> ${A}/deployer`,
      `assumes ${B}/ci -> ${B}/deployer`,
    ]);
  });

  it('feeds the IAM rules: direct policies fail, group-only users pass, list-users users are skipped', () => {
    const inv = parse();
    const result = evaluateRules(
      inv.nodes,
      inv.edges,
      RULES.filter((r) => r.id.startsWith('aws.iam.')),
    );
    const rule = (id: string) => result.results.find((r) => r.rule_id === id);
    const direct = rule('aws.iam.user_has_direct_policies');
    expect(direct?.failures.map((f) => [f.node_id, f.message]).sort()).toEqual([
      [
        iam('user', `${A}/ci`),
        `IAM user ci has 2 policy(ies) attached directly: arn:aws:iam::${A}:policy/ReadLogs, inline policy deploy`,
      ],
      [
        iam('user', `${B}/ci`),
        `IAM user ci has 2 policy(ies) attached directly: arn:aws:iam::${B}:policy/ReadLogs, inline policy deploy`,
      ],
    ]);
    expect(direct?.skipped_node_ids).toEqual([iam('user', `${A}/legacy`)]);
    expect(direct?.evaluated).toBe(4); // alice and ci in each account
    // Only the default version counts: ReadLogs' old admin version does not fail it.
    const admin = rule('aws.iam.policy_allows_full_admin');
    expect(admin?.failures.map((f) => f.node_id).sort()).toEqual([
      iam('policy', `${A}/BreakGlass`),
      iam('policy', `${B}/BreakGlass`),
    ]);
    expect(admin?.evaluated).toBe(4);
  });
});
