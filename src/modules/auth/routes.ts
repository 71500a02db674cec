import formbody from '@fastify/formbody';
import { type Static, Type } from 'typebox';
import { MIN_PASSWORD_LENGTH } from '../../platform/auth/passwords.ts';
import { ROLES } from '../../platform/auth/roles.ts';
import { createSignInThrottle } from '../../platform/auth/sign-in-throttle.ts';
import { contextOf } from '../../platform/context.ts';
import { badRequest } from '../../platform/errors.ts';
import { commonErrorsExcept, Envelope, NoContent, NullableTimestamp, StringEnum } from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';
import type { RateLimiter } from '../../platform/ratelimit/limiter.ts';
import type { AuthService, TokenGrant } from './service.ts';
import { normalizeEmail } from './store.ts';

const TokenBody = Type.Object(
  {
    grant_type: Type.Union([Type.Literal('password'), Type.Literal('client_credentials')], {
      description:
        '`password` (email + password) for people; `client_credentials` (client_id + client_secret) for API keys.',
    }),
    email: Type.Optional(Type.String({ maxLength: 320 })),
    username: Type.Optional(
      Type.String({ maxLength: 320, description: 'RFC 6749 §4.3.2 name for `email` (password grant).' }),
    ),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
    client_id: Type.Optional(
      Type.String({ maxLength: 100, description: 'Or HTTP Basic authentication (RFC 6749 §2.3.1), not both.' }),
    ),
    client_secret: Type.Optional(Type.String({ maxLength: 200 })),
    scope: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const TokenResponse = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires.' }),
    refresh_token: Type.Optional(Type.String({ description: 'Password grant only; rotates on every use.' })),
    scope: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

const Me = Type.Object(
  {
    kind: Type.Union([Type.Literal('user'), Type.Literal('api_key')]),
    id: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    client_id: Type.Union([Type.String(), Type.Null()]),
    is_platform_admin: Type.Boolean(),
    password_change_required: Type.Boolean({
      description:
        'The password was generated and shown to someone else: until it is changed (`POST /auth/password`) every other route answers 403.',
    }),
    memberships: Type.Array(
      Type.Object({
        tenant_id: Type.String(),
        tenant_slug: Type.String(),
        role: StringEnum(ROLES),
      }),
    ),
    expires_at: NullableTimestamp,
  },
  { additionalProperties: false },
);

const PasswordChangeBody = Type.Object(
  {
    current_password: Type.String({ minLength: 1, maxLength: 1024 }),
    new_password: Type.String({
      minLength: MIN_PASSWORD_LENGTH,
      maxLength: 1024,
      description: `At least ${MIN_PASSWORD_LENGTH} characters, and not the current password.`,
    }),
  },
  { additionalProperties: false },
);

/**
 * The grant as the service takes it, from an RFC 6749 token request: `username` is the
 * password grant's name for `email`; a client may authenticate with HTTP Basic (§2.3.1,
 * each part form-url-encoded) instead of body parameters, but not with both.
 */
export function tokenGrant(body: Static<typeof TokenBody>, authorization: string | undefined): TokenGrant {
  const { username, ...grant } = body;
  if (username !== undefined) {
    // Spelled alike once normalised (as the grant compares them) is the same name.
    if (grant.email !== undefined && normalizeEmail(grant.email) !== normalizeEmail(username)) {
      throw badRequest('Give email or username, not two different ones', [
        { path: 'body.username', message: 'differs from body.email' },
      ]);
    }
    grant.email = username;
  }
  const basic = /^basic\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!basic) return grant;
  if (grant.client_id !== undefined || grant.client_secret !== undefined) {
    throw badRequest('Authenticate the client with HTTP Basic or with client_id and client_secret, not both');
  }
  const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw badRequest('The Basic credentials must be client_id:client_secret');
  const formDecode = (v: string) => {
    try {
      return decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      throw badRequest('The Basic credentials are not correctly encoded');
    }
  };
  return {
    ...grant,
    client_id: formDecode(decoded.slice(0, colon)),
    client_secret: formDecode(decoded.slice(colon + 1)),
  };
}

export interface AuthRoutesOptions {
  auth: AuthService;
  /** The app's limiter (shared through Redis when configured): failed password checks are counted in it. */
  limiter: RateLimiter;
}

export async function authRoutes(app: App, { auth, limiter }: AuthRoutesOptions) {
  // Form posts only here: RFC 6749 token requests are application/x-www-form-urlencoded.
  await app.register(formbody);
  const throttle = createSignInThrottle(limiter);

  app.post(
    '/auth/token',
    {
      schema: {
        operationId: 'createToken',
        tags: ['auth'],
        summary: 'Get an access token',
        description:
          'JSON or `application/x-www-form-urlencoded`. Wrong credentials give 401 with the same message whether or not the account exists. ' +
          'Failed password checks are limited per account and per client address (429 once too many failed recently); successful ones and `client_credentials` are not counted.',
        // No credential needed to ask, but client credentials may come as HTTP Basic (RFC 6749 §2.3.1).
        security: [{}, { clientBasic: [] }],
        body: TokenBody,
        consumes: ['application/json', 'application/x-www-form-urlencoded'],
        response: { 200: Envelope(TokenResponse), ...commonErrorsExcept(403, 404) },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      const grant = tokenGrant(req.body, req.headers.authorization);
      return one(await auth.grant(grant, (email) => throttle.attempt(email, req.ip)));
    },
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        operationId: 'refreshToken',
        tags: ['auth'],
        summary: 'Exchange a refresh token for new tokens',
        description: 'Rotates the refresh token. Presenting an already-used one revokes the whole session (401).',
        security: [],
        body: RefreshBody,
        consumes: ['application/json', 'application/x-www-form-urlencoded'],
        response: { 200: Envelope(TokenResponse), ...commonErrorsExcept(403, 404, 429) },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return one(await auth.refresh(req.body.refresh_token));
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        operationId: 'getMe',
        tags: ['auth'],
        summary: 'Who is calling',
        // Also for a user who must change their password first (no 403); not tenant-scoped (no 429).
        response: { 200: Envelope(Me), ...commonErrorsExcept(403, 404, 429) },
      },
    },
    async (req) => one(await auth.me(req.principal!)),
  );

  app.post(
    '/auth/password',
    {
      schema: {
        operationId: 'changePassword',
        tags: ['auth'],
        summary: 'Change your password',
        description:
          'For a signed-in user (not an API key). Needs the current password; a wrong one counts as a failed sign-in. ' +
          "Ends every other session of the user (their refresh and access tokens stop working at once); the caller's goes on.",
        body: PasswordChangeBody,
        response: { 204: NoContent, ...commonErrorsExcept(404) },
      },
    },
    async (req, reply) => {
      await auth.changePassword(contextOf(req), req.body, (email) => throttle.attempt(email, req.ip));
      return reply.code(204).send(null);
    },
  );
}
