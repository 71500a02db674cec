import { type Static, Type } from 'typebox';
import { EnumListQuery } from '../../platform/http/list-filters.ts';
import {
  NOT_BLANK,
  NullableTimestamp,
  PaginationQuery,
  SortQuery,
  StringEnum,
  Timestamp,
} from '../../platform/http/schemas.ts';

/** Events a webhook can subscribe to; `*` means all of them (and any added later). */
export const WEBHOOK_EVENTS = [
  'job.completed',
  'job.failed',
  'job.cancelled',
  'inventory.changed',
  'finding.created',
  'finding.resolved',
  'report.succeeded',
  'report.failed',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const ALL_EVENTS = '*';
/** What a delivery can be: a subscribed event, or a `ping` sent on request. */
export const DELIVERY_EVENTS = [...WEBHOOK_EVENTS, 'ping'] as const;
export type DeliveryEvent = (typeof DELIVERY_EVENTS)[number];
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

const eventList = [...WEBHOOK_EVENTS, ALL_EVENTS].map((e) => `\`${e}\``).join(', ');

const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description:
    'Absolute http:// or https:// URL, without credentials. Loopback, private, link-local and other non-public ' +
    'destinations are refused unless the server allows them (INFRACAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS).',
  examples: ['https://hooks.example.com/infracast'],
});
const Events = Type.Array(StringEnum([...WEBHOOK_EVENTS, ALL_EVENTS]), {
  minItems: 1,
  maxItems: 20,
  uniqueItems: true,
  description: `Events to receive, any of ${eventList} (\`*\`: all). An unknown event is a 400.`,
  examples: [['job.completed', 'job.failed']],
});
const Description = Type.Union([Type.String({ minLength: 1, maxLength: 500, pattern: NOT_BLANK }), Type.Null()]);
const Secret = Type.String({
  minLength: 16,
  maxLength: 256,
  pattern: '^\\S+$',
  description: 'Signing secret (16–256 characters, no white space). Kept to sign deliveries; never shown again.',
});

export const Webhook = Type.Object(
  {
    id: Type.String({ examples: ['whk_01JD3Y7J9Q8Z5T6W2X4C8V0B1N'] }),
    url: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    events: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    created_by: Type.Union([Type.String(), Type.Null()], { description: 'User or key id that created it.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false, $id: 'Webhook', title: 'Webhook' },
);
export type WebhookT = Static<typeof Webhook>;

export const CreatedWebhook = Type.Object(
  {
    ...Webhook.properties,
    secret: Type.String({
      description: 'Shown once: verify each delivery’s `Infracast-Signature` header with it.',
      examples: ['whsec_5mQ2…'],
    }),
  },
  { additionalProperties: false, title: 'CreatedWebhook' },
);

export const CreateWebhookBody = Type.Object(
  {
    url: Url,
    events: Events,
    secret: Type.Optional(Secret),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type CreateWebhookBodyT = Static<typeof CreateWebhookBody>;

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean()),
    secret: Type.Optional({ ...Secret, description: 'A new signing secret (rotation): later attempts use it.' }),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateWebhookBodyT = Static<typeof UpdateWebhookBody>;

export const WEBHOOK_SORT_FIELDS = ['created_at', 'updated_at', 'url'] as const;
export const ListWebhooksQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(WEBHOOK_SORT_FIELDS, 'created_at'),
    enabled: Type.Optional(
      Type.Boolean({ description: '`true`: enabled webhooks only; `false`: disabled ones only.' }),
    ),
  },
  { additionalProperties: false },
);
export type ListWebhooksQueryT = Static<typeof ListWebhooksQuery>;

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 100, description });
export const WebhookParams = Type.Object(
  { t: Id('Tenant id or slug.'), id: Id('Webhook id (`whk_…`).') },
  { additionalProperties: false },
);
export const DeliveryParams = Type.Object(
  { t: Id('Tenant id or slug.'), id: Id('Webhook id (`whk_…`).'), deliveryId: Id('Delivery id (`dlv_…`).') },
  { additionalProperties: false },
);

export const WebhookDelivery = Type.Object(
  {
    id: Type.String({
      examples: ['dlv_01JD3Y7J9Q8Z5T6W2X4C8V0B1N'],
      description: 'Also sent as `Infracast-Delivery`.',
    }),
    webhook_id: Type.String(),
    event: Type.String({ description: `One of ${DELIVERY_EVENTS.map((e) => `\`${e}\``).join(', ')}.` }),
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    attempts: Type.Integer({ minimum: 0, description: 'Attempts made so far (a redelivery starts again from 0).' }),
    next_attempt_at: Type.Union([Timestamp, Type.Null()], { description: 'When a pending delivery is due.' }),
    last_status_code: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status of the last attempt.' }),
    last_error: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the last attempt failed (no response, non-2xx status, refused destination).',
    }),
    last_attempt_at: NullableTimestamp,
    duration_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'Duration of the last attempt.' }),
    created_at: Timestamp,
    delivered_at: NullableTimestamp,
    payload: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The JSON body sent: `{id, type, created_at, tenant, data}`.',
    }),
  },
  { additionalProperties: false, $id: 'WebhookDelivery', title: 'WebhookDelivery' },
);
export type WebhookDeliveryT = Static<typeof WebhookDelivery>;

export const DELIVERY_SORT_FIELDS = ['created_at'] as const;
export const ListDeliveriesQuery = Type.Object(
  {
    ...PaginationQuery,
    sort: SortQuery(DELIVERY_SORT_FIELDS, '-created_at'),
    status: EnumListQuery(DELIVERY_STATUSES, 'statuses', { examples: ['failed,pending'] }),
    event: EnumListQuery(DELIVERY_EVENTS, 'events', { examples: ['job.completed,job.failed'] }),
  },
  { additionalProperties: false },
);
export type ListDeliveriesQueryT = Static<typeof ListDeliveriesQuery>;
