/** Like and unlike buttons: a form post answered by a redirect, or JSON `{likes}` for the page's script. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kind } from '../kinds.js';
import { like, unlike } from '../likes.js';
import { load } from '../store.js';
import { showUrl, type Deps, type IdParams } from './deps.js';

export function likeRoutes(app: FastifyInstance, { db }: Deps, kind: Kind): void {
  const answer = (request: FastifyRequest, reply: FastifyReply, id: string, likes: number) =>
    /\bapplication\/json\b/.test(request.headers.accept ?? '') ? reply.send({ likes }) : reply.redirect(showUrl(kind.path, id), 303);

  app.post<IdParams>(`/${kind.path}/like/:id`, async (request, reply) => {
    const { id } = await load(db, kind, request.params.id);
    return answer(request, reply, id, await like(db, id));
  });

  app.post<IdParams>(`/${kind.path}/unlike/:id`, async (request, reply) => {
    const { id } = await load(db, kind, request.params.id);
    return answer(request, reply, id, await unlike(db, id));
  });
}
