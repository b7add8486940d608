/**
 * The stand-in's implementation imports oidc-provider, an optional peer dependency, statically: were
 * it missing, importing the implementation would fail with a raw `ERR_MODULE_NOT_FOUND` naming one of
 * this package's files. So the public entry points (`startLocalCognito`, the command) load it through
 * {@link loadServer}, which first checks for oidc-provider and says what to install when it is missing.
 */
import { importOptionalPeer, type OptionalPeer } from '../util/optional-peer.js'

/** The optional peer dependency the stand-in is built on. */
export const OIDC_PROVIDER: OptionalPeer = { name: 'oidc-provider', range: '9', dev: true }

/**
 * The stand-in's implementation (`./server.js`), once oidc-provider is known to be installed.
 * Without it, rejects with `FST_COGNITO_MISSING_PEER`:
 * "<feature> needs oidc-provider: npm install --save-dev oidc-provider@9".
 */
export async function loadServer (feature: string): Promise<typeof import('./server.js')> {
  await importOptionalPeer(OIDC_PROVIDER, feature)
  return await import('./server.js')
}
