/** Tenant membership: who belongs to a tenant and with which role. A tenant always keeps an owner. */

import { generatePassword, hashPassword } from '../../platform/auth/passwords.ts';
import { mayManageRoles, ROLES, type Role, roleAtLeast } from '../../platform/auth/roles.ts';
import type { TenantContext } from '../../platform/context.ts';
import type { Db, Executor } from '../../platform/db/index.ts';
import type { Invalidations } from '../../platform/db/invalidation.ts';
import { flag, isUniqueViolation, sortTerm } from '../../platform/db/sql.ts';
import { conflict, forbidden, notFound } from '../../platform/errors.ts';
import { enumList } from '../../platform/http/list-filters.ts';
import { type PageRequest, parseSort } from '../../platform/http/pagination.ts';
import { newId } from '../../platform/ids.ts';
import { type Clock, iso } from '../../platform/time.ts';
import { auditEntry, insertAuditEntry } from '../audit/store.ts';
import { findUserByEmail, normalizeEmail } from '../auth/store.ts';
import { type CreatorChange, capKeysOfCreator, revokeKeysOfCreator } from '../tokens/service.ts';
import { type ListMembersQueryT, MEMBER_SORT_FIELDS, type MemberT } from './schemas.ts';

export function createMemberService({
  db,
  clock,
  invalidations,
}: {
  db: Db;
  clock: Clock;
  /** Keys whose creator leaves or is demoted change at once, in the key cache too. */
  invalidations: Invalidations;
}) {
  const select = (ex: Executor, tenantId: string) =>
    ex
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .where('memberships.tenant_id', '=', tenantId)
      .select([
        'memberships.id',
        'memberships.user_id',
        'users.email',
        'users.name',
        'memberships.role',
        'memberships.created_at',
        'memberships.updated_at',
      ]);

  async function findMember(ex: Executor, tenantId: string, idOrUserId: string): Promise<MemberT> {
    const m = await select(ex, tenantId)
      .where((eb) => eb.or([eb('memberships.id', '=', idOrUserId), eb('memberships.user_id', '=', idOrUserId)]))
      .executeTakeFirst();
    if (!m) throw notFound('member', idOrUserId);
    return m;
  }

  async function ownerCount(ex: Executor, tenantId: string): Promise<number> {
    const r = await ex
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('role', '=', 'owner')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // Serialises membership changes per tenant (both dialects), so two concurrent
  // demotions can't each see "another owner remains" and leave none.
  const lockTenant = (ex: Executor, tenantId: string) =>
    ex
      .updateTable('tenants')
      .set((eb) => ({ updated_at: eb.ref('updated_at') }))
      .where('id', '=', tenantId)
      .execute();

  /** Only owners manage owners; nobody grants a role above their own. */
  function assertMayGrant(ctx: TenantContext, role: Role, current?: Role) {
    const mine = ctx.tenant.role;
    if (!mayManageRoles(mine, role, current)) throw forbidden('Only owners can manage owners');
    if (!roleAtLeast(mine, role)) throw forbidden(`You cannot grant the ${role} role; yours is ${mine}`);
  }

  /**
   * The creator's keys follow the membership (see tokens/service.ts), unless the creator is a
   * platform admin: that standing, and so the keys' authority, does not depend on membership.
   */
  async function keysFollowMembership(ex: Executor, userId: string): Promise<boolean> {
    const user = await ex.selectFrom('users').select('is_platform_admin').where('id', '=', userId).executeTakeFirst();
    return !user || !flag(user.is_platform_admin);
  }

  const creatorChange = (tx: Executor, ctx: TenantContext, creatorId: string, reason: string): CreatorChange => ({
    tx,
    invalidations,
    ctx,
    at: iso(clock()),
    creatorId,
    reason,
  });

  const audit = (ctx: TenantContext, action: `member.${string}`, target: string, summary: Record<string, unknown>) =>
    auditEntry(ctx, ctx.tenant.id, { type: 'member', id: target }, action, summary, iso(clock()));

  return {
    async list(ctx: TenantContext, query: ListMembersQueryT, page: PageRequest) {
      const sort = parseSort(query.sort, MEMBER_SORT_FIELDS, 'created_at');
      const roles = enumList(query.role, ROLES, 'role', 'role');
      let base = db.selectFrom('memberships').where('tenant_id', '=', ctx.tenant.id);
      if (roles) base = base.where('role', 'in', roles);
      const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      let q = select(db, ctx.tenant.id);
      if (roles) q = q.where('memberships.role', 'in', roles);
      for (const s of sort) {
        const col = s.field === 'email' ? 'users.email' : (`memberships.${s.field}` as const);
        q = q.orderBy(sortTerm(db, col, s.desc, !s.field.endsWith('_at')));
      }
      const items = await q
        .orderBy(sortTerm(db, 'memberships.id', false, true))
        .limit(page.perPage)
        .offset(page.offset)
        .execute();
      return { items, total: Number(n) };
    },

    async add(ctx: TenantContext, body: { email: string; role: Role; name?: string }) {
      assertMayGrant(ctx, body.role);
      const email = normalizeEmail(body.email);
      let initialPassword: string | null = null;
      const alreadyMember = () => conflict(`${email} is already a member of ${ctx.tenant.slug}`);
      const id = await db.transaction().execute(async (tx) => {
        let user = await findUserByEmail(tx, email);
        const now = iso(clock());
        if (!user) {
          // No mail server in a self-hosted install: the first password is returned once to the admin.
          const password = generatePassword();
          const created = {
            id: newId('user'),
            email,
            name: body.name ?? null,
            password_hash: await hashPassword(password),
            is_platform_admin: 0,
            // The admin sees this password: the user must replace it before the account can do anything.
            password_change_required: 1,
            created_at: now,
            updated_at: now,
            disabled_at: null,
          };
          // A concurrent request (this tenant or another) may create the same user first: then that
          // user is the one added here, without a password of ours (PostgreSQL waits for its commit).
          const res = await tx
            .insertInto('users')
            .values(created)
            .onConflict((oc) => oc.column('email').doNothing())
            .executeTakeFirst();
          if (Number(res.numInsertedOrUpdatedRows ?? 0) > 0) {
            user = created;
            initialPassword = password;
          } else {
            user = await findUserByEmail(tx, email);
            if (!user) throw new Error(`user ${email} neither inserted nor found`);
          }
        }
        const existing = await tx
          .selectFrom('memberships')
          .select('id')
          .where('tenant_id', '=', ctx.tenant.id)
          .where('user_id', '=', user.id)
          .executeTakeFirst();
        if (existing) throw alreadyMember();
        const membershipId = newId('membership');
        await tx
          .insertInto('memberships')
          .values({
            id: membershipId,
            tenant_id: ctx.tenant.id,
            user_id: user.id,
            role: body.role,
            created_at: now,
            updated_at: now,
          })
          .execute()
          .catch((e) => {
            // A concurrent add of the same person committed first: the same answer as the check above.
            throw isUniqueViolation(e) ? alreadyMember() : e;
          });
        await insertAuditEntry(
          tx,
          audit(ctx, 'member.added', membershipId, { email, role: body.role, user_created: initialPassword !== null }),
        );
        return membershipId;
      });
      return { ...(await findMember(db, ctx.tenant.id, id)), initial_password: initialPassword };
    },

    get(ctx: TenantContext, idOrUserId: string): Promise<MemberT> {
      return findMember(db, ctx.tenant.id, idOrUserId);
    },

    async changeRole(ctx: TenantContext, idOrUserId: string, role: Role) {
      await db.transaction().execute(async (tx) => {
        await lockTenant(tx, ctx.tenant.id);
        const m = await findMember(tx, ctx.tenant.id, idOrUserId);
        assertMayGrant(ctx, role, m.role);
        if (m.role === role) return;
        if (m.role === 'owner' && (await ownerCount(tx, ctx.tenant.id)) <= 1) {
          throw conflict('A tenant must keep at least one owner; make someone else owner first');
        }
        await tx
          .updateTable('memberships')
          .set({ role, updated_at: iso(clock()) })
          .where('id', '=', m.id)
          .execute();
        await insertAuditEntry(tx, audit(ctx, 'member.role_changed', m.id, { email: m.email, from: m.role, to: role }));
        // No key stays above its creator's new role.
        if (await keysFollowMembership(tx, m.user_id)) {
          await capKeysOfCreator(creatorChange(tx, ctx, m.user_id, `creator's role changed to ${role}`), role);
        }
      });
      return findMember(db, ctx.tenant.id, idOrUserId);
    },

    async remove(ctx: TenantContext, idOrUserId: string) {
      await db.transaction().execute(async (tx) => {
        await lockTenant(tx, ctx.tenant.id);
        const m = await findMember(tx, ctx.tenant.id, idOrUserId);
        if (!mayManageRoles(ctx.tenant.role, m.role)) throw forbidden('Only owners can remove owners');
        if (m.role === 'owner' && (await ownerCount(tx, ctx.tenant.id)) <= 1) {
          throw conflict('A tenant must keep at least one owner; make someone else owner first');
        }
        await tx.deleteFrom('memberships').where('id', '=', m.id).execute();
        await insertAuditEntry(tx, audit(ctx, 'member.removed', m.id, { email: m.email, role: m.role }));
        // As when someone leaves a GitHub organisation: the keys they made here stop working.
        if (await keysFollowMembership(tx, m.user_id)) {
          await revokeKeysOfCreator(creatorChange(tx, ctx, m.user_id, 'creator removed from tenant'));
        }
      });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
