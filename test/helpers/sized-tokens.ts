/**
 * Tokens of Cognito's real sizes (cognito.md: access 1,000 to 1,100 bytes, ID about 1,750 and up to
 * about 6,000 with pre-token-generation claims), padded with a claim.
 */
import type { TestPool, TestUser } from '../../lib/testing/index.js'

/** Mints a token of `kind` for `user` whose length is within 4 bytes under `size`. */
export async function mintOfSize (pool: TestPool, kind: 'access' | 'id', user: TestUser, size: number): Promise<string> {
  const mint = (pad: number): Promise<string> => {
    const claims = { ...user.claims, [kind === 'id' ? 'custom:profile' : 'custom:pad']: 'p'.repeat(pad) }
    return kind === 'id' ? pool.mintIdToken({ ...user, claims }) : pool.mintAccessToken({ ...user, claims })
  }
  let pad = 0
  let token = await mint(pad)
  for (let i = 0; i < 8 && (token.length > size || token.length < size - 4); i++) {
    pad = Math.max(0, pad + Math.floor((size - token.length) * 3 / 4))
    token = await mint(pad)
  }
  if (token.length > size || token.length < size - 4) throw new Error(`could not mint a ${size}-byte ${kind} token (got ${token.length})`)
  return token
}
