/**
 * Server side of SCRAM-SHA1/256/512 (RFC 5802) as Couchbase uses it over SASL_AUTH (client-first)
 * and SASL_STEP (client-final). Channel binding is not supported (gs2 header `n,,` or `y,,`).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramHash = 'sha1' | 'sha256' | 'sha512';

export const MECHANISMS: Record<string, ScramHash> = {
  'SCRAM-SHA512': 'sha512',
  'SCRAM-SHA256': 'sha256',
  'SCRAM-SHA1': 'sha1',
};

const ITERATIONS = 4096;
const HASH_LEN: Record<ScramHash, number> = { sha1: 20, sha256: 32, sha512: 64 };

interface Salted {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const cache = new Map<string, Salted>();

function salted(hash: ScramHash, user: string, password: string): Salted {
  const k = `${hash}\0${user}\0${password}`;
  let s = cache.get(k);
  if (!s) {
    const salt = randomBytes(16);
    const sp = pbkdf2Sync(password, salt, ITERATIONS, HASH_LEN[hash], hash);
    const clientKey = createHmac(hash, sp).update('Client Key').digest();
    s = {
      salt,
      storedKey: createHash(hash).update(clientKey).digest(),
      serverKey: createHmac(hash, sp).update('Server Key').digest(),
    };
    cache.set(k, s);
  }
  return s;
}

function attrs(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

function unescapeName(n: string): string {
  return n.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export class ScramServer {
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private user = '';
  private keys: Salted | undefined;

  constructor(private readonly hash: ScramHash, private readonly passwordOf: (user: string) => string | undefined) {}

  /** Handles client-first; returns server-first, or undefined to fail. */
  first(clientFirst: string): string | undefined {
    const m = /^[ny],(?:a=[^,]*)?,(.*)$/s.exec(clientFirst);
    if (!m) return undefined;
    this.clientFirstBare = m[1];
    const a = attrs(this.clientFirstBare);
    const n = a.get('n');
    const r = a.get('r');
    if (n === undefined || !r) return undefined;
    this.user = unescapeName(n);
    const pw = this.passwordOf(this.user);
    if (pw === undefined) return undefined;
    this.keys = salted(this.hash, this.user, pw);
    this.nonce = r + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.keys.salt.toString('base64')},i=${ITERATIONS}`;
    return this.serverFirst;
  }

  /** Handles client-final; returns server-final and the user, or undefined to fail. */
  final(clientFinal: string): { serverFinal: string; user: string } | undefined {
    if (!this.keys) return undefined;
    const i = clientFinal.lastIndexOf(',p=');
    if (i < 0) return undefined;
    const withoutProof = clientFinal.slice(0, i);
    const a = attrs(withoutProof);
    if (a.get('r') !== this.nonce) return undefined;
    const proof = Buffer.from(clientFinal.slice(i + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSig = createHmac(this.hash, this.keys.storedKey).update(authMessage).digest();
    if (proof.length !== clientSig.length) return undefined;
    const clientKey = Buffer.alloc(proof.length);
    for (let j = 0; j < proof.length; j++) clientKey[j] = proof[j] ^ clientSig[j];
    const stored = createHash(this.hash).update(clientKey).digest();
    if (!timingSafeEqual(stored, this.keys.storedKey)) return undefined;
    const serverSig = createHmac(this.hash, this.keys.serverKey).update(authMessage).digest();
    return { serverFinal: `v=${serverSig.toString('base64')}`, user: this.user };
  }
}

/** Client side, for tests: produces client-first, then client-final from server-first. */
export class ScramClient {
  private readonly cnonce = randomBytes(12).toString('base64');
  private clientFirstBare = '';
  private expectedServerSig = '';
  constructor(private readonly hash: ScramHash, private readonly user: string, private readonly password: string) {}

  first(): string {
    this.clientFirstBare = `n=${this.user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.cnonce}`;
    return `n,,${this.clientFirstBare}`;
  }

  final(serverFirst: string): string {
    const a = attrs(serverFirst);
    const salt = Buffer.from(a.get('s') ?? '', 'base64');
    const iter = Number(a.get('i'));
    const sp = pbkdf2Sync(this.password, salt, iter, HASH_LEN[this.hash], this.hash);
    const clientKey = createHmac(this.hash, sp).update('Client Key').digest();
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${a.get('r')}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const sig = createHmac(this.hash, storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(clientKey.length);
    for (let j = 0; j < proof.length; j++) proof[j] = clientKey[j] ^ sig[j];
    const serverKey = createHmac(this.hash, sp).update('Server Key').digest();
    this.expectedServerSig = `v=${createHmac(this.hash, serverKey).update(authMessage).digest('base64')}`;
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  verify(serverFinal: string): boolean {
    return serverFinal === this.expectedServerSig;
  }
}
