/**
 * Refresh-token grants, shared. Concurrent requests holding the same refresh token make one grant.
 * A finished grant's answer is reused, for a short while, only by requests that raced it: a request
 * still holding the refresh token that the grant rotated away, or a guard's renewal that left with the
 * same token while the grant was on its way (without rotation). An explicit refresh with the current
 * token is always a new grant, so an app that refreshes to pick up new groups gets them.
 * Refresh tokens Cognito refused are remembered, so a dead session does not call Cognito on every
 * request; revoking a token at logout also kills every token it was rotated from, and their answers.
 */
import { createHash } from 'node:crypto'
import { publish, type RefreshOutcome } from '../util/events.js'
import { LruMap } from '../util/lru.js'

/** How long a grant's answer is reused. Cognito's rotation grace is at most 60 s. */
const REUSE_MS = 30_000
/** How long a refused refresh token is remembered. */
const DEAD_MS = 5 * 60_000
const MAX_ENTRIES = 10_000
/** Rotation chains are followed this far back at logout (one step per refresh in the reuse window). */
const MAX_CHAIN = 100

/** What a grant answered, as the refresher needs to know it. */
export interface GrantAnswer {
  /** The new refresh token when Cognito rotated it. */
  refreshToken: string | undefined
  /** Seconds the new access token lives, when Cognito said. */
  expiresIn: number | undefined
}

/**
 * An answer is reused at most while its access token has half its life left: Cognito's live 5 min
 * or more, but a stand-in's (or a test's) may live seconds, and a reused answer must not hand out
 * a token that has already expired.
 */
function reuseUntil (answer: GrantAnswer): number {
  return Date.now() + (answer.expiresIn === undefined ? REUSE_MS : Math.min(REUSE_MS, answer.expiresIn * 500))
}

function outcome (value: RefreshOutcome): void {
  publish('refresh', () => ({ outcome: value }))
}

/** Keys are hashes: the refresh tokens themselves are never kept in these maps. */
function keyOf (refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('base64url')
}

interface Recent<T> { answer: T, rotatedAway: boolean }

export class Refresher<T extends GrantAnswer> {
  readonly #grant: (refreshToken: string) => Promise<T>
  readonly #refused: (refreshToken: string, err: unknown) => boolean
  readonly #inFlight = new Map<string, Promise<T>>()
  readonly #recent = new LruMap<string, Recent<T>>(MAX_ENTRIES)
  readonly #dead = new LruMap<string, Error>(MAX_ENTRIES)
  /** New token's key -> the key of the token it was rotated from. */
  readonly #previous = new LruMap<string, string>(MAX_ENTRIES)

  /**
   * @param grant the grant itself (calls Cognito)
   * @param refused whether a grant's failure means Cognito refused the token for good (`invalid_grant`)
   */
  constructor (grant: (refreshToken: string) => Promise<T>, refused: (refreshToken: string, err: unknown) => boolean) {
    this.#grant = grant
    this.#refused = refused
  }

  /** The entries the refresher holds (bounded). */
  get size (): number {
    return this.#inFlight.size + this.#recent.size + this.#dead.size + this.#previous.size
  }

  /** Exchanges the refresh token, sharing one grant among the requests that race for it. */
  refresh (refreshToken: string, { explicit = false } = {}): Promise<T> {
    const key = keyOf(refreshToken)
    const dead = this.#dead.get(key)
    if (dead !== undefined) {
      outcome('refused')
      return Promise.reject(dead)
    }
    const recent = this.#recent.get(key)
    if (recent !== undefined && (recent.rotatedAway || !explicit)) {
      outcome('reused')
      return Promise.resolve(recent.answer)
    }
    let pending = this.#inFlight.get(key)
    if (pending !== undefined) {
      outcome('reused')
      return pending
    }
    pending = this.#grant(refreshToken).then(answer => {
      const rotatedAway = answer.refreshToken !== undefined && answer.refreshToken !== refreshToken
      this.#recent.set(key, { answer, rotatedAway }, reuseUntil(answer))
      if (rotatedAway) this.#previous.set(keyOf(answer.refreshToken as string), key, Date.now() + DEAD_MS)
      outcome(rotatedAway ? 'rotated' : 'renewed')
      return answer
    }, (err: unknown) => {
      const refused = this.#refused(refreshToken, err)
      if (refused) this.#dead.set(key, err as Error, Date.now() + DEAD_MS)
      outcome(refused ? 'refused' : 'failed')
      throw err
    }).finally(() => this.#inFlight.delete(key))
    this.#inFlight.set(key, pending)
    return pending
  }

  /**
   * After logout: the token, and every token it was rotated from, must not be exchanged again,
   * not even from the recent answers. `reason` is what a later attempt fails with.
   */
  revoke (refreshToken: string, reason: Error): void {
    let key: string | undefined = keyOf(refreshToken)
    for (let i = 0; key !== undefined && i < MAX_CHAIN; i++) {
      this.#recent.delete(key)
      this.#dead.set(key, reason, Date.now() + DEAD_MS)
      key = this.#previous.get(key)
    }
  }
}
