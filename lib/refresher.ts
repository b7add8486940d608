/**
 * Refresh-token grants, shared: concurrent requests holding the same refresh token make one grant,
 * and for a short while afterwards requests still holding the old token get the same answer instead
 * of a second grant (with rotation, the second grant would fail and could end a renewed session).
 * Refresh tokens Cognito refused are remembered, so a dead session does not call Cognito on every request.
 */
import { createHash } from 'node:crypto'
import { OAuthError } from './errors.js'
import type { TokenClient, TokenSet } from './token-client.js'

/** How long a grant's answer is reused for the same old refresh token. Cognito's rotation grace is at most 60 s. */
const REUSE_MS = 30_000

/**
 * An answer is reused at most while its access token has half its life left: Cognito's live 5 min
 * or more, but a stand-in's (or a test's) may live seconds, and a reused answer must not hand out
 * a token that has already expired.
 */
function reuseMs (tokens: TokenSet): number {
  return typeof tokens.expires_in === 'number' ? Math.min(REUSE_MS, tokens.expires_in * 500) : REUSE_MS
}

/** How long a refused refresh token is remembered. */
const DEAD_MS = 5 * 60_000
const MAX_ENTRIES = 10_000

interface Entry<T> { value: T, until: number }

/** A map whose entries expire and whose size is bounded (oldest evicted first). */
class ExpiringMap<T> {
  readonly #entries = new Map<string, Entry<T>>()

  get (key: string, now: number): T | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.until <= now) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set (key: string, value: T, until: number): void {
    this.#entries.delete(key)
    this.#entries.set(key, { value, until })
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string)
  }

  delete (key: string): void {
    this.#entries.delete(key)
  }

  get size (): number {
    return this.#entries.size
  }
}

/** Keys are hashes: the refresh tokens themselves are never kept in these maps. */
function keyOf (refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('base64url')
}

export class Refresher {
  readonly #client: TokenClient
  readonly #inFlight = new Map<string, Promise<TokenSet>>()
  readonly #recent = new ExpiringMap<TokenSet>()
  readonly #dead = new ExpiringMap<OAuthError>()

  constructor (client: TokenClient) {
    this.#client = client
  }

  /** The entries the refresher holds (bounded). */
  get size (): number {
    return this.#inFlight.size + this.#recent.size + this.#dead.size
  }

  /** Exchanges the refresh token, sharing one grant among concurrent callers. Throws `OAuthError` or a 502. */
  refresh (refreshToken: string): Promise<TokenSet> {
    const key = keyOf(refreshToken)
    const now = Date.now()
    const dead = this.#dead.get(key, now)
    if (dead !== undefined) return Promise.reject(dead)
    const recent = this.#recent.get(key, now)
    if (recent !== undefined) return Promise.resolve(recent)
    let pending = this.#inFlight.get(key)
    if (pending === undefined) {
      pending = this.#client.refresh(refreshToken).then(tokens => {
        this.#recent.set(key, tokens, Date.now() + reuseMs(tokens))
        return tokens
      }, (err: unknown) => {
        if (err instanceof OAuthError && err.error === 'invalid_grant') this.#dead.set(key, err, Date.now() + DEAD_MS)
        throw err
      }).finally(() => this.#inFlight.delete(key))
      this.#inFlight.set(key, pending)
    }
    return pending
  }

  /** After logout: the token must not be exchanged again, not even from the recent answers. */
  markRevoked (refreshToken: string): void {
    const key = keyOf(refreshToken)
    this.#recent.delete(key)
    this.#dead.set(key, new OAuthError('invalid_grant', 'revoked at logout'), Date.now() + DEAD_MS)
  }
}
