/**
 * Cost-weighted rate budgets, per API instance and in memory (no database
 * write per request): every authenticated request spends its cost (the
 * nodes it may return, at least 1, plus MUTATION_POINTS per write) from its
 * org's budget and from its user's (`sub` within the org), each refilled
 * every minute. A request that would overdraw either is refused whole and
 * spends nothing. Separately, tokens that fail verification spend from a
 * budget per client address, so a flood of bad tokens stops costing
 * signature checks once it is spent.
 *
 * rate-limiter-flexible's memory store counts fixed one-minute windows per
 * key; `resetS` is when the window of the tighter budget ends.
 *
 * A user refused with Retry-After is remembered until then: one that asks
 * again before it ignored Retry-After (`early`): it is refused again before
 * its request is read (even one that its budget would still allow), and
 * gets that 429 only after `earlyRefusalDelayMs` (server/http/graphqlHandler.ts):
 * retrying in a tight loop then costs the API a cheap answer per connection
 * and delay instead of as many answers as the client can ask for, each
 * taking CPU from the other orgs.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RequestClaims } from '../auth/claims.js';
import type { Config } from '../../runtime/config.js';

/** What one write (a root mutation field) costs on top of the nodes it returns. */
export const MUTATION_POINTS = 10;
const WINDOW_S = 60;

/** Points per minute per org and per user; failed verifications per minute per address. */
export type RateLimitSettings = NonNullable<Config['limits']['rate']>;

export type Bucket = 'org' | 'user' | 'bad_tokens';

/** The state of the tighter budget after a request: what the RateLimit-* headers say. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the budget is full again. */
  resetS: number;
  /** Set when the request was refused: the budget it would have overdrawn. */
  refusedBy?: Bucket;
  /** Refused again before the Retry-After it was given had passed. */
  early?: boolean;
}

/** Points a request of this cost spends. */
export function pointsFor(cost: { nodes: number; writes: number }): number {
  return Math.max(1, cost.nodes) + MUTATION_POINTS * cost.writes;
}

interface Taken {
  bucket: Bucket;
  limiter: RateLimiterMemory;
  key: string;
  res: RateLimiterRes;
  refused: boolean;
}

function stateOf(taken: Taken): RateLimitState {
  const state: RateLimitState = {
    limit: taken.limiter.points,
    remaining: taken.res.remainingPoints,
    resetS: Math.max(1, Math.ceil(taken.res.msBeforeNext / 1000)),
  };
  if (taken.refused) state.refusedBy = taken.bucket;
  return state;
}

export class RateLimits {
  readonly #org: RateLimiterMemory;
  readonly #user: RateLimiterMemory;
  readonly #badTokens: RateLimiterMemory;
  /** Users refused until their Retry-After: blocked keys, each for its own Retry-After. */
  readonly #toldToWait = new RateLimiterMemory({ points: 1, duration: WINDOW_S });

  constructor(private readonly settings: RateLimitSettings) {
    this.#org = new RateLimiterMemory({ points: settings.orgPoints, duration: WINDOW_S });
    this.#user = new RateLimiterMemory({ points: settings.userPoints, duration: WINDOW_S });
    this.#badTokens = new RateLimiterMemory({
      points: settings.badTokensPerAddress,
      duration: WINDOW_S,
    });
  }

  /**
   * Before any work: refused when the org's or the user's budget is already
   * spent, or when the user was refused before and its Retry-After has not
   * passed (`early`: it did not wait, and is refused again without its
   * request being read). A refusal here is remembered too (toldToWait).
   */
  async check(claims: RequestClaims): Promise<RateLimitState | undefined> {
    const key = userKey(claims);
    const [org, user, told] = await Promise.all([
      this.#org.get(claims.orgId),
      this.#user.get(key),
      this.#toldToWait.get(key),
    ]);
    const budgets = [
      { bucket: 'org', limiter: this.#org, res: org },
      { bucket: 'user', limiter: this.#user, res: user },
    ] as const;
    const spent = budgets.find(({ res }) => res && res.remainingPoints <= 0);
    if (!spent && !told) return undefined;
    // Told to wait: whichever budget has less left (both windows over: it may go on).
    const refusing =
      spent ??
      budgets
        .filter(({ res }) => res)
        .sort((a, b) => a.res!.remainingPoints - b.res!.remainingPoints)[0];
    if (!refusing) return undefined;
    const state = stateOf({ ...refusing, res: refusing.res!, key: '', refused: true });
    if (told) state.early = true;
    else await this.toldToWait(claims, state);
    return state;
  }

  /** How long to hold an `early` refusal: RATE_LIMIT_EARLY_DELAY_MS, at most its Retry-After. */
  earlyRefusalDelayMs(state: RateLimitState): number {
    return Math.min(this.settings.earlyRefusalDelayMs, state.resetS * 1000);
  }

  /** Remembers that the user was refused until `state.resetS` (its Retry-After). */
  async toldToWait(claims: RequestClaims, state: RateLimitState): Promise<void> {
    await this.#toldToWait.block(userKey(claims), state.resetS);
  }

  /** Spends `points` from the org's and the user's budgets, or neither when one is short. */
  async spend(claims: RequestClaims, points: number): Promise<RateLimitState> {
    const taken = await Promise.all([
      this.#take('org', this.#org, claims.orgId, points),
      this.#take('user', this.#user, userKey(claims), points),
    ]);
    const refused = taken.find((t) => t.refused);
    if (refused) {
      // A refused request spends nothing: give back what the other budget took.
      await Promise.all(
        taken.filter((t) => !t.refused).map((t) => t.limiter.reward(t.key, points)),
      );
      return stateOf(refused);
    }
    const [org, user] = taken as [Taken, Taken];
    return stateOf(user.res.remainingPoints < org.res.remainingPoints ? user : org);
  }

  /** Refused when `address` has spent its budget of failed verifications. */
  async badTokensSpent(address: string): Promise<RateLimitState | undefined> {
    const res = await this.#badTokens.get(address);
    if (!res || res.remainingPoints > 0) return undefined;
    return stateOf({
      bucket: 'bad_tokens',
      limiter: this.#badTokens,
      key: address,
      res,
      refused: true,
    });
  }

  /** Records a failed verification from `address`. */
  async badToken(address: string): Promise<void> {
    await this.#take('bad_tokens', this.#badTokens, address, 1);
  }

  async #take(
    bucket: Bucket,
    limiter: RateLimiterMemory,
    key: string,
    points: number,
  ): Promise<Taken> {
    try {
      return { bucket, limiter, key, res: await limiter.consume(key, points), refused: false };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      // The memory store counts refused points too; they were not spent.
      const res = await limiter.reward(key, points);
      return { bucket, limiter, key, res, refused: true };
    }
  }
}

function userKey(claims: RequestClaims): string {
  return `${claims.orgId}\u0000${claims.sub}`;
}
