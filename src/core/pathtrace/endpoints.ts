/**
 * Which inventory nodes a trace can start from or go to. Traffic starts and
 * ends at interfaces (and what owns them) or at addresses; a security group,
 * a route table or a bucket is neither, so naming one is a query error (the
 * API's 422), never a verdict about reachability.
 */
import { AWS_NETWORK_TYPES as T } from '../network/attributes.ts';

export type EndpointRole = 'source' | 'destination';

/** Node types a trace can start from: interfaces and their owners, or an address in a subnet. */
export const SOURCE_NODE_TYPES: readonly string[] = [
  T.instance,
  T.networkInterface,
  T.loadBalancer,
  T.dbInstance,
  T.lambdaFunction,
  T.natGateway,
  T.vpcEndpoint,
  T.subnet,
];

/** Node types a trace can go to; a subnet or a VPC means any address in it, as a CIDR does. */
export const DESTINATION_NODE_TYPES: readonly string[] = [
  T.instance,
  T.networkInterface,
  T.loadBalancer,
  T.dbInstance,
  T.natGateway,
  T.vpcEndpoint,
  T.subnet,
  T.vpc,
];

const USABLE: Record<EndpointRole, string> = {
  source:
    'a trace starts from an instance, network interface, load balancer, RDS instance, Lambda function, NAT gateway, interface VPC endpoint or subnet, or from an address',
  destination:
    'a trace goes to an instance, network interface, load balancer, RDS instance, NAT gateway, VPC endpoint, or any address in a subnet or VPC, or to an address or CIDR',
};

/** Why a node of a usable type still cannot play the role, where that depends on more than its type. */
function specialReason(type: string, role: EndpointRole, gatewayEndpoint: boolean): string | null {
  if (role === 'source' && type === T.vpc) {
    return 'a VPC as a whole sends nothing: its subnets have their own route tables and network ACLs, so name one of them or give an address in it';
  }
  if (role === 'destination' && type === T.lambdaFunction) {
    return 'a Lambda function accepts no inbound network connections (it is invoked through the Lambda API)';
  }
  if (role === 'source' && gatewayEndpoint) {
    return 'a gateway VPC endpoint is a route target: traffic goes to it, none starts from it';
  }
  return null;
}

export interface EndpointRefusal {
  /** The whole story, for the error message. */
  message: string;
  /** What is wrong with the field, listing the usable node types. */
  detail: string;
}

/**
 * Null when a node of this type can be the trace's source (or destination);
 * else why not, and what can. `gatewayEndpoint`: the node is a VPC endpoint of
 * type Gateway (known only from its attributes).
 */
export function endpointRefusal(
  node: { id: string; type: string },
  role: EndpointRole,
  gatewayEndpoint = false,
): EndpointRefusal | null {
  const usable = role === 'source' ? SOURCE_NODE_TYPES : DESTINATION_NODE_TYPES;
  const special = specialReason(node.type, role, gatewayEndpoint);
  if (usable.includes(node.type) && special === null) return null;
  const reason = special ?? `${node.type} is not a network endpoint`;
  // Only interface endpoints send; say so where the list names VPC endpoints.
  const types = usable.map((t) => (t === T.vpcEndpoint && role === 'source' ? `${t} (Interface)` : t));
  return {
    message: `${node.id} cannot be the ${role}: ${reason}; ${USABLE[role]}`,
    detail: `${reason}; name a node of type ${types.join(', ')}`,
  };
}
