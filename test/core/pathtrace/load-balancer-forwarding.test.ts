/**
 * Load balancer semantics beyond listeners: which target groups each listener forwards to
 * (only those registrations are behind the listener) and target health (AWS routes only to
 * healthy targets, and fails open when no target of a group is healthy).
 */
import { describe, expect, it } from 'vitest';
import { exposure, trace } from '../../../src/core/pathtrace/index.ts';
import { node, tcp, twoTier } from './builders.ts';

const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web-lb/0123456789abcdef';
const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tg-a/aaaaaaaaaaaaaaaa';
const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tg-b/bbbbbbbbbbbbbbbb';

interface Reg {
  id: string;
  port: number;
  target_group_arn?: string | null;
  health?: string | null;
  health_reason?: string;
}

/**
 * Listener 80 → tg-a (i-app on 8080), listener 443 → tg-b (i-app on 8443). sg-app admits only
 * 8443 from the load balancer. `mapped: false` drops the listeners' target groups (older data).
 */
function twoListeners(opts: { mapped?: boolean; targets?: Reg[]; listenerGroups?: [string[], string[]] } = {}) {
  const net = twoTier();
  net.sg('sg-lb', 'vpc-a', { ingress: [tcp(80, '0.0.0.0/0'), tcp(443, '0.0.0.0/0')] });
  net.remove('sg-app').sg('sg-app', 'vpc-a', { ingress: [tcp(8443, 'sg-lb')] });
  net.remove('sg-db').sg('sg-db', 'vpc-a', { ingress: [tcp(8443, 'sg-lb')] });
  net.loadBalancer('web-lb', 'vpc-a', ['subnet-pub'], { sgs: ['sg-lb'], targets: ['i-app'] });
  const [g80, g443] = opts.listenerGroups ?? [[TG_A], [TG_B]];
  const mapped = opts.mapped ?? true;
  Object.assign(net.attrs(LB_ARN), {
    listeners: [
      { port: 80, protocol: 'HTTP', ...(mapped ? { target_group_arns: g80 } : {}) },
      { port: 443, protocol: 'HTTPS', ...(mapped ? { target_group_arns: g443 } : {}) },
    ],
    targets: opts.targets ?? [
      { id: 'i-app', port: 8080, target_group_arn: TG_A },
      { id: 'i-app', port: 8443, target_group_arn: TG_B },
    ],
  });
  return net;
}

const fromInternet = (port: number, to = 'i-app') => ({
  source: { internet: true as const },
  destination: node(to),
  protocol: 'tcp' as const,
  port,
});

const forwardHop = (hops: { kind: string; direction: string; note?: string }[]) =>
  hops.find((h) => h.kind === 'load_balancer' && h.direction === 'forward');

describe('listener → target group mapping', () => {
  it('tries behind a listener only the registrations of the target groups it forwards to', () => {
    const model = twoListeners().model();
    const on80 = trace(model, fromInternet(80));
    // Listener 80 forwards to tg-a (8080), which sg-app does not admit; tg-b's 8443 is not behind it.
    expect(on80.reachable).toBe(false);
    const all80 = trace(model, { ...fromInternet(80), all_paths: true });
    expect(all80.paths?.some((p) => p.reachable)).toBe(false);
    const refused = all80.paths?.find((p) => p.blocked_by?.kind === 'load_balancer');
    expect(refused?.disposition).toBe('DENIED_IN');
    expect(refused?.blocked_by?.note).toBe(
      'web-lb does not forward this traffic to app (target group tg-b): listener HTTP:80 forwards to target group tg-a',
    );

    const on443 = trace(model, fromInternet(443));
    expect(on443.reachable).toBe(true);
    expect(on443.reachable_ports).toEqual([{ from: 443, to: 443 }]);
    expect(forwardHop(on443.hops)?.note).toBe('web-lb forwards to target app (10.0.2.20 port 8443)');
    expect(on443.assumptions.join('\n')).not.toContain('listener');
  });

  it('narrows a port range to the listeners that forward to the target', () => {
    const r = trace(twoListeners().model(), {
      ...fromInternet(80),
      port: undefined,
      port_range: { from: 1, to: 1000 },
    });
    expect(r.reachable).toBe(true);
    expect(r.reachable_ports).toEqual([{ from: 443, to: 443 }]);
  });

  it('exposure lists the target only on the listener ports that forward to a reachable registration', () => {
    const app = exposure(twoListeners().model(), { protocols: ['tcp'] }).exposed.find(
      (e) => e.name === 'app' && e.via === 'load_balancer',
    );
    expect(app?.services).toEqual([
      expect.objectContaining({ ports: [{ from: 443, to: 443 }], target_ports: [{ from: 8443, to: 8443 }] }),
    ]);
  });

  it('a listener whose target groups the inventory lacks keeps every registration behind it, and says so', () => {
    const r = trace(twoListeners({ mapped: false }).model(), fromInternet(80));
    expect(r.reachable).toBe(true);
    expect(r.assumptions).toContain(
      'the target groups listener HTTP:80 of web-lb forwards to are not in the inventory; every target registration of web-lb is assumed to be behind it',
    );
  });

  it('a target group no listener action names is assumed forwarded to by listener rules, behind every listener', () => {
    const r = trace(twoListeners({ listenerGroups: [[TG_A], [TG_A]] }).model(), fromInternet(80));
    expect(r.reachable).toBe(true);
    expect(r.assumptions).toContain(
      "target group tg-b of web-lb is not named by any listener's actions in the inventory; it is assumed to be forwarded to by listener rules behind every listener",
    );
  });

  it('a listener forwarding to several target groups (rules, weighted forward) admits each of them', () => {
    const r = trace(twoListeners({ listenerGroups: [[TG_A, TG_B], [TG_B]] }).model(), fromInternet(80));
    expect(r.reachable).toBe(true);
    expect(forwardHop(r.hops)?.note).toBe('web-lb forwards to target app (10.0.2.20 port 8443)');
    expect(r.assumptions.join('\n')).not.toContain('listener');
  });
});

