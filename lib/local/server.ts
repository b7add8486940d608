import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generatePoolKeys } from './keys.js'
import { resolveOptions, type ResolvedClient } from './options.js'
import { createProvider } from './provider.js'
import { LocalStore } from './store.js'
import type { LocalCognito, LocalCognitoOptions, LocalCognitoStats } from './types.js'

/** `host` as it appears in a URL: IPv6 literals get brackets. */
export function urlHost (host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

async function listen (server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return (server.address() as AddressInfo).port
}

type ClientKind = keyof LocalCognito['clients']

function kindOf (client: ResolvedClient): ClientKind {
  if (client.allowedOAuthFlows.includes('client_credentials')) return 'machine'
  return client.clientSecret === undefined ? 'public' : 'confidential'
}

function describe (kind: ClientKind, client: ResolvedClient): LocalCognito['clients'][ClientKind] {
  if (kind === 'public') return { clientId: client.clientId }
  if (kind === 'confidential') return { clientId: client.clientId, clientSecret: client.clientSecret! }
  return { clientId: client.clientId, clientSecret: client.clientSecret!, scopes: [...client.scopes] }
}

function describeClients (clients: ResolvedClient[]): LocalCognito['clients'] {
  const described = {}
  for (const kind of ['confidential', 'public', 'machine'] as const) {
    const client = clients.find((candidate) => kindOf(candidate) === kind)
    Object.defineProperty(described, kind, {
      enumerable: client !== undefined,
      get () {
        if (client === undefined) throw new Error(`local Cognito: no ${kind} client is registered (see options.clients)`)
        return describe(kind, client)
      }
    })
  }
  return described as LocalCognito['clients']
}

/**
 * Starts a local stand-in for an Amazon Cognito user pool and its hosted UI, on oidc-provider (an
 * optional peer dependency: install it to use `fastify-cognito/local`). Keys are generated at
 * start and everything lives in memory: nothing is read from or written to disk.
 *
 * @example
 * ```ts
 * import { startLocalCognito } from 'fastify-cognito/local'
 *
 * const local = await startLocalCognito({ redirectUris: ['http://localhost:3000/auth/callback'] })
 * const { clientId, clientSecret } = local.clients.confidential
 * // register the plugin with { domain: local.domain, userPoolId: local.userPoolId, clientId, clientSecret, ... }
 * // sign in as alice / Passw0rd! on the page the login route redirects to
 * await local.close()
 * ```
 */
export async function startLocalCognito (options?: LocalCognitoOptions): Promise<LocalCognito> {
  const resolved = resolveOptions(options)
  const keys = await generatePoolKeys()
  const server = createServer()
  const port = await listen(server, resolved.port, resolved.host)
  const url = `http://${urlHost(resolved.host)}:${port}`
  const issuer = `${url}/${resolved.userPoolId}`
  const store = new LocalStore({ rotationGracePeriod: resolved.rotationGracePeriod })
  const stats: LocalCognitoStats = { authorizationCodeGrants: 0, refreshTokenGrants: 0, revocations: 0, clientCredentialsGrants: 0, signUps: 0 }

  let closing: Promise<void> | undefined
  const close = async (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    return await closing
  }

  try {
    server.on('request', createProvider({ issuer, options: resolved, keys, store, stats }).callback())
  /* c8 ignore start -- the configuration is built from validated options, so oidc-provider accepts
     it; should it not, the port must not stay open */
  } catch (err) {
    await close()
    throw err
  }
  /* c8 ignore stop */

  return {
    url,
    domain: url,
    issuer,
    userPoolId: resolved.userPoolId,
    region: resolved.region,
    clients: describeClients(resolved.clients),
    registeredClients: resolved.clients,
    users: resolved.users,
    stats,
    isRevoked: (refreshToken) => store.isRevokedRefreshToken(refreshToken),
    close
  }
}
