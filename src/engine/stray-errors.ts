/**
 * Errors nobody caught: thrown from a check's timer or event handler, or a promise a check left
 * rejected. Node reports them process-wide (bin/dbcheck's handlers pass them here). One of them
 * must not end the run: the check it came from fails, and every other check still reports.
 *
 * Which check? Each guarded check runs inside an AsyncLocalStorage scope, and timers, callbacks and
 * promises keep the scope they were created in, so the handler sees the owner of the failing code.
 * An error thrown outside every check (or after its check ended) is recorded for the run instead.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Check } from '../plugin.js';
import { redact } from '../redact.js';
import { errorLine } from '../errors.js';

interface Owner {
  checkId: string;
  /** True once the check's run (or preflight) has ended: it can no longer be failed. */
  ended: boolean;
  fail(err: Error): void;
}

/** What a guarded check rejects with: the engine reports it as an internal error of that check. */
class StrayError extends Error {
  readonly code = 'INTERNAL';
}

export class StrayErrors {
  private readonly scope = new AsyncLocalStorage<Owner>();
  /** One redacted line per error no running check could take. */
  readonly unattributed: string[] = [];

  /** @param secrets the config's secrets: these lines are printed, so they are redacted here. */
  constructor(private readonly secrets: readonly string[] = []) {}

  /** The same check, with its run and preflight owning every error their async work throws. */
  guard<O>(check: Check<O>): Check<O> {
    const id = check.meta.id;
    const preflight = check.preflight;
    return {
      ...check,
      run: (ctx) => this.owned(id, () => check.run(ctx)),
      ...(preflight ? { preflight: (ctx) => this.owned(id, () => preflight.call(check, ctx)) } : {}),
    };
  }

  /** Takes one uncaught exception or unhandled rejection. */
  handle(err: unknown): void {
    const line = redact(errorLine(err), this.secrets);
    const owner = this.scope.getStore();
    if (owner && !owner.ended) owner.fail(new StrayError(`uncaught error: ${line}`));
    else this.unattributed.push(owner ? `uncaught error from check ${owner.checkId} after it ended: ${line}` : `uncaught error: ${line}`);
  }

  private owned<R>(checkId: string, work: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const owner: Owner = {
        checkId,
        ended: false,
        fail: (err) => {
          owner.ended = true;
          reject(err);
        },
      };
      const end = () => {
        owner.ended = true;
      };
      // `new Promise` also turns a synchronous throw of a plain-object plugin into a rejection.
      new Promise<R>((res) => res(this.scope.run(owner, work))).then(
        (v) => (end(), resolve(v)),
        (e: unknown) => (end(), reject(e)),
      );
    });
  }
}