describe('target health', () => {
  const unhealthyApp = (health: string, other: string | null): Reg[] => [
    { id: 'i-app', port: 8443, target_group_arn: TG_B, health, health_reason: 'Target.FailedHealthChecks' },
    ...(other === null ? [] : [{ id: 'i-db', port: 8443, target_group_arn: TG_B, health: other }]),
  ];

  it('blocks a trace to an unhealthy target while its group has a healthy one, naming the state', () => {
    const model = twoListeners({ targets: unhealthyApp('unhealthy', 'healthy') }).model();
    const r = trace(model, fromInternet(443));
    expect(r.reachable).toBe(false);
    expect(r.disposition).toBe('DENIED_IN');
    expect(r.blocked_by).toMatchObject({ kind: 'load_balancer', decision: 'drop' });
    expect(r.blocked_by?.note).toBe(
      'web-lb does not route to target app (10.0.2.20 port 8443) in target group tg-b: its health state is unhealthy (Target.FailedHealthChecks); the load balancer sends new connections only to healthy targets',
    );
    expect(r.explanation).toContain('health state is unhealthy');
    // The healthy target of the same group is reached.
    expect(trace(model, fromInternet(443, 'i-db')).reachable).toBe(true);
    // Exposure does not list the unhealthy target as reachable through the load balancer.
    const viaLb = exposure(model, { protocols: ['tcp'] }).exposed.filter((e) => e.via === 'load_balancer');
    expect(viaLb.map((e) => e.name)).toEqual(['db']);
  });

  it('initial and draining targets get no new connections, even when no target of the group is healthy', () => {
    for (const state of ['initial', 'draining', 'unused']) {
      const r = trace(twoListeners({ targets: unhealthyApp(state, null) }).model(), fromInternet(443));
      expect(r.reachable, state).toBe(false);
      expect(r.blocked_by?.note, state).toContain(`its health state is ${state}`);
    }
  });

  it('fails open: when every target of the group is unhealthy, the load balancer routes to them', () => {
    const model = twoListeners({ targets: unhealthyApp('unhealthy', 'unhealthy') }).model();
    const r = trace(model, fromInternet(443));
    expect(r.reachable).toBe(true);
    expect(forwardHop(r.hops)?.note).toBe(
      'web-lb forwards to target app (10.0.2.20 port 8443) in target group tg-b; its health state is unhealthy, but no target of the group is healthy, so the load balancer fails open and routes to all of them',
    );
    const viaLb = exposure(model, { protocols: ['tcp'] }).exposed.filter((e) => e.via === 'load_balancer');
    expect(viaLb.map((e) => e.name).sort()).toEqual(['app', 'db']);
  });

  it('treats unknown health as healthy, without an assumption', () => {
    const r = trace(
      twoListeners({ targets: [{ id: 'i-app', port: 8443, target_group_arn: TG_B, health: null }] }).model(),
      fromInternet(443),
    );
    expect(r.reachable).toBe(true);
    expect(r.assumptions.join('\n')).not.toMatch(/health/);
  });

  it('applies health per target group: a target healthy in another group is still reached through it', () => {
    const targets: Reg[] = [
      { id: 'i-app', port: 8443, target_group_arn: TG_A, health: 'healthy' },
      ...unhealthyApp('unhealthy', 'healthy'),
    ];
    const model = twoListeners({ targets }).model();
    // Listener 80 → tg-a, where i-app:8443 is healthy; listener 443 → tg-b, where it is not.
    expect(trace(model, fromInternet(80)).reachable).toBe(true);
    expect(trace(model, fromInternet(443)).reachable).toBe(false);
  });
});
