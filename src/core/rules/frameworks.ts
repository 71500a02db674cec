/**
 * The compliance frameworks Infracast scores, and the controls of each that its rules back. Control ids
 * and titles are the frameworks' own; a control none of the rules can check is left out rather than
 * reported as passing.
 */
import type { FrameworkId } from './types.ts';

export interface ControlInfo {
  id: string;
  title: string;
}

export interface FrameworkInfo {
  id: FrameworkId;
  name: string;
  version: string;
  controls: readonly ControlInfo[];
}

export const FRAMEWORKS: readonly FrameworkInfo[] = [
  {
    id: 'cis-aws-foundations',
    name: 'CIS Amazon Web Services Foundations Benchmark',
    version: '3.0.0',
    controls: [
      { id: '1.15', title: 'Ensure IAM Users Receive Permissions Only Through Groups' },
      { id: '1.16', title: 'Ensure IAM policies that allow full "*:*" administrative privileges are not attached' },
      { id: '2.1.1', title: 'Ensure S3 Bucket Policy is set to deny HTTP requests' },
      { id: '2.1.4', title: "Ensure that S3 Buckets are configured with 'Block public access (bucket settings)'" },
      { id: '2.2.1', title: 'Ensure EBS Volume Encryption is Enabled in all Regions' },
      { id: '2.3.1', title: 'Ensure that encryption-at-rest is enabled for RDS Instances' },
      { id: '2.3.2', title: 'Ensure Auto Minor Version Upgrade feature is Enabled for RDS Instances' },
      { id: '2.3.3', title: 'Ensure that public access is not given to RDS Instance' },
      { id: '3.2', title: 'Ensure CloudTrail log file validation is enabled' },
      { id: '3.6', title: 'Ensure rotation for customer-created symmetric CMKs is enabled' },
      { id: '3.7', title: 'Ensure VPC flow logging is enabled in all VPCs' },
      {
        id: '5.1',
        title: 'Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports',
      },
      {
        id: '5.2',
        title: 'Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports',
      },
      { id: '5.3', title: 'Ensure no security groups allow ingress from ::/0 to remote server administration ports' },
      { id: '5.4', title: 'Ensure the default security group of every VPC restricts all traffic' },
      { id: '5.6', title: 'Ensure that EC2 Metadata Service only allows IMDSv2' },
    ],
  },
  {
    id: 'aws-fsbp',
    name: 'AWS Foundational Security Best Practices',
    version: '1.0.0',
    controls: [
      { id: 'CloudTrail.4', title: 'CloudTrail log file validation should be enabled' },
      { id: 'EC2.2', title: 'VPC default security groups should not allow inbound or outbound traffic' },
      { id: 'EC2.3', title: 'Attached Amazon EBS volumes should be encrypted at-rest' },
      { id: 'EC2.6', title: 'VPC flow logging should be enabled in all VPCs' },
      { id: 'EC2.7', title: 'EBS default encryption should be enabled' },
      { id: 'EC2.8', title: 'EC2 instances should use Instance Metadata Service Version 2 (IMDSv2)' },
      { id: 'EC2.9', title: 'Amazon EC2 instances should not have a public IPv4 address' },
      { id: 'EC2.15', title: 'Amazon EC2 subnets should not automatically assign public IP addresses' },
      { id: 'EC2.19', title: 'Security groups should not allow unrestricted access to ports with high risk' },
      { id: 'EC2.21', title: 'Network ACLs should not allow ingress from 0.0.0.0/0 to port 22 or port 3389' },
      { id: 'ELB.1', title: 'Application Load Balancer should be configured to redirect all HTTP requests to HTTPS' },
      { id: 'IAM.1', title: 'IAM policies should not allow full "*" administrative privileges' },
      { id: 'IAM.2', title: 'IAM users should not have IAM policies attached' },
      { id: 'KMS.4', title: 'AWS KMS key rotation should be enabled' },
      {
        id: 'RDS.2',
        title: 'RDS DB Instances should prohibit public access, as determined by the PubliclyAccessible configuration',
      },
      { id: 'RDS.3', title: 'RDS DB instances should have encryption at-rest enabled' },
      { id: 'RDS.8', title: 'RDS DB instances should have deletion protection enabled' },
      { id: 'RDS.11', title: 'RDS instances should have automatic backups enabled' },
      { id: 'RDS.13', title: 'RDS automatic minor version upgrades should be enabled' },
      { id: 'S3.5', title: 'S3 general purpose buckets should require requests to use SSL' },
      { id: 'S3.8', title: 'S3 general purpose buckets should block public access' },
    ],
  },
];

export const frameworkById = (id: string): FrameworkInfo | undefined => FRAMEWORKS.find((f) => f.id === id);
