/**
 * Create and edit pages of a kind. An edit form carries the CAS of the version it shows; the
 * save replaces the document only if it is still that version ("Food for thought": concurrent
 * updates). A stale save writes nothing: the form comes back (409) with the current values and
 * CAS, and the fields where they differ from what the user typed.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { KeyExistsError, NotFoundError } from '../../../src/index.js';
import { differences, formValues, readCas, readForm, type FormInput } from '../forms.js';
import { idProblem } from '../ids.js';
import type { Kind } from '../kinds.js';
import { Problem } from '../problems.js';
import { load, notFound, type Loaded } from '../store.js';
import { oneParam, showUrl, type Deps, type IdParams } from './deps.js';

/** What differs between kinds when saving. */
export interface SaveRules {
  /** Checks that need the database (a beer's brewery must exist); each failure a message. */
  check(fields: Record<string, unknown>): Promise<string[]>;
  /** The id of a new document with these fields. */
  newId(fields: Record<string, unknown>): string;
  /** A field that a link may fill in on the create form (`/beers/create?brewery_id=...`). */
  prefill?: string;
}

/** `updated` in beer-sample's own format: `2010-07-22 20:00:20`. */
function now(): string {
  return new Date().toISOString().slice(0, 19).replace('T', ' ');
}

type FormBody = IdParams & { Body: unknown };

export function editRoutes(app: FastifyInstance, { db, render }: Deps, kind: Kind, rules: SaveRules): void {
  const createUrl = `/${kind.path}/create`;
  const editUrl = (id: string) => `/${kind.path}/edit/${encodeURIComponent(id)}`;

  const form = (reply: FastifyReply, context: object) => render(reply, 'edit.njk', { kind, errors: [], ...context });

  /** The form's own errors, then the database checks (only worth asking for a well-formed form). */
  async function validate(input: FormInput): Promise<string[]> {
    return input.errors.length ? input.errors : rules.check(input.fields);
  }

  const conflict = (reply: FastifyReply, current: Loaded, input: FormInput) =>
    form(reply.code(409), {
      action: editUrl(current.id),
      name: String(current.doc.name ?? current.id),
      values: formValues(kind, current.doc),
      cas: String(current.cas),
      conflict: differences(kind, current.doc, input.values),
    });

  app.get<{ Querystring: Record<string, unknown> }>(createUrl, (request, reply) => {
    const values: Record<string, string> = {};
    if (rules.prefill) values[rules.prefill] = oneParam(request.query[rules.prefill], rules.prefill, 250);
    return form(reply, { isCreate: true, action: createUrl, values });
  });

  app.post<{ Body: unknown }>(createUrl, async (request, reply) => {
    const input = readForm(kind, request.body);
    const again = (errors: string[]) => form(reply.code(400), { isCreate: true, action: createUrl, values: input.values, errors });
    const errors = await validate(input);
    if (errors.length) return again(errors);
    const id = rules.newId(input.fields);
    const problem = idProblem(id, String(input.fields.name));
    if (problem) return again([problem]);
    try {
      await db.add(id, { ...input.fields, type: kind.type, updated: now() });
    } catch (e) {
      if (e instanceof KeyExistsError) return again([`A ${kind.type} with the id '${id}' already exists`]);
      throw e;
    }
    return reply.redirect(showUrl(kind.path, id), 303);
  });

  app.get<IdParams>(`/${kind.path}/edit/:id`, async (request, reply) => {
    const item = await load(db, kind, request.params.id);
    return form(reply, { action: editUrl(item.id), name: String(item.doc.name ?? item.id), values: formValues(kind, item.doc), cas: String(item.cas) });
  });

  app.post<FormBody>(`/${kind.path}/edit/:id`, async (request, reply) => {
    const id = request.params.id;
    const cas = readCas(request.body);
    if (cas === undefined) {
      throw new Problem(400, `This form does not say which version of the ${kind.type} it edits (no CAS), so it was not saved.`, [
        `Open the edit page again: ${editUrl(id)}`,
      ]);
    }
    const input = readForm(kind, request.body);
    const errors = await validate(input);
    if (errors.length) return form(reply.code(400), { action: editUrl(id), name: id, values: input.values, cas: String(cas), errors });

    const current = await load(db, kind, id);
    if (current.cas !== cas) return conflict(reply, current, input);
    try {
      await db.replace(id, { ...current.doc, ...input.fields, updated: now() }, { cas });
    } catch (e) {
      // Changed (or deleted) between our read and the replace.
      if (e instanceof KeyExistsError) return conflict(reply, await load(db, kind, id), input);
      if (e instanceof NotFoundError) throw notFound(kind, id);
      throw e;
    }
    return reply.redirect(showUrl(kind.path, id), 303);
  });
}
