/**
 * Builders of forged and malformed JWTs for the security tests. Signing always goes through jose
 * (SignJWT, CompactSign); the only thing built by hand is base64url text, to make tokens no
 * honest signer would produce (alg none, broken segments, tampered parts).
 */
import { CompactSign, decodeJwt, decodeProtectedHeader, exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT } from 'jose'
import type { CryptoKey, JWK, JWTPayload, ProtectedHeaderParameters } from 'jose'

/** A key pair made for a test, with its public JWK as a JWKS would serve it. */
export interface TestSigner {
  kid: string
  alg: 'RS256' | 'RS512' | 'ES256'
  privateKey: CryptoKey
  publicJwk: JWK
}

export async function makeSigner (alg: 'RS256' | 'RS512' | 'ES256', kid: string): Promise<TestSigner> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { kid, alg, privateKey, publicJwk: { ...await exportJWK(publicKey), kid, alg, use: 'sig' } }
}

/** base64url of a string, or of an object's JSON. */
export function b64url (value: string | object): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

export function headerOf (token: string): ProtectedHeaderParameters {
  return decodeProtectedHeader(token)
}

export function claimsOf (token: string): JWTPayload {
  return decodeJwt(token)
}

/** Signs `claims` as a JWT with jose; `header` replaces the protected header (alg included). */
export async function sign (claims: JWTPayload, key: CryptoKey | Uint8Array, header: ProtectedHeaderParameters & { alg: string }): Promise<string> {
  return await new SignJWT(claims).setProtectedHeader(header).sign(key)
}

/** Signs arbitrary payload text (JSON that is not an object, raw bytes) as a compact JWS with jose. */
export async function signRaw (payload: string, key: CryptoKey, header: ProtectedHeaderParameters & { alg: string }): Promise<string> {
  return await new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(header).sign(key)
}

/** An unsecured JWT (RFC 7519 §6): `alg: none`, empty signature. */
export function unsigned (claims: object, header: object = { alg: 'none', typ: 'JWT' }): string {
  return `${b64url(header)}.${b64url(claims)}.`
}

/** The token with its payload replaced (the signature stays: it no longer matches). */
export function withClaims (token: string, change: (claims: JWTPayload) => JWTPayload): string {
  const [header, , signature] = token.split('.')
  return `${header}.${b64url(change(claimsOf(token)))}.${signature}`
}

/** The token with one signature character changed (a different, same-length signature). */
export function flipSignature (token: string): string {
  const dot = token.lastIndexOf('.')
  const signature = token.slice(dot + 1)
  const i = Math.floor(signature.length / 2)
  const swapped = signature[i] === 'A' ? 'B' : 'A'
  return `${token.slice(0, dot + 1)}${signature.slice(0, i)}${swapped}${signature.slice(i + 1)}`
}

/** The token with the second half of its signature cut off. */
export function truncateSignature (token: string): string {
  const dot = token.lastIndexOf('.')
  return token.slice(0, dot + 1 + Math.floor((token.length - dot - 1) / 2))
}

/** HS256 "signed" with the bytes of an RSA public key (PEM), the classic algorithm-confusion attack. */
export async function hmacWithPublicKey (claims: JWTPayload, publicJwk: JWK, kid: string | undefined): Promise<string> {
  const pem = await exportSPKI(await importJWK(publicJwk, 'RS256', { extractable: true }) as CryptoKey)
  return await sign(claims, new TextEncoder().encode(pem), { alg: 'HS256', ...(kid === undefined ? {} : { kid }) })
}
