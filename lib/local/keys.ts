import { createHash, generateKeyPair as generateKeyPairCallback, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'

const generateKeyPair = promisify(generateKeyPairCallback)

/** One RS256 signing key: the private JWK for oidc-provider and the key objects for signing and checking. */
export interface SigningKey {
  kid: string
  privateJwk: Record<string, unknown>
  privateKey: KeyObject
  publicKey: KeyObject
}

/**
 * A Cognito user pool signs ID tokens and access tokens with two different RSA keys; both are in its
 * JWKS. Ours are generated at every start and live only in memory.
 */
export interface PoolKeys {
  idToken: SigningKey
  accessToken: SigningKey
}

async function generateSigningKey (): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', { modulusLength: 2048 })
  // Cognito's kids are 44-character base64 strings (a SHA-256 digest); so are ours.
  const kid = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64')
  return {
    kid,
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
    privateKey,
    publicKey
  }
}

/** Generates the pool's two RS256 key pairs. */
export async function generatePoolKeys (): Promise<PoolKeys> {
  const [idToken, accessToken] = await Promise.all([generateSigningKey(), generateSigningKey()])
  return { idToken, accessToken }
}
