/**
 * A small Cognito look-alike on 127.0.0.1 (port 0) for the doctor's tests: a discovery document, a JWKS
 * and an authorize endpoint, each replaceable, with a `Date` header that can lie.
 */
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Teardown } from '../helpers/teardown.js'

export const POOL_ID = 'us-east-1_Fake'

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void

export interface FakeCognitoOptions {
  /** Replaces the discovery document handler. */
  discovery?: Handler
  /** Replaces the JWKS handler. */
  jwks?: Handler
  /** Replaces the authorize handler (default: 302 to `/login`). */
  authorize?: Handler
  /** The `Date` header of every answer (default: Node's own). */
  date?: () => string
}

export interface FakeCognito {
  url: string
  issuer: string
  /** The environment a doctor run needs to talk to this server. */
  env: Record<string, string>
}

/** A public key as Cognito serves it: RSA, 2048 bits, RS256, named by a kid. */
const { n, e } = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as { n: string, e: string }
export const RSA_KEY = { kty: 'RSA', alg: 'RS256', use: 'sig', kid: 'key-1', n, e }
/** The same key shortened to 1024 bits: too weak for the verifier. */
const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as { n: string, e: string }
export const WEAK_RSA_KEY = { ...RSA_KEY, kid: 'weak', n: weak.n, e: weak.e }

function json (res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

export async function startFakeCognito (t: Teardown, options: FakeCognitoOptions = {}): Promise<FakeCognito> {
  let base = ''
  const issuer = (): string => `${base}/${POOL_ID}`
  const handlers: Record<string, Handler> = {
    [`/${POOL_ID}/.well-known/openid-configuration`]: options.discovery ??
      ((_req, res) => json(res, { issuer: issuer(), jwks_uri: `${issuer()}/.well-known/jwks.json` })),
    [`/${POOL_ID}/.well-known/jwks.json`]: options.jwks ?? ((_req, res) => json(res, { keys: [RSA_KEY] })),
    '/oauth2/authorize': options.authorize ?? ((_req, res) => res.writeHead(302, { location: '/login?client_id=x' }).end())
  }
  const server = createServer((req, res) => {
    if (options.date !== undefined) res.setHeader('date', options.date())
    const url = new URL(req.url ?? '/', base)
    const handler = handlers[url.pathname]
    if (handler === undefined) res.writeHead(404).end('not found')
    else handler(req, res, url)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  return { url: base, issuer: issuer(), env: environment({ issuer: issuer(), domain: base }) }
}

/** A loopback port nothing listens on. */
export async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

export const SECRET_KEY = 'doctor-test-secret-of-sixty-four-characters-0123456789abcdefghij'

/** A complete environment for the doctor, with flask-cognito-lib's names. */
export function environment ({ issuer, domain, clientId = 'fake-client', clientSecret }: { issuer: string, domain: string, clientId?: string, clientSecret?: string }): Record<string, string> {
  return {
    AWS_COGNITO_USER_POOL_ID: issuer.slice(issuer.lastIndexOf('/') + 1),
    AWS_COGNITO_ISSUER: issuer,
    AWS_COGNITO_DOMAIN: domain,
    AWS_COGNITO_USER_POOL_CLIENT_ID: clientId,
    ...(clientSecret === undefined ? {} : { AWS_COGNITO_USER_POOL_CLIENT_SECRET: clientSecret }),
    AWS_COGNITO_REDIRECT_URL: 'http://localhost:3000/postlogin',
    AWS_COGNITO_LOGOUT_URL: 'http://localhost:3000/postlogout',
    SECRET_KEY
  }
}
