/**
 * A faulty IdP as a test pool's token and revoke endpoints: the issuer and keys stay the pool's, the
 * token endpoint answers what the test chooses (by default, a refresh with new access and ID tokens).
 */
import { createTestPool, type TestPool, type TestUser } from '../../lib/testing/index.js'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import { startFaultyIdp, type FaultyIdp } from './faulty-idp.js'
import type { Teardown } from './teardown.js'

/** The user the token endpoint answers for unless a test says otherwise. */
export const alice: TestUser = { username: 'alice', groups: ['admin', 'editor'] }

/** From now on the token endpoint answers every grant with new access and ID tokens for `user` (no rotation), plus `extra`. */
export function answerTokens (idp: FaultyIdp, pool: TestPool, user: TestUser = alice, extra: Record<string, unknown> = {}): void {
  idp.setToken('ok')
  idp.onToken(async () => {
    const { accessToken, idToken } = await pool.mintTokens(user)
    return { json: { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 3600, ...extra } }
  })
}

/** A faulty IdP as `pool`'s token endpoint, answering with {@link answerTokens} for `user`; closed when the test ends. */
export async function startTokenEndpoint (t: Teardown, pool: TestPool, user: TestUser = alice): Promise<FaultyIdp> {
  const idp = await startFaultyIdp()
  t.teardown(() => idp.close())
  answerTokens(idp, pool, user)
  return idp
}

/** A new test pool and its token endpoint, both closed when the test ends. */
export async function startPoolWithTokenEndpoint (t: Teardown): Promise<{ pool: TestPool, idp: FaultyIdp }> {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  return { pool, idp: await startTokenEndpoint(t, pool) }
}

/** Plugin options for a pool whose token endpoint is `idp`. */
export function idpOptions (pool: TestPool, idp: FaultyIdp): Partial<FastifyCognitoOptions> {
  return { ...pool.pluginOptions(), domain: idp.url, issuer: pool.issuer }
}

/** An opaque refresh token of Cognito's size (about 1,850 bytes; Cognito's is an encrypted JWE). */
export function fakeRefreshToken (seed = 'rt'): string {
  const body = Buffer.alloc(1337, seed).toString('base64url')
  return `eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.${body}.${seed}`
}
