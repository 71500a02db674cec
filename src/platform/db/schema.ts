/**
 * Row types of every table, as Kysely sees them. The same types serve SQLite
 * and PostgreSQL: timestamps are ISO 8601 UTC strings, booleans are 0/1
 * integers and JSON documents are text, so both dialects read back exactly
 * what was written (see ARCHITECTURE.md, "Storage").
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** ISO 8601 UTC timestamp, e.g. `2026-11-23T12:00:00.000Z`. */
export type Timestamp = string;
/** A JSON document stored as text. */
export type JsonText = string;
/** 0 or 1. */
export type Flag = number;

export interface TenantTable {
  id: string;
  slug: string;
  name: string;
  plan: 'free' | 'pro' | 'enterprise';
  rate_limit_per_minute: number | null;
  rate_limit_burst: number | null;
  /** Bumped on every inventory write, so caches (path tracer model) know when to rebuild. */
  inventory_version: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserTable {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  is_platform_admin: Flag;
  /** 1 while the password is one someone else was shown (generated); nothing but changing it is allowed. */
  password_change_required: ColumnType<Flag, Flag | undefined, Flag>;
  created_at: Timestamp;
  updated_at: Timestamp;
  disabled_at: Timestamp | null;
}

export interface MembershipTable {
  id: string;
  tenant_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'editor' | 'viewer';
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ApiKeyTable {
  id: string;
  tenant_id: string;
  client_id: string;
  secret_hash: string;
  description: string;
  role: 'owner' | 'admin' | 'editor' | 'viewer';
  created_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** A sign-in: its refresh tokens (`family_id`) and access tokens (`sid`) are valid while it is not revoked. */
export interface SessionTable {
  id: string;
  user_id: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface RefreshTokenTable {
  id: string;
  family_id: string;
  user_id: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface SigningKeyTable {
  id: string;
  algorithm: string;
  secret: string;
  created_at: Timestamp;
}

export interface AuditLogTable {
  id: string;
  tenant_id: string | null;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  summary: JsonText | null;
  request_id: string | null;
  ip: string | null;
  created_at: Timestamp;
}

export interface NodeTable {
  tenant_id: string;
  id: string;
  provider: string;
  type: string;
  account: string | null;
  region: string;
  name: string;
  native_id: string | null;
  tags: JsonText;
  attributes: JsonText;
  /** 'manual' or the id of the job that last wrote the node. */
  source: string;
  /** What a re-ingest compares against to find removed resources: source kind + account/region or state lineage. */
  scope_key: string | null;
  /** Hash of the node's content, so an unchanged re-ingest is detected without rewriting the row. */
  content_hash: string;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EdgeTable {
  tenant_id: string;
  id: string;
  source_id: string;
  target_id: string;
  type: string;
  attributes: JsonText;
  source: string;
  scope_key: string | null;
  /** Hash of the edge's attributes and scope, so an unchanged re-ingest skips it. */
  content_hash: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** When each ingest scope was last ingested (a node's last_seen_at is at least its scope's). */
export interface InventoryScopeTable {
  tenant_id: string;
  scope_key: string;
  source: string;
  last_job_id: string;
  last_seen_at: Timestamp;
}

export interface JobTable {
  id: string;
  tenant_id: string;
  kind: string;
  name: string;
  source: string;
  status: 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: number;
  step: string | null;
  counts: JsonText;
  result: JsonText | null;
  error: JsonText | null;
  attempts: number;
  cancel_requested: Flag;
  /** Size of the stored input (sum of job_inputs.size_bytes). */
  input_bytes: ColumnType<number, number | undefined, number>;
  /** Hex SHA-256 of the stored input (null for jobs created before it was recorded). */
  input_sha256: ColumnType<string | null, string | null | undefined, string | null>;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  heartbeat_at: Timestamp | null;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  queued_at: Timestamp | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface JobInputTable {
  job_id: string;
  /** 0, 1, 2…: the input is stored in parts of a few MB, concatenated in order. */
  part: number;
  content: string;
  size_bytes: number;
}

export interface TaggingPolicyTable {
  id: string;
  tenant_id: string;
  name: string;
  description: string | null;
  enabled: Flag;
  enforcement: 'warn' | 'block';
  message: string | null;
  scope: JsonText;
  tags: JsonText;
  exemptions: JsonText;
  trim_values: Flag;
  /** Bumped on every write (cache fingerprints compare it). */
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TaggingComplianceSnapshotTable {
  id: string;
  tenant_id: string;
  trigger: 'job' | 'daily';
  job_id: string | null;
  /** UTC date (YYYY-MM-DD) of a daily snapshot; null for the others. Unique per tenant. */
  day: string | null;
  inventory_version: number;
  resources: number;
  taggable: number;
  compliant: number;
  /** null when nothing is taggable. */
  percent: number | null;
  details: JsonText;
  taken_at: Timestamp;
}

export interface WebhookTable {
  id: string;
  tenant_id: string;
  url: string;
  description: string | null;
  /** JSON array of event names (`job.completed`, …, or `*`). */
  events: JsonText;
  /** The signing secret, kept to sign deliveries; never returned after creation. */
  secret: string;
  enabled: Flag;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveryTable {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event: string;
  /** The exact JSON body sent (and signed) on every attempt. */
  payload: JsonText;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  /** When a pending delivery is due; null once it succeeded or failed. */
  next_attempt_at: Timestamp | null;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Timestamp | null;
  duration_ms: number | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
}

export interface ReportTable {
  id: string;
  tenant_id: string;
  /** The `report` job that generates it: the report's status, error and times are the job's. */
  job_id: string;
  type: string;
  format: 'csv' | 'json' | 'pdf';
  name: string;
  filters: JsonText;
  /** Where the content is stored (a file name, or the id its `report_contents` parts are under); null until done. */
  content_key: string | null;
  row_count: number | null;
  size_bytes: number | null;
  /** Hex SHA-256 of the content (the download's ETag). */
  sha256: string | null;
  /** When the rows were read (the time the document states). */
  generated_at: Timestamp | null;
  created_by: string | null;
  created_at: Timestamp;
}

/** A report's content on PostgreSQL, in text parts of about 1 MB (PDFs are written as 7-bit ASCII). */
export interface ReportContentTable {
  report_id: string;
  part: number;
  content: string;
  size_bytes: number;
}

export interface FindingTable {
  id: string;
  tenant_id: string;
  rule_id: string;
  /** Not a foreign key: a removed node's findings are resolved (`node_removed`), not deleted. */
  node_id: string;
  node_type: string;
  node_name: string;
  severity: 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
  status: 'OPEN' | 'ACCEPTED' | 'RESOLVED';
  message: string;
  evidence: JsonText;
  resolution: 'fixed' | 'manual' | 'node_removed' | null;
  status_reason: string | null;
  accepted_by: string | null;
  accepted_until: Timestamp | null;
  resolved_by: string | null;
  /** The inventory version a manual resolution was made at: a newer one that still fails reopens it. */
  resolved_version: number | null;
  first_seen_at: Timestamp;
  /** Written when the finding changes; an OPEN/ACCEPTED one was also seen by the tenant's last evaluation. */
  last_seen_at: Timestamp;
  resolved_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The tenant's last rule evaluation. */
export interface FindingEvaluationTable {
  tenant_id: string;
  inventory_version: number;
  evaluated_at: Timestamp;
  resources_evaluated: number;
  /** `{rule_id: {evaluated_by_type: {type: n}, skipped: n}}`. */
  rule_stats: JsonText;
  duration_ms: number;
  /** The RULES_VERSION the evaluation ran (0: before versions were recorded). */
  rules_version: number;
}

export interface EventOutboxTable {
  id: string;
  tenant_id: string;
  /** An EventMap name. */
  event: string;
  /** The event's payload, as published. */
  payload: JsonText;
  created_at: Timestamp;
}

export interface DB {
  tenants: TenantTable;
  users: UserTable;
  memberships: MembershipTable;
  api_keys: ApiKeyTable;
  sessions: SessionTable;
  refresh_tokens: RefreshTokenTable;
  signing_keys: SigningKeyTable;
  audit_log: AuditLogTable;
  nodes: NodeTable;
  edges: EdgeTable;
  inventory_scopes: InventoryScopeTable;
  jobs: JobTable;
  job_inputs: JobInputTable;
  tagging_policies: TaggingPolicyTable;
  tagging_compliance_snapshots: TaggingComplianceSnapshotTable;
  webhooks: WebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
  reports: ReportTable;
  report_contents: ReportContentTable;
  findings: FindingTable;
  finding_evaluations: FindingEvaluationTable;
  event_outbox: EventOutboxTable;
}

export type TenantRow = Selectable<TenantTable>;
export type NewTenantRow = Insertable<TenantTable>;
export type TenantUpdate = Updateable<TenantTable>;
export type UserRow = Selectable<UserTable>;
export type MembershipRow = Selectable<MembershipTable>;
export type ApiKeyRow = Selectable<ApiKeyTable>;
export type NodeRow = Selectable<NodeTable>;
export type EdgeRow = Selectable<EdgeTable>;
export type JobRow = Selectable<JobTable>;
export type TaggingPolicyRow = Selectable<TaggingPolicyTable>;
export type TaggingComplianceSnapshotRow = Selectable<TaggingComplianceSnapshotTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type WebhookRow = Selectable<WebhookTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>;
export type ReportRow = Selectable<ReportTable>;
export type FindingRow = Selectable<FindingTable>;
export type FindingEvaluationRow = Selectable<FindingEvaluationTable>;
export type { Generated };
