/**
 * The inventory the findings and findings-report tests share: a web security group open to the internet on
 * SSH and 3389 among others, a default group, an instance with IMDSv1 and a public IP, and a well-configured
 * RDS instance. Four findings: high-risk ports and SSH on sg-0web; IMDSv1 and a public IP on i-0web.
 */
export const SG_WEB = 'aws:us-east-1:aws.ec2.security_group:sg-0web';
export const SG_DEFAULT = 'aws:us-east-1:aws.ec2.security_group:sg-0def';
export const WEB = 'aws:us-east-1:aws.ec2.instance:i-0web';
export const DB = 'aws:us-east-1:aws.rds.db_instance:111111111111/orders';

export const sgRule = (from: number, to: number, cidrs: string[]) => ({
  protocol: '6',
  from_port: from,
  to_port: to,
  cidrs,
  ipv6_cidrs: [],
  prefix_list_ids: [],
  security_group_ids: [],
  description: null,
});

export const NODES = [
  {
    id: SG_WEB,
    provider: 'aws',
    type: 'aws.ec2.security_group',
    region: 'us-east-1',
    account: '111111111111',
    name: 'sg-0web',
    attributes: {
      group_id: 'sg-0web',
      group_name: 'web',
      vpc_id: 'vpc-01',
      ingress: [sgRule(443, 443, ['0.0.0.0/0']), sgRule(22, 22, ['0.0.0.0/0'])],
      egress: [],
    },
  },
  {
    id: SG_DEFAULT,
    provider: 'aws',
    type: 'aws.ec2.security_group',
    region: 'us-east-1',
    account: '111111111111',
    name: 'sg-0def',
    attributes: { group_id: 'sg-0def', group_name: 'default', vpc_id: 'vpc-01', ingress: [], egress: [] },
  },
  {
    id: WEB,
    provider: 'aws',
    type: 'aws.ec2.instance',
    region: 'us-east-1',
    account: '111111111111',
    name: 'i-0web',
    attributes: {
      instance_id: 'i-0web',
      state: 'running',
      public_ip: '3.91.20.30',
      metadata_http_tokens: 'optional',
      security_group_ids: ['sg-0web'],
    },
  },
  {
    id: DB,
    provider: 'aws',
    type: 'aws.rds.db_instance',
    region: 'us-east-1',
    account: '111111111111',
    name: '111111111111/orders',
    attributes: {
      db_instance_identifier: 'orders',
      engine: 'postgres',
      publicly_accessible: false,
      storage_encrypted: true,
      auto_minor_version_upgrade: true,
      backup_retention_period: 7,
      deletion_protection: true,
    },
  },
];
