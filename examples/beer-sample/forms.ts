/**
 * Reading a posted form into document fields, with the guide's validation (a name is required,
 * so is a brewery for a beer) plus what a public form needs: each field sent once, lengths and
 * number ranges bounded, only the kind's own fields taken (never `type`).
 */
import { fieldsOf, type FieldSpec, type Kind } from './kinds.js';

/** A form as submitted: text per field name (for showing it again), and the errors found. */
export interface FormInput {
  /** What the user typed, per field name (unprefixed). */
  values: Record<string, string>;
  /** The document fields, converted (numbers, address lines); meaningful when `errors` is empty. */
  fields: Record<string, unknown>;
  errors: string[];
}

type Body = Record<string, unknown>;

/** The posted body as a record; formbody leaves it undefined when nothing was posted. */
export function bodyOf(body: unknown): Body {
  return typeof body === 'object' && body !== null ? (body as Body) : {};
}

function readOne(body: Body, name: string, label: string, errors: string[]): string {
  const raw = body[name];
  if (raw === undefined) return '';
  if (typeof raw === 'string') return raw;
  errors.push(`${label} was sent more than once`);
  return '';
}

function convert(field: FieldSpec, text: string, errors: string[]): unknown {
  const trimmed = text.trim();
  if (field.required && trimmed === '') errors.push(`${field.label} is required`);
  if (text.length > field.maxLength) {
    errors.push(`${field.label} is too long (at most ${field.maxLength} characters)`);
    return undefined;
  }
  switch (field.input) {
    case 'number': {
      if (trimmed === '') return 0;
      const n = Number(trimmed);
      const max = field.max ?? Number.MAX_SAFE_INTEGER;
      if (!Number.isFinite(n) || n < 0 || n > max || (field.integer && !Number.isInteger(n))) {
        errors.push(`${field.label} must be ${field.integer ? 'a whole number' : 'a number'} from 0 to ${max}`);
      }
      return n;
    }
    case 'lines':
      return trimmed.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
    default:
      return trimmed;
  }
}

export function readForm(kind: Kind, body: unknown): FormInput {
  const posted = bodyOf(body);
  const values: Record<string, string> = {};
  const fields: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const field of fieldsOf(kind)) {
    const text = readOne(posted, `${kind.type}_${field.name}`, field.label, errors);
    values[field.name] = text;
    fields[field.name] = convert(field, text, errors);
  }
  return { values, fields, errors };
}

const MAX_CAS = (1n << 64n) - 1n;

/**
 * The CAS the edit form was rendered with: the version of the document the user edited.
 * Undefined when missing or not a CAS (the caller refuses the save).
 */
export function readCas(body: unknown): bigint | undefined {
  const raw = bodyOf(body).cas;
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,19}$/.test(raw)) return undefined;
  const cas = BigInt(raw);
  return cas <= MAX_CAS ? cas : undefined;
}

/** A stored document's fields as form text. */
export function formValues(kind: Kind, doc: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of fieldsOf(kind)) {
    const v = doc[field.name];
    values[field.name] = Array.isArray(v) ? v.map(String).join('\n') : v === undefined || v === null ? '' : String(v);
  }
  return values;
}

/** One field where the user's submission and the stored document disagree. */
export interface Difference {
  label: string;
  current: string;
  yours: string;
}

/** Fields where `yours` (submitted form text) differs from the stored document. */
export function differences(kind: Kind, doc: Record<string, unknown>, yours: Record<string, string>): Difference[] {
  const current = formValues(kind, doc);
  return fieldsOf(kind)
    .filter((f) => current[f.name]!.trim() !== (yours[f.name] ?? '').trim())
    .map((f) => ({ label: f.label, current: current[f.name]!, yours: yours[f.name] ?? '' }));
}
