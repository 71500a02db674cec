/**
 * Roles and the permission map: the one place that decides what each route
 * needs. Every route's operationId must appear in ROUTE_ACCESS (checked at
 * start-up), and the README's role table is generated from it.
 */

export const ROLES = ['viewer', 'editor', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3, owner: 4 };
export const roleAtLeast = (role: Role, min: Role): boolean => RANK[role] >= RANK[min];
export const roleRank = (role: Role): number => RANK[role];

/**
 * Only owners manage owners: members and API keys with the owner role alike.
 * True when a caller with `mine` may act on (grant, change, remove, revoke) something with each of `roles`.
 */
export const mayManageRoles = (mine: Role, ...roles: (Role | undefined)[]): boolean =>
  mine === 'owner' || !roles.includes('owner');

/**
 * How a route is protected:
 * - `public`: no credentials needed;
 * - `authenticated`: any valid caller (what it sees is filtered by the service);
 * - `platform_admin`: a platform administrator;
 * - a Role: tenant-scoped routes (`/tenants/{t}/…`); the caller needs at least this role in the tenant.
 */
export type Access = 'public' | 'authenticated' | 'platform_admin' | Role;

export const ROUTE_ACCESS: Record<string, Access> = {
  // health
  getHealth: 'public',
  getStatus: 'public',
  // auth
  createToken: 'public',
  refreshToken: 'public',
  getMe: 'authenticated',
  changePassword: 'authenticated',
  // tenants (list and create filter/decide in the service: members see theirs, admins all)
  listTenants: 'authenticated',
  createTenant: 'authenticated',
  getTenant: 'viewer',
  replaceTenant: 'admin',
  updateTenant: 'admin',
  deleteTenant: 'owner',
  // members
  listMembers: 'viewer',
  getMember: 'viewer',
  addMember: 'admin',
  updateMember: 'admin',
  removeMember: 'admin',
  // API keys
  listApiKeys: 'admin',
  createApiKey: 'admin',
  getApiKey: 'admin',
  revokeApiKey: 'admin',
  // audit
  listAuditLog: 'admin',
  // inventory
  listNodes: 'viewer',
  getNode: 'viewer',
  createNode: 'editor',
  replaceNode: 'editor',
  updateNode: 'editor',
  deleteNode: 'editor',
  listNodeNeighbors: 'viewer',
  listEdges: 'viewer',
  getEdge: 'viewer',
  createEdge: 'editor',
  deleteEdge: 'editor',
  // discovery jobs
  listJobs: 'viewer',
  createJob: 'editor',
  getJob: 'viewer',
  startJob: 'editor',
  cancelJob: 'editor',
  // path tracer
  tracePath: 'viewer',
  findExposure: 'viewer',
  // tagging
  listTaggingPolicies: 'viewer',
  createTaggingPolicy: 'editor',
  getTaggingPolicy: 'viewer',
  replaceTaggingPolicy: 'editor',
  updateTaggingPolicy: 'editor',
  deleteTaggingPolicy: 'editor',
  updateTaggingPolicyCompat: 'editor',
  validateTaggingPlan: 'viewer',
  getTaggingCompliance: 'viewer',
  getTaggingComplianceHistory: 'viewer',
  listTaggingPolicyViolations: 'viewer',
  // findings and compliance
  listFindings: 'viewer',
  getFinding: 'viewer',
  acceptFinding: 'editor',
  resolveFinding: 'editor',
  listRules: 'viewer',
  getComplianceSummary: 'viewer',
  listComplianceFrameworks: 'viewer',
  listComplianceControls: 'viewer',
  // reports
  listReports: 'viewer',
  generateReport: 'editor',
  getReport: 'viewer',
  downloadReport: 'viewer',
  deleteReport: 'editor',
  // webhooks (they hold signing secrets and choose where tenant data is sent)
  listWebhooks: 'admin',
  createWebhook: 'admin',
  getWebhook: 'admin',
  updateWebhook: 'admin',
  deleteWebhook: 'admin',
  pingWebhook: 'admin',
  rotateWebhookSecret: 'admin',
  listWebhookDeliveries: 'admin',
  getWebhookDelivery: 'admin',
  redeliverWebhookDelivery: 'admin',
};
