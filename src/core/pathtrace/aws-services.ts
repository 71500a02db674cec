/**
 * Addresses AWS answers itself, for the sender, without the VPC routing them:
 * the link-local services an EC2 instance reaches on its own interface
 * (instance metadata, Amazon DNS, Amazon Time Sync, Windows activation) and
 * the Amazon DNS server at the VPC's base address plus two. AWS documents
 * that security groups and network ACLs do not filter this traffic, and route
 * tables do not apply to it, so the tracer answers it without a walk.
 */
import { type Ipv4Cidr, parseIPv4, parseIPv4Cidr } from '../network/ip.ts';
import type { NetworkModel, VpcM } from './model.ts';

export const LINK_LOCAL = parseIPv4Cidr('169.254.0.0/16') as Ipv4Cidr;

export interface AwsService {
  /** "the instance metadata service (IMDS)". */
  name: string;
  /** The port it answers on, by protocol number (6 tcp, 17 udp); nothing else is answered. */
  ports: ReadonlyMap<number, number>;
  /** "TCP port 80", for explanations. */
  portsText: string;
  /** The instance metadata service, which an instance's metadata options can turn off. */
  imds: boolean;
  /** The Amazon DNS server, which answers only while the VPC's DNS resolution is on. */
  dns: boolean;
  /** Answered only on an EC2 instance's own interface (link-local); else for any address of `vpc`. */
  instanceOnly: boolean;
  /** The VPC whose Amazon DNS server this is (at the base of its first CIDR plus two). */
  vpc: VpcM | null;
}

const TCP = 6;
const UDP = 17;

function service(
  name: string,
  ports: [number, number][],
  portsText: string,
  more: Partial<AwsService> = {},
): AwsService {
  return { name, ports: new Map(ports), portsText, imds: false, dns: false, instanceOnly: true, vpc: null, ...more };
}

const dnsServer = (vpc: VpcM | null) =>
  service(
    'the Amazon DNS server',
    [
      [UDP, 53],
      [TCP, 53],
    ],
    'UDP and TCP port 53',
    {
      dns: true,
      instanceOnly: vpc === null,
      vpc,
    },
  );
const windowsActivation = service('the Windows license activation (KMS) server', [[TCP, 1688]], 'TCP port 1688');

/** The link-local services AWS lists as never filtered by security groups or network ACLs (VPC user guide). */
const LINK_LOCAL_SERVICES = new Map<number, AwsService>([
  [
    parseIPv4('169.254.169.254') as number,
    service('the instance metadata service (IMDS)', [[TCP, 80]], 'TCP port 80', { imds: true }),
  ],
  [parseIPv4('169.254.169.253') as number, dnsServer(null)],
  [parseIPv4('169.254.169.123') as number, service('the Amazon Time Sync Service', [[UDP, 123]], 'UDP port 123')],
  [parseIPv4('169.254.169.250') as number, windowsActivation],
  [parseIPv4('169.254.169.251') as number, windowsActivation],
]);

/** The link-local service addresses, for explanations. */
export const LINK_LOCAL_SERVICE_LIST =
  '169.254.169.254 (instance metadata), 169.254.169.253 (Amazon DNS), 169.254.169.123 (Amazon Time Sync) and 169.254.169.250–251 (Windows activation)';

/** Each model's Amazon DNS servers by address, indexed on first use (a trace looks one up per address tried). */
const dnsServersByModel = new WeakMap<NetworkModel, Map<number, AwsService[]>>();

function dnsServers(model: NetworkModel): Map<number, AwsService[]> {
  let byIp = dnsServersByModel.get(model);
  if (byIp) return byIp;
  byIp = new Map();
  for (const vpc of model.vpcs.values()) {
    // A VPC inferred from its subnets has no known base address.
    const primary = vpc.assumption === null ? vpc.cidrs[0] : undefined;
    if (!primary) continue;
    const ip = primary.first + 2;
    byIp.set(ip, [...(byIp.get(ip) ?? []), dnsServer(vpc)]);
  }
  dnsServersByModel.set(model, byIp);
  return byIp;
}

/**
 * What answers at `ip` without the VPC routing it: a link-local service; the Amazon DNS server
 * of every modelled VPC whose first (primary) CIDR has it at base + 2 (overlapping VPCs each
 * have their own); `'link_local'` for another link-local address, which nothing on the network
 * answers; else null, an ordinary address, traced hop by hop.
 */
export function awsServiceAt(model: NetworkModel, ip: number): AwsService[] | 'link_local' | null {
  if (ip >= LINK_LOCAL.first && ip <= LINK_LOCAL.last) {
    const known = LINK_LOCAL_SERVICES.get(ip);
    return known ? [known] : 'link_local';
  }
  return dnsServers(model).get(ip) ?? null;
}
