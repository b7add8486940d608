/**
 * Test kit for apps behind an Application Load Balancer (the plugin's `alb` option): a loopback server
 * that publishes ALB public keys as AWS does (a PEM at `<keysUrl>/<kid>`), and the headers an ALB adds
 * once it has signed a user in, signed like the ALB signs them: ES256, base64url segments **with** `=`
 * padding, the signature over the segments as sent.
 *
 * @example
 * ```ts
 * import { createTestAlb, createTestPool } from 'fastify-cognito/testing'
 *
 * const pool = await createTestPool()
 * const alb = await createTestAlb()
 * await app.register(fastifyCognito, { ...pool.pluginOptions(), alb: alb.albOptions() })
 * const accessToken = await pool.mintAccessToken({ username: 'alice', groups: ['admin'] })
 * const headers = await alb.mintAlbHeaders({ pool, username: 'alice', accessToken })
 * await app.inject({ url: '/admin', headers }) // 200
 * ```
 *
 * @packageDocumentation
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeJwt } from 'jose'

/** Options of {@link createTestAlb}. */
export interface TestAlbOptions {
  /** The load balancer's ARN, the `signer` of its headers. Default: an ARN in `us-east-1`. */
  arn?: string
  /** Loopback address of the key server. Default `'127.0.0.1'`. */
  host?: string
}

/** What {@link TestAlb.mintAlbHeaders} signs. */
export interface AlbHeadersOptions {
  /** The pool the ALB signs users in with: its issuer and client id go in the header. */
  pool: { issuer: string, clientId: string }
  username: string
  /** Default: the access token's `sub` when one is given, else a random UUID. */
  sub?: string
  /** Default `<username>@example.com`. */
  email?: string
  /** Forwarded as `x-amzn-oidc-accesstoken` (mint it with the pool: groups come from it). */
  accessToken?: string
  /** Seconds until `exp` (header and payload). Default 120; negative: already expired. */
  expiresIn?: number
  /** Base64url with `=` padding, as AWS sends it. Default true. */
  padded?: boolean
  /** Overrides of the header (`signer`, `kid`, `client`, `iss`...) or payload claims; `undefined` removes one. */
  header?: Record<string, unknown>
  claims?: Record<string, unknown>
}

export interface TestAlb {
  /** The load balancer's ARN. */
  readonly arn: string
  /** `http://127.0.0.1:<port>`: pass as `alb.keysUrl`. */
  readonly keysUrl: string
  /** The `kid` of the current key. */
  readonly kid: string
  /** Key requests received (any path). */
  readonly keyRequests: number
  /** `{ signers: [arn], keysUrl }`, for the plugin's `alb` option. */
  albOptions (): { signers: string[], keysUrl: string }
  /** The `x-amzn-oidc-data`, `x-amzn-oidc-identity` and (when given) `x-amzn-oidc-accesstoken` headers. */
  mintAlbHeaders (options: AlbHeadersOptions): Promise<Record<string, string>>
  /** A new key and `kid`; the old one is no longer served. */
  rotateKey (): void
  close (): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

function encode (value: Record<string, unknown>, padded: boolean): string {
  const text = Buffer.from(JSON.stringify(dropUndefined(value))).toString('base64url')
  return padded ? text + '='.repeat((4 - (text.length % 4)) % 4) : text
}

function dropUndefined (value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined))
}

/** Starts a loopback ALB key server with one P-256 key. Close it with {@link TestAlb.close}. */
export async function createTestAlb (options: TestAlbOptions = {}): Promise<TestAlb> {
  const arn = options.arn ?? 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test-alb/50dc6c495c0c9188'
  const host = options.host ?? '127.0.0.1'
  if (!LOOPBACK.has(host)) throw new TypeError(`host must be a loopback address, got ${JSON.stringify(host)}`)
  let key: { kid: string, privateKey: KeyObject, pem: string }
  const newKey = (): void => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    key = { kid: randomUUID(), privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }) as string }
  }
  newKey()
  let keyRequests = 0
  const server: Server = createServer((req, res) => {
    keyRequests++
    const found = req.url === `/${key.kid}`
    res.writeHead(found ? 200 : 404, { 'content-type': 'text/plain' })
    res.end(found ? key.pem : 'Not Found')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const keysUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  let closing: Promise<void> | undefined

  return {
    arn,
    keysUrl,
    get kid () { return key.kid },
    get keyRequests () { return keyRequests },
    albOptions: () => ({ signers: [arn], keysUrl }),
    rotateKey: newKey,
    mintAlbHeaders: async (o) => {
      const padded = o.padded ?? true
      const exp = Math.floor(Date.now() / 1000) + (o.expiresIn ?? 120)
      const sub = o.sub ?? (o.accessToken === undefined ? randomUUID() : decodeJwt(o.accessToken).sub as string)
      const header = encode({ typ: 'JWT', kid: key.kid, alg: 'ES256', iss: o.pool.issuer, client: o.pool.clientId, signer: arn, exp, ...o.header }, padded)
      const payload = encode({ sub, email_verified: 'true', email: o.email ?? `${o.username}@example.com`, username: o.username, exp, iss: o.pool.issuer, ...o.claims }, padded)
      const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')
      return {
        'x-amzn-oidc-data': `${header}.${payload}.${padded ? `${signature}==` : signature}`,
        'x-amzn-oidc-identity': sub,
        ...(o.accessToken === undefined ? {} : { 'x-amzn-oidc-accesstoken': o.accessToken })
      }
    },
    close: async () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await closing
    }
  }
}
