/**
 * The path tracer: "can traffic get from A to B on port P?" over an AWS
 * network, with AWS semantics, saying exactly which rule decided.
 *
 * Pure: plain data in (inventory nodes and edges), plain data out.
 *
 *   const model = buildNetworkModel(nodes, edges);   // once per inventory
 *   trace(model, { source: { node_id }, destination: { cidr: '0.0.0.0/0' }, protocol: 'tcp', port: 443 });
 *   exposure(model, { ports: [22, 3389] });
 */
export {
  DESTINATION_NODE_TYPES,
  type EndpointRefusal,
  type EndpointRole,
  endpointRefusal,
  SOURCE_NODE_TYPES,
} from './endpoints.ts';
export { exposure } from './exposure.ts';
export { buildNetworkModel, type NetworkModel } from './model.ts';
export { checkEndpoints, TraceQueryError, type TraceQueryProblem, trace } from './trace.ts';
export type {
  Disposition,
  ExposedEndpoint,
  ExposedService,
  ExposureOptions,
  ExposureResult,
  Hop,
  HopDecision,
  HopDirection,
  HopKind,
  HopRule,
  ListenerRef,
  NetworkAclRuleRef,
  NoRouteRef,
  PortRange,
  ReturnPath,
  RouteRef,
  SecurityGroupNoMatchRef,
  SecurityGroupRuleRef,
  TraceDestination,
  TraceEndpoint,
  TracePath,
  TraceProtocol,
  TraceQuery,
  TraceResult,
  TraceSource,
  TransitGatewayRouteRef,
  VpnRouteRef,
} from './types.ts';
