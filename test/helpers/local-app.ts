/**
 * An app reached over real HTTP and signing in at the local Cognito stand-in. The app listens before it
 * exists: its callback URL, registered with the stand-in, holds the port. Type-only imports of lib/, so
 * a test that loads lib/ lazily (the browser test, skipped without Chromium) can use these.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyServerOptions } from 'fastify'
import type { FastifyCognitoOptions } from '../../lib/index.js'
import type { LocalCognito } from '../../lib/local/index.js'

/** An HTTP server listening on 127.0.0.1, port 0; `base` names it localhost, the host of the registered callback URL. */
export async function listening (): Promise<{ server: Server, port: number, base: string }> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { server, port, base: `http://localhost:${port}` }
}

/** Fastify options serving `server`, which listens already (Fastify's `listen` is not called). */
export function onServer (server: Server): FastifyServerOptions {
  return {
    serverFactory: handler => {
      server.on('request', handler)
      return server
    }
  }
}

/**
 * Plugin options for an app at `base` signing in at `local`: callback `/postlogin`, sign-out `/postlogout`,
 * the stand-in's confidential client (or its public one).
 */
export function localPluginOptions (local: LocalCognito, base: string, secret: string, client: 'confidential' | 'public' = 'confidential'): FastifyCognitoOptions {
  return {
    userPoolId: local.userPoolId,
    issuer: local.issuer,
    domain: local.domain,
    ...(client === 'confidential' ? local.clients.confidential : local.clients.public),
    redirectUri: `${base}/postlogin`,
    logoutUri: `${base}/postlogout`,
    secret
  }
}

/** What the stand-in registers for an app at `base`: its callback and sign-out URLs. */
export function appUris (base: string): { redirectUris: string[], logoutUris: string[] } {
  return { redirectUris: [`${base}/postlogin`], logoutUris: [`${base}/postlogout`] }
}
