import { errors, type Adapter, type AdapterPayload } from 'oidc-provider'

interface StoredRecord {
  payload: AdapterPayload
  /** Epoch milliseconds; `undefined` never expires. */
  expiresAt: number | undefined
  /** Epoch milliseconds of a refresh token's rotation. */
  rotatedAt?: number
  /** A revoked refresh token, kept until it would have expired so that `isRevoked` can tell. */
  revoked?: boolean
}

/** Options of {@link LocalStore}. */
export interface LocalStoreOptions {
  /** Seconds a rotated-out refresh token stays usable. */
  rotationGracePeriod: number
  /** Clock in epoch milliseconds. */
  now?: () => number
}

const REFRESH_TOKEN = 'RefreshToken'

/**
 * oidc-provider's storage, in memory and private to one stand-in (oidc-provider's own memory adapter
 * shares one module-level LRU between providers and warns at every start).
 *
 * Refresh tokens follow Cognito rather than oidc-provider's defaults:
 * - Rotation (`consume`) does not mark the old token as used: oidc-provider would then treat a late
 *   use of it as token theft and revoke the whole family (RFC 9700, 4.14.2), new token included.
 *   Cognito keeps the old token valid for the grace period and afterwards answers `invalid_grant`,
 *   leaving the new token alone, which is what lets the loser of a refresh race keep the winner's
 *   session. So a rotated token is found during the grace period and "not found" afterwards.
 *   Rotating is also where parallel refreshes with one token are decided: the first to rotate wins,
 *   and (past the grace period) the others get `invalid_grant`, even when they all found the token.
 * - Revocation (`destroy`, `revokeByGrantId`) keeps a marker until the token's expiry, for `isRevoked`.
 */
export class LocalStore {
  readonly #records = new Map<string, StoredRecord>()
  /** `${model}:${grantId}` to the keys of that model's records of the grant. */
  readonly #grantMembers = new Map<string, Set<string>>()
  readonly #sessionIdsByUid = new Map<string, string>()
  readonly #graceMs: number
  readonly #now: () => number

  constructor ({ rotationGracePeriod, now = Date.now }: LocalStoreOptions) {
    this.#graceMs = rotationGracePeriod * 1000
    this.#now = now
  }

  /** Whether the refresh token was revoked (and has not expired since). */
  isRevokedRefreshToken (value: string): boolean {
    return this.#live(`${REFRESH_TOKEN}:${value}`)?.revoked === true
  }

  /** The adapter oidc-provider instantiates per model (`adapter` configuration). */
  adapterFor (model: string): Adapter {
    const key = (id: string): string => `${model}:${id}`
    const find = async (id: string): Promise<AdapterPayload | undefined> => {
      const record = this.#live(key(id))
      if (record === undefined || record.revoked === true) return undefined
      if (record.rotatedAt !== undefined && this.#now() >= record.rotatedAt + this.#graceMs) return undefined
      return record.payload
    }
    return {
      upsert: async (id, payload, expiresIn) => {
        this.#sweep()
        const expiresAt = typeof expiresIn === 'number' ? this.#now() + expiresIn * 1000 : undefined
        this.#records.set(key(id), { payload, expiresAt })
        if (typeof payload.grantId === 'string') {
          const grantKey = `${model}:${payload.grantId}`
          const members = this.#grantMembers.get(grantKey) ?? new Set<string>()
          members.add(key(id))
          this.#grantMembers.set(grantKey, members)
        }
        if (model === 'Session' && typeof payload.uid === 'string') this.#sessionIdsByUid.set(payload.uid, id)
      },
      find,
      findByUid: async (uid) => {
        const id = this.#sessionIdsByUid.get(uid)
        return id === undefined ? undefined : await find(id)
      },
      consume: async (id) => {
        const record = this.#live(key(id))
        if (record === undefined) return
        if (model === REFRESH_TOKEN) {
          // Synchronous from lookup to mark, so two requests cannot both rotate the same token.
          if (record.rotatedAt !== undefined && this.#now() >= record.rotatedAt + this.#graceMs) {
            throw new errors.InvalidGrant('refresh token already used')
          }
          record.rotatedAt ??= this.#now()
        } else {
          record.payload.consumed = Math.floor(this.#now() / 1000)
        }
      },
      destroy: async (id) => {
        this.#remove(model, key(id))
      },
      revokeByGrantId: async (grantId) => {
        const grantKey = `${model}:${grantId}`
        for (const member of this.#grantMembers.get(grantKey) ?? []) this.#remove(model, member)
        this.#grantMembers.delete(grantKey)
      }
    }
  }

  #live (key: string): StoredRecord | undefined {
    const record = this.#records.get(key)
    if (record?.expiresAt !== undefined && record.expiresAt <= this.#now()) {
      this.#records.delete(key)
      return undefined
    }
    return record
  }

  #remove (model: string, key: string): void {
    const record = this.#records.get(key)
    if (record === undefined) return
    if (model === REFRESH_TOKEN) {
      record.revoked = true
      return
    }
    this.#records.delete(key)
    if (typeof record.payload.uid === 'string' && model === 'Session') this.#sessionIdsByUid.delete(record.payload.uid)
  }

  /** Drops expired records, so that a long-running stand-in does not grow without bound. */
  #sweep (): void {
    const now = this.#now()
    for (const [key, record] of this.#records) {
      if (record.expiresAt !== undefined && record.expiresAt <= now) this.#records.delete(key)
    }
    for (const [grantKey, members] of this.#grantMembers) {
      for (const member of members) if (!this.#records.has(member)) members.delete(member)
      if (members.size === 0) this.#grantMembers.delete(grantKey)
    }
    for (const [uid, id] of this.#sessionIdsByUid) {
      if (!this.#records.has(`Session:${id}`)) this.#sessionIdsByUid.delete(uid)
    }
  }
}
