/**
 * The session lifecycle's warm path (lifecycle.ts keeps the rules): the identity of a session whose
 * tokens were opened and verified before, answered without waiting, when none of the lifecycle's
 * decisions is due. Each check below stands for one of them; when it might apply, the answer is
 * `undefined` and the lifecycle's `resume` decides.
 */
import type { FastifyRequest } from 'fastify'
import { buildIdentity } from '../protocol/identity.js'
import type { Verifier } from '../protocol/verifier.js'
import type { Opened } from './codec.js'
import type { SessionStore } from './store.js'
import type { CognitoUserIdentity } from '../types.js'

/** The idle clock is written at most this often (ms): the warm path stays free of writes. */
export const TOUCH_EVERY_MS = 60_000

export interface WarmConfig {
  autoRefresh: boolean
  session: { absoluteTimeout: number | undefined, idleTimeout: number | undefined, refreshAhead: number | undefined }
}

/** The identity; `null` when the request has no session at all; `undefined` when `resume` must decide. */
export function warmIdentity (config: WarmConfig, store: SessionStore, verifier: Verifier, request: FastifyRequest, withIdToken: boolean): CognitoUserIdentity | null | undefined {
  // A store that cannot answer at once, or a cut-off to ask about (a store call).
  if (store.readNow === undefined || store.cutOff !== undefined) return undefined
  const access = store.readNow(request, 'access')
  // No access token: nobody, unless a refresh token could renew the session.
  if (access === null) return !config.autoRefresh || store.readNow(request, 'refresh') === null ? null : undefined
  // Re-sealing (an older key), or a token not verified before (or expired, or its key gone).
  const claims = access === undefined || access.rotated ? undefined : verifier.cachedSessionAccessToken(access.value)
  if (claims === undefined) return undefined
  const now = Date.now()
  const { absoluteTimeout, idleTimeout, refreshAhead } = config.session
  // Renewing ahead, the absolute timeout, the idle timeout or its clock.
  if (refreshAhead !== undefined && config.autoRefresh && claims.exp - now / 1000 < refreshAhead) return undefined
  if (absoluteTimeout !== undefined && typeof claims.auth_time === 'number' && now / 1000 - claims.auth_time > absoluteTimeout) return undefined
  if (idleTimeout !== undefined) {
    const seen = store.lastSeenNow?.(request)
    if (seen === undefined || now - seen >= TOUCH_EVERY_MS || now - seen > idleTimeout * 1000) return undefined
  }
  const identity = buildIdentity('cookie', claims, null, (access as Opened<string>).value)
  if (!withIdToken) return identity
  const id = store.readNow(request, 'id')
  if (id === null) return identity
  // The ID token, as `loadIdToken` would put it: verified before, and the same user's.
  if (id === undefined || id.rotated) return undefined
  const idClaims = verifier.cachedIdToken(id.value)
  if (idClaims === undefined) return undefined
  if (idClaims.sub === identity.sub) identity.idToken = idClaims
  return identity
}
