#!/usr/bin/env node
/**
 * `fastify-cognito-local`: runs the local Cognito stand-in until SIGINT or SIGTERM and prints what an
 * app needs to use it (domain, issuer, pool id, clients, users and passwords).
 *
 * Environment: `HOST` (default `127.0.0.1`), `PORT` (default 4000; `0` picks a free one),
 * `USER_POOL_ID`, `REDIRECT_URIS` and `LOGOUT_URIS` (comma separated), `REFRESH_TOKEN_ROTATION=true`.
 */
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { loadServer } from './require-peer.js'
import type { LocalCognito, LocalCognitoOptions } from './types.js'

/** Port of the command when `PORT` is not set: a fixed one, so that an app's configuration keeps working. */
export const DEFAULT_CLI_PORT = 4000

/** What the command reads and writes; `process` in real use, fakes in tests. */
export interface CliIo {
  env: Record<string, string | undefined>
  stdout: { write: (text: string) => unknown }
  /** Where SIGINT and SIGTERM arrive. */
  signals: {
    once: (event: 'SIGINT' | 'SIGTERM', listener: () => void) => unknown
    off: (event: 'SIGINT' | 'SIGTERM', listener: () => void) => unknown
  }
}

function list (value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '')
}

/** The stand-in's options from the environment. */
export function optionsFromEnv (env: CliIo['env']): LocalCognitoOptions {
  const port = env.PORT ?? String(DEFAULT_CLI_PORT)
  if (!/^\d{1,5}$/.test(port)) throw new TypeError(`PORT must be a port number, got ${JSON.stringify(port)}`)
  return {
    host: env.HOST ?? '127.0.0.1',
    port: Number(port),
    ...(env.USER_POOL_ID === undefined ? {} : { userPoolId: env.USER_POOL_ID }),
    ...(env.REDIRECT_URIS === undefined ? {} : { redirectUris: list(env.REDIRECT_URIS) }),
    ...(env.LOGOUT_URIS === undefined ? {} : { logoutUris: list(env.LOGOUT_URIS) }),
    refreshTokenRotation: env.REFRESH_TOKEN_ROTATION === 'true'
  }
}

/** The banner the command prints: everything needed to point an app at the stand-in. */
export function describe (local: LocalCognito): string {
  const lines = [
    'Local Cognito stand-in (fastify-cognito). For development and tests only.',
    '',
    `  domain (hosted UI)  ${local.domain}`,
    `  issuer              ${local.issuer}`,
    `  user pool id        ${local.userPoolId} (region ${local.region})`,
    `  JWKS                ${local.issuer}/.well-known/jwks.json`,
    `  discovery           ${local.issuer}/.well-known/openid-configuration`,
    '',
    'App clients:'
  ]
  for (const client of local.registeredClients) {
    lines.push(`  ${client.clientId}  ${client.clientSecret === undefined ? '(public, no secret)' : `secret ${client.clientSecret}`}` +
      `${client.refreshTokenRotation === true ? '  refresh token rotation on' : ''}`)
    if (client.allowedOAuthFlows?.includes('client_credentials') === true) {
      lines.push(`    client credentials (machine to machine), scopes  ${client.scopes!.join(' ')}`)
    } else {
      lines.push(`    callback URLs  ${client.redirectUris!.join(', ')}`)
      lines.push(`    sign-out URLs  ${client.logoutUris!.join(', ')}`)
    }
  }
  lines.push('', 'Users (username / password):')
  for (const user of local.users) {
    const groups = user.groups?.length ? `  groups ${user.groups.join(', ')}` : ''
    lines.push(`  ${user.username} / ${user.password}  ${user.email}${groups}`)
  }
  lines.push('', 'Press Ctrl+C to stop.', '')
  return lines.join('\n')
}

/**
 * Starts the stand-in from the environment, prints {@link describe}, and stops it on SIGINT or SIGTERM.
 * Rejects with `FST_COGNITO_MISSING_PEER` when oidc-provider is not installed.
 *
 * @example
 * ```ts
 * const local = await main({ env: { PORT: '0' }, stdout: process.stdout, signals: process })
 * ```
 */
export async function main (io: CliIo = { env: process.env, stdout: process.stdout, signals: process }): Promise<LocalCognito> {
  const options = optionsFromEnv(io.env)
  // Without oidc-provider: "fastify-cognito-local: the local Cognito stand-in needs oidc-provider: npm install ...".
  const { startLocalCognito } = await loadServer('the local Cognito stand-in')
  const local = await startLocalCognito(options)
  io.stdout.write(describe(local))
  const stop = (): void => {
    io.signals.off('SIGINT', stop)
    io.signals.off('SIGTERM', stop)
    local.close().then(() => io.stdout.write('Stopped.\n'))
  }
  io.signals.once('SIGINT', stop)
  io.signals.once('SIGTERM', stop)
  return local
}

/** Whether the module at `moduleUrl` is the script node was started with (through npm's bin link too). */
export function isEntryPoint (moduleUrl: string, scriptPath: string | undefined): boolean {
  if (scriptPath === undefined) return false
  try {
    return pathToFileURL(realpathSync(scriptPath)).href === moduleUrl
  } catch {
    return false
  }
}

if (isEntryPoint(import.meta.url, process.argv[1])) {
  main().catch((err: Error) => {
    process.stderr.write(`fastify-cognito-local: ${err.message}\n`)
    process.exitCode = 1
  })
}
