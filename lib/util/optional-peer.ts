/**
 * Loading an optional peer dependency (oidc-provider for `fastify-cognito/local`; later a Redis client
 * or `@opentelemetry/api`) so that a missing one says, in one line, what to install, instead of a raw
 * `ERR_MODULE_NOT_FOUND` with a stack trace through this package's files.
 */
import createError from '@fastify/error'

/** An optional peer dependency and the major version this package works with. */
export interface OptionalPeer {
  /** The package name, also what is imported. */
  name: string
  /** The version range to install, as `npm install <name>@<range>` takes it: `'9'`. */
  range: string
  /** Whether it is a development tool (`--save-dev`), like the local Cognito stand-in. */
  dev?: boolean
}

/** An optional peer dependency that a feature needs is not installed. */
export const MissingPeerError = createError<'FST_COGNITO_MISSING_PEER', 500, [feature: string, peer: string, install: string]>(
  'FST_COGNITO_MISSING_PEER', '%s needs %s: %s', 500)

/** The command that installs `peer`. */
export function installCommand (peer: OptionalPeer): string {
  return `npm install ${peer.dev === true ? '--save-dev ' : ''}${peer.name}@${peer.range}`
}

/**
 * Whether `err` says that `name` itself could not be found, not a module it imports. Node words it
 * `Cannot find package '<name>' imported from <file>` (code `ERR_MODULE_NOT_FOUND`); the wording is
 * matched rather than the code, because module loaders (tsx, ts-node, tap's) pass the error on
 * without its code.
 */
export function isNotFound (err: unknown, name: string): boolean {
  return err instanceof Error && err.message.includes(`Cannot find package '${name}'`)
}

/**
 * Imports an optional peer dependency. When it is not installed, rejects with a
 * `FST_COGNITO_MISSING_PEER` error whose one-line message names the feature and the install command;
 * any other failure (the peer is there but broken) is passed on as it is.
 *
 * @param feature What needs the peer, as the user knows it: `'fastify-cognito/local'`.
 * @param load How to import it; tests replace it.
 *
 * @example
 * ```ts
 * const { default: Provider } = await importOptionalPeer<typeof import('oidc-provider')>(
 *   { name: 'oidc-provider', range: '9', dev: true }, 'fastify-cognito/local')
 * // without it: "fastify-cognito/local needs oidc-provider: npm install --save-dev oidc-provider@9"
 * ```
 */
export async function importOptionalPeer<Module = unknown> (
  peer: OptionalPeer,
  feature: string,
  load: (specifier: string) => Promise<unknown> = async (specifier) => await import(specifier)
): Promise<Module> {
  try {
    return await load(peer.name) as Module
  } catch (err) {
    if (isNotFound(err, peer.name)) throw new MissingPeerError(feature, peer.name, installCommand(peer))
    throw err
  }
}
