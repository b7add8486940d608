import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generatePoolKeys } from './keys.js'
import { resolveOptions } from './options.js'
import { createProvider } from './provider.js'
import { LocalStore } from './store.js'
import type { LocalCognito, LocalCognitoClient, LocalCognitoOptions, LocalCognitoStats } from './types.js'

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

function firstClient (clients: LocalCognitoClient[], confidential: boolean): LocalCognitoClient | undefined {
  return clients.find((client) => (client.clientSecret !== undefined) === confidential)
}

function describeClients (clients: LocalCognitoClient[]): LocalCognito['clients'] {
  const described = {}
  const entries: Array<[keyof LocalCognito['clients'], LocalCognitoClient | undefined]> = [
    ['confidential', firstClient(clients, true)],
    ['public', firstClient(clients, false)]
  ]
  for (const [kind, client] of entries) {
    Object.defineProperty(described, kind, {
      enumerable: client !== undefined,
      get () {
        if (client === undefined) throw new Error(`local Cognito: no ${kind} client is registered (see options.clients)`)
        return kind === 'confidential' ? { clientId: client.clientId, clientSecret: client.clientSecret } : { clientId: client.clientId }
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
  const stats: LocalCognitoStats = { authorizationCodeGrants: 0, refreshTokenGrants: 0, revocations: 0 }

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
