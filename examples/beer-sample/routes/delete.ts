/**
 * Deleting a beer or a brewery. The guide's `/<type>/delete/<id>` link leads to a confirmation
 * page; the delete itself is a POST, so that no prefetching browser or crawler deletes anything.
 * A brewery that still has beers is not deleted ("Food for thought"): the page says why and lists them.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { NotFoundError } from '../../../src/index.js';
import type { Kind } from '../kinds.js';
import { likesKey } from '../likes.js';
import { load, notFound, type Loaded } from '../store.js';
import type { Deps, IdParams } from './deps.js';

/** What stands in the way of deleting a document: links to show the user. */
export type Blockers = (id: string) => Promise<Array<{ id: string; name: string }>>;

export function deleteRoutes(app: FastifyInstance, { db, render }: Deps, kind: Kind, blockers: Blockers): void {
  const url = `/${kind.path}/delete/:id`;
  // A refusal is decided before anything is sent; the reply itself is never awaited (Fastify's
  // reply is a thenable that settles when the response has gone).
  const refuse = (reply: FastifyReply, item: Loaded, blocking: Array<{ id: string; name: string }>) =>
    render(reply.code(409), 'delete.njk', { kind, item, blocking });

  app.get<IdParams>(url, async (request, reply) => {
    const item = await load(db, kind, request.params.id);
    const blocking = await blockers(item.id);
    return blocking.length ? refuse(reply, item, blocking) : render(reply, 'delete.njk', { kind, item, blocking });
  });

  app.post<IdParams>(url, async (request, reply) => {
    const item = await load(db, kind, request.params.id);
    const blocking = await blockers(item.id);
    if (blocking.length) return refuse(reply, item, blocking);
    try {
      await db.delete(item.id);
    } catch (e) {
      if (e instanceof NotFoundError) throw notFound(kind, item.id);
      throw e;
    }
    await db.delete(likesKey(item.id), { quiet: true });
    return reply.redirect(`/${kind.path}`, 303);
  });
}
