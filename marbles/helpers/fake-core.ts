/**
 * A fake connection core for the operators' marble tests. Each command the operators enqueue
 * is answered by an Observable of responses the test supplies (built with `cold()`, so the
 * latency of every reply is part of the marble picture). It records what was sent, batch by
 * batch (commands enqueued at the same virtual time form one batch, as one tick's commands
 * form one native batch), and how many commands are in flight. Keys and values go through a
 * real Codec, results and errors through the real core's settle, and durability through the
 * real endure poller over an observe round the test supplies.
 */
import type { Observable } from 'rxjs';
import type { Cancellable, Command, Response, ResponseHandler } from '../../src/batcher.js';
import { Codec } from '../../src/codec.js';
import { ConnectionCore } from '../../src/core/core.js';
import { DEFAULT_BACKOFF, pollDurability, type EndureTarget, type EndureVerdict, type ObserveRound, type PollSpec } from '../../src/kv/endure-poll.js';
import type { OperatorCore } from '../../src/operators/internal/core-port.js';
import { OperationResult, ValueResult } from '../../src/results.js';
import { FMT_JSON, resolveTranscoder } from '../../src/transcoder.js';

/** One command as sent. */
export interface Sent {
  at: number;
  op: number;
  key: string;
  aux: number;
}

/** The replies to one command: every response, the last with `final` set. */
export type Answer = (key: string, cmd: Command) => Observable<Response>;

export class FakeCore implements OperatorCore {
  quiet = false;
  defaultFormat = FMT_JSON;
  memcached = false;
  readonly codec = new Codec(resolveTranscoder(undefined), false);
  /** Commands by batch, in order. */
  readonly batches: Sent[][] = [];
  /** Commands sent whose final reply has not come and that were not cancelled. */
  inflight = 0;
  maxInflight = 0;
  /** Commands cancelled before their final reply. */
  cancelled = 0;
  readonly #now: () => number;
  readonly #answer: Answer;
  readonly #observe: ObserveRound | undefined;

  constructor(now: () => number, answer: Answer, observe?: ObserveRound) {
    this.#now = now;
    this.#answer = answer;
    this.#observe = observe;
  }

  /** The keys of each batch with the time it went out, e.g. `[{ at: 0, keys: ['a', 'b'] }]`. */
  get sent(): Array<{ at: number; keys: string[] }> {
    return this.batches.map((b) => ({ at: b[0]!.at, keys: b.map((s) => s.key) }));
  }

  encodeKey(where: string, key: string): Buffer | string {
    return this.codec.encodeKey(where, key);
  }
  encodeValue(value: unknown, format: number): [Buffer | string, number] {
    return this.codec.encodeValue(value, format);
  }
  decode(key: string, data: Buffer, flags: number, noFormat: boolean): unknown {
    return this.codec.decode(key, data, flags, noFormat);
  }

  readonly batcher = { enqueue: (cmd: Command, handler: ResponseHandler): Cancellable => this.#enqueue(cmd, handler) };

  // settle reads nothing of the core's state: the real one decides results and errors here too.
  readonly settle: ConnectionCore['settle'] = ConnectionCore.prototype.settle;

  endure(targets: readonly EndureTarget[], spec: Omit<PollSpec, 'timeout' | 'backoff'> & Partial<Pick<PollSpec, 'timeout' | 'backoff'>>): Observable<EndureVerdict> {
    if (!this.#observe) throw new Error('FakeCore: this test gave no observe round');
    return pollDurability(this.#observe, targets, { ...spec, timeout: spec.timeout ?? 5, backoff: spec.backoff ?? DEFAULT_BACKOFF });
  }

  /** A get's reply carrying `value`. */
  value(value: unknown, cas = 1n, final = true): Response {
    const [bytes, flags] = this.codec.encodeValue(value, FMT_JSON);
    return { rc: 0, cas, flags, u64: 0n, aux: 0, final, data: Buffer.from(bytes), text: undefined };
  }

  /** A store's reply. */
  stored(cas = 1n): Response {
    return { rc: 0, cas, flags: 0, u64: 0n, aux: 0, final: true, data: Buffer.alloc(0), text: undefined };
  }

  /** A failed reply with status `rc`. */
  failure(rc: number, final = true): Response {
    return { rc, cas: 0n, flags: 0, u64: 0n, aux: 0, final, data: Buffer.alloc(0), text: undefined };
  }

  /** The ValueResult a get of `key` answered by `value(v, cas)` gives. */
  valueResult(key: string, v: unknown, cas = 1n): ValueResult {
    return new ValueResult(key, 0, cas, v, this.codec.encodeValue(v, FMT_JSON)[1]);
  }

  /** The OperationResult of a store answered by `stored(cas)`. */
  opResult(key: string, cas = 1n): OperationResult {
    return new OperationResult(key, 0, cas);
  }

  #enqueue(cmd: Command, handler: ResponseHandler): Cancellable {
    const at = this.#now();
    const sent: Sent = { at, op: cmd.op, key: cmd.key.toString(), aux: cmd.aux ?? 0 };
    const last = this.batches[this.batches.length - 1];
    if (last && last[0]!.at === at) last.push(sent);
    else this.batches.push([sent]);
    this.maxInflight = Math.max(this.maxInflight, ++this.inflight);
    let open = true;
    const subscription = this.#answer(sent.key, cmd).subscribe((resp) => {
      if (!open) return;
      if (resp.final) {
        open = false;
        this.inflight--;
      }
      handler(resp);
    });
    return {
      unsubscribe: () => {
        subscription.unsubscribe();
        if (!open) return;
        open = false;
        this.inflight--;
        this.cancelled++;
      },
    };
  }
}
