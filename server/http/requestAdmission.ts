/**
 * One HTTP request's turn in the cost admission
 * (runtime/admission/costAdmission.ts): asked for by the executor once the
 * request's cost is known, given up if the client goes away while waiting,
 * and released once by the handler after the response is written (or the
 * request failed), so the turn covers execution and serialization alike.
 */
import type { ServerResponse } from 'node:http';
import type { CostAdmission, ReleaseAdmission } from '../../runtime/admission/costAdmission.js';

/** The client closed the connection before the request's turn came. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
}

export class RequestAdmission {
  #release: ReleaseAdmission | undefined;
  #over = false;

  constructor(
    private readonly admission: CostAdmission,
    private readonly orgId: string,
    private readonly res: ServerResponse,
  ) {}

  /** How long the request waited for its turn (for its log line); undefined if it never asked. */
  waitedMs: number | undefined;

  /**
   * Waits for the turn of a request of `cost`. Rejects with the admission's
   * AdmissionTimeoutError, or ClientGoneError when the client leaves first.
   */
  async admit(cost: number): Promise<void> {
    if (this.#release || this.#over) throw new Error('a request is admitted once');
    const gone = new AbortController();
    if (this.res.socket?.destroyed !== false) {
      throw new ClientGoneError('the client went away before its turn');
    }
    // 'close' before the response ended: the connection went away.
    const onClose = () => gone.abort(new ClientGoneError('the client went away before its turn'));
    this.res.once('close', onClose);
    const asked = performance.now();
    try {
      this.#release = await this.admission.admit(this.orgId, cost, gone.signal);
    } finally {
      this.res.off('close', onClose);
      this.waitedMs = performance.now() - asked;
    }
  }

  /** Gives the turn back (if it came); the request is over. Idempotent. */
  release(): void {
    this.#over = true;
    this.#release?.();
    this.#release = undefined;
  }
}
