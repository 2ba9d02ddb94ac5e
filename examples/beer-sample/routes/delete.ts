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

  /** The refusal page when something depends on the document, else undefined. */
  async function refusal(reply: FastifyReply, item: Loaded) {
    const blocking = await blockers(item.id);
    return blocking.length ? render(reply.code(409), 'delete.njk', { kind, item, blocking }) : undefined;
  }

  app.get<IdParams>(url, async (request, reply) => {
    const item = await load(db, kind, request.params.id);
    return (await refusal(reply, item)) ?? render(reply, 'delete.njk', { kind, item, blocking: [] });
  });

  app.post<IdParams>(url, async (request, reply) => {
    const item = await load(db, kind, request.params.id);
    const refused = await refusal(reply, item);
    if (refused) return refused;
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
