/**
 * Sample loader: `docs/*.json` (key = file name without `.json`) and `design_docs/*.json`
 * (design documents with `_id: "_design/<name>"`; files without `views`, such as N1QL index
 * statements, are skipped), from a folder or a zip (any top-level folder prefix).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readZip } from './zip.js';

export interface SampleFile {
  kind: 'doc' | 'ddoc';
  /** Document key, or design doc name without `_design/`. */
  name: string;
  data(): Buffer;
}

const DOC = /(?:^|\/)docs\/([^/]+)\.json$/;
const DDOC = /(?:^|\/)design_docs\/([^/]+)\.json$/;

function classify(rel: string, data: () => Buffer): SampleFile | undefined {
  const norm = rel.split(path.sep).join('/');
  let m = DDOC.exec(norm);
  if (m) return { kind: 'ddoc', name: m[1], data };
  m = DOC.exec(norm);
  if (m) return { kind: 'doc', name: m[1], data };
  return undefined;
}

function walk(dir: string, base: string, out: SampleFile[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walk(full, base, out);
    else if (e.isFile()) {
      const f = classify(path.relative(base, full), () => fs.readFileSync(full));
      if (f) out.push(f);
    }
  }
}

export function readSample(p: string): SampleFile[] {
  const st = fs.statSync(p);
  const out: SampleFile[] = [];
  if (st.isDirectory()) {
    walk(p, p, out);
  } else {
    for (const e of readZip(fs.readFileSync(p))) {
      const f = classify(e.name, () => e.data());
      if (f) out.push(f);
    }
  }
  return out;
}

export interface SampleTarget {
  put(key: string, value: Buffer): void;
  putDesignDoc?(name: string, doc: unknown): void;
}

/** Loads a sample into a bucket; returns how many documents and design docs were loaded. */
export function loadSample(p: string, target: SampleTarget): { docs: number; designDocs: number } {
  let docs = 0;
  let designDocs = 0;
  for (const f of readSample(p)) {
    if (f.kind === 'doc') {
      target.put(Buffer.from(f.name, 'utf8').toString('latin1'), f.data());
      docs++;
    } else {
      let doc: Record<string, unknown>;
      try {
        doc = JSON.parse(f.data().toString('utf8')) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (!doc || typeof doc !== 'object' || !('views' in doc)) continue;
      const id = typeof doc._id === 'string' ? doc._id : `_design/${f.name}`;
      const name = id.replace(/^_design\//, '');
      const { _id, _rev, ...body } = doc;
      void _id;
      void _rev;
      if (target.putDesignDoc) {
        target.putDesignDoc(name, body);
        designDocs++;
      }
    }
  }
  return { docs, designDocs };
}
