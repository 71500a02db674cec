import { Type } from 'typebox';
import { tenantContextOf } from '../../platform/context.ts';
import { pageRequest, sendPage } from '../../platform/http/pagination.ts';
import { commonErrors, conflictError, Envelope, NoContent, PageEnvelope } from '../../platform/http/schemas.ts';
import { type App, one } from '../../platform/http/types.ts';
import {
  AddedMember,
  AddMemberBody,
  ListMembersQuery,
  MemberParams,
  TenantParams,
  UpdateMemberBody,
} from './schemas.ts';
import type { MemberService } from './service.ts';

export async function memberRoutes(app: App, { members }: { members: MemberService }) {
  const MemberRef = Type.Ref('Member');

  app.get(
    '/tenants/:t/members',
    {
      schema: {
        operationId: 'listMembers',
        tags: ['members'],
        summary: 'List members',
        params: TenantParams,
        querystring: ListMembersQuery,
        response: { 200: PageEnvelope(MemberRef), ...commonErrors },
      },
    },
    async (req, reply) => {
      const page = pageRequest(req.query);
      const { items, total } = await members.list(tenantContextOf(req), req.query, page);
      return sendPage(req, reply, items, total, page);
    },
  );

  app.post(
    '/tenants/:t/members',
    {
      schema: {
        operationId: 'addMember',
        tags: ['members'],
        summary: 'Add a member',
        description:
          'Adds the user with this email (creating the account when it does not exist; its first password is returned once). Only owners can add owners.',
        params: TenantParams,
        body: AddMemberBody,
        response: { 201: Envelope(AddedMember), ...commonErrors, ...conflictError },
      },
    },
    async (req, reply) => {
      const member = await members.add(tenantContextOf(req), req.body);
      reply.code(201).header('location', `/api/v1/tenants/${req.tenant.slug}/members/${member.id}`);
      // The first password is shown once: no cache may keep it.
      if (member.initial_password !== null) reply.header('cache-control', 'no-store');
      return one(member);
    },
  );

  app.get(
    '/tenants/:t/members/:id',
    {
      schema: {
        operationId: 'getMember',
        tags: ['members'],
        summary: 'Get a member',
        description: 'By membership id (`mem_…`) or user id.',
        params: MemberParams,
        response: { 200: Envelope(MemberRef), ...commonErrors },
      },
    },
    async (req) => one(await members.get(tenantContextOf(req), req.params.id)),
  );

  app.patch(
    '/tenants/:t/members/:id',
    {
      schema: {
        operationId: 'updateMember',
        tags: ['members'],
        summary: "Change a member's role",
        description: 'Demoting the last owner is a 409.',
        params: MemberParams,
        body: UpdateMemberBody,
        consumes: ['application/json', 'application/merge-patch+json'],
        response: { 200: Envelope(MemberRef), ...commonErrors, ...conflictError },
      },
    },
    async (req) => one(await members.changeRole(tenantContextOf(req), req.params.id, req.body.role)),
  );

  app.delete(
    '/tenants/:t/members/:id',
    {
      schema: {
        operationId: 'removeMember',
        tags: ['members'],
        summary: 'Remove a member',
        description: 'Removing the last owner is a 409.',
        params: MemberParams,
        response: { 204: NoContent, ...commonErrors, ...conflictError },
      },
    },
    async (req, reply) => {
      await members.remove(tenantContextOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
