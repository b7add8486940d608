import { parsePoolId } from '../util/pool-id.js'
import type { LocalCognitoClient, LocalCognitoOAuthFlow, LocalCognitoOptions, LocalCognitoResourceServer, LocalCognitoUser } from './types.js'

/**
 * The default confidential client's credentials: fixed, so that an app can be configured once.
 *
 * @example
 * ```ts
 * const { clientId, clientSecret } = DEFAULT_CONFIDENTIAL_CLIENT // 'local-confidential-client', 'local-confidential-secret-change-me'
 * ```
 */
export const DEFAULT_CONFIDENTIAL_CLIENT = Object.freeze({
  clientId: 'local-confidential-client',
  clientSecret: 'local-confidential-secret-change-me'
})

/**
 * The default public client: no secret, `client_id` in the token request body.
 *
 * @example
 * ```ts
 * DEFAULT_PUBLIC_CLIENT.clientId // 'local-public-client'
 * ```
 */
export const DEFAULT_PUBLIC_CLIENT = Object.freeze({ clientId: 'local-public-client' })

/**
 * The default machine-to-machine client (client-credentials grant): fixed credentials, and the
 * custom scopes of the default `orders` resource server.
 *
 * @example
 * ```ts
 * const { clientId, clientSecret } = DEFAULT_MACHINE_CLIENT // 'local-machine-client', 'local-machine-secret-change-me'
 * // POST <domain>/oauth2/token, HTTP Basic, grant_type=client_credentials&scope=orders/read
 * ```
 */
export const DEFAULT_MACHINE_CLIENT = Object.freeze({
  clientId: 'local-machine-client',
  clientSecret: 'local-machine-secret-change-me',
  scopes: Object.freeze(['orders/read', 'orders/write'])
})

/**
 * The default resource server: `orders`, with custom scopes `orders/read` and `orders/write`.
 *
 * @example
 * ```ts
 * DEFAULT_RESOURCE_SERVER.identifier // 'orders'
 * ```
 */
export const DEFAULT_RESOURCE_SERVER = Object.freeze({ identifier: 'orders', scopes: Object.freeze(['read', 'write']) })

/**
 * Password of the default users, alice and bob.
 *
 * @example
 * ```ts
 * await browser.signIn(authorizeUrl, { username: 'alice', password: DEFAULT_PASSWORD })
 * ```
 */
export const DEFAULT_PASSWORD = 'Passw0rd!'

const DAY = 24 * 60 * 60

/** A user after validation: `attributes` is always there. */
export type ResolvedUser = LocalCognitoUser & { attributes: Record<string, string> }

/** A client after validation: every list is there. */
export type ResolvedClient = Required<Omit<LocalCognitoClient, 'clientSecret'>> & Pick<LocalCognitoClient, 'clientSecret'>

/** The options after validation, with every default applied. */
export interface ResolvedOptions {
  host: string
  port: number
  userPoolId: string
  region: string
  clients: ResolvedClient[]
  /** Every custom scope of the resource servers, `<identifier>/<name>`. */
  customScopes: Set<string>
  users: ResolvedUser[]
  accessTokenTtl: number
  refreshTokenTtl: number
  rotationGracePeriod: number
}

function defaultUsers (): ResolvedUser[] {
  // A realistic profile makes the ID token about as large as a real Cognito one (~1,750 bytes).
  const profile = (first: string, zone: string, employeeId: string): Record<string, string> => ({
    name: `${first} Example`,
    given_name: first,
    middle_name: 'Q.',
    family_name: 'Example',
    nickname: first,
    preferred_username: first.toLowerCase(),
    birthdate: '1990-04-01',
    website: `https://${first.toLowerCase()}.example.com`,
    locale: 'en-US',
    zoneinfo: zone,
    phone_number: '+15555550100',
    phone_number_verified: 'true',
    picture: `https://example.com/avatars/${first.toLowerCase()}.png`,
    'custom:tenant': 'acme',
    'custom:department': 'engineering',
    'custom:employee_id': employeeId
  })
  return [
    { username: 'alice', password: DEFAULT_PASSWORD, email: 'alice@example.com', groups: ['admin', 'editor'], attributes: profile('Alice', 'America/New_York', 'E-10042') },
    { username: 'bob', password: DEFAULT_PASSWORD, email: 'bob@example.com', attributes: profile('Bob', 'Europe/Berlin', 'E-20042') }
  ]
}

function fail (name: string, expectation: string): never {
  throw new TypeError(`local Cognito: option ${name} must be ${expectation}`)
}

function isNonEmptyString (value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

function checkInteger (name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(name, `an integer from ${min} to ${max}`)
  }
  return value
}

function checkStringList (name: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every(isNonEmptyString)) {
    fail(name, 'an array of non-empty strings')
  }
  return [...value]
}

/**
 * Cognito accepts absolute callback and sign-out URLs, `https://`, or `http://` only for localhost.
 */
function checkUrls (name: string, value: unknown): string[] {
  const urls = checkStringList(name, value)
  for (const url of urls) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      fail(name, `a list of absolute URLs (got ${JSON.stringify(url)})`)
    }
    const localhost = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname)
    if (parsed.hash !== '' || !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && localhost))) {
      fail(name, `a list of https:// URLs (http:// only for localhost) without a fragment (got ${JSON.stringify(url)})`)
    }
  }
  return urls
}

function checkFlows (at: string, value: unknown): LocalCognitoOAuthFlow[] {
  const flows = value ?? ['code']
  // Cognito refuses client_credentials together with a user flow on one app client.
  if (!Array.isArray(flows) || flows.length !== 1 || !['code', 'client_credentials'].includes(flows[0])) {
    fail(`${at}.allowedOAuthFlows`, "['code'] or ['client_credentials'] (Cognito does not mix them on one client)")
  }
  return [...flows]
}

function checkClients (value: unknown, customScopes: Set<string>): ResolvedClient[] {
  if (!Array.isArray(value) || value.length === 0) fail('clients', 'a non-empty array')
  const seen = new Set<string>()
  return value.map((client: Partial<LocalCognitoClient>, i) => {
    const at = `clients[${i}]`
    if (typeof client !== 'object' || client === null) fail(at, 'an object')
    if (!isNonEmptyString(client.clientId)) fail(`${at}.clientId`, 'a non-empty string')
    if (seen.has(client.clientId)) fail(`${at}.clientId`, `unique (${client.clientId} appears twice)`)
    seen.add(client.clientId)
    if (client.clientSecret !== undefined && !isNonEmptyString(client.clientSecret)) fail(`${at}.clientSecret`, 'a non-empty string when given')
    if (client.refreshTokenRotation !== undefined && typeof client.refreshTokenRotation !== 'boolean') fail(`${at}.refreshTokenRotation`, 'a boolean')
    const allowedOAuthFlows = checkFlows(at, client.allowedOAuthFlows)
    const machine = allowedOAuthFlows[0] === 'client_credentials'
    let scopes: string[] = []
    if (machine) {
      if (client.clientSecret === undefined) fail(`${at}.clientSecret`, 'given for a client_credentials client (Cognito requires a secret)')
      scopes = checkStringList(`${at}.scopes`, client.scopes)
      const unknown = scopes.find((scope) => !customScopes.has(scope))
      if (scopes.length === 0 || unknown !== undefined) {
        fail(`${at}.scopes`, `a non-empty list of custom scopes of options.resourceServers (got ${JSON.stringify(unknown)})`)
      }
    } else if (client.scopes !== undefined) {
      fail(`${at}.scopes`, 'left out for a code client (only client_credentials clients have custom scopes here)')
    }
    return {
      clientId: client.clientId,
      ...(client.clientSecret === undefined ? {} : { clientSecret: client.clientSecret }),
      redirectUris: machine && client.redirectUris === undefined ? [] : checkUrls(`${at}.redirectUris`, client.redirectUris),
      logoutUris: machine && client.logoutUris === undefined ? [] : checkUrls(`${at}.logoutUris`, client.logoutUris),
      refreshTokenRotation: client.refreshTokenRotation ?? false,
      allowedOAuthFlows,
      scopes
    }
  })
}

function checkResourceServers (value: unknown): Set<string> {
  const servers = value ?? [DEFAULT_RESOURCE_SERVER]
  if (!Array.isArray(servers)) fail('resourceServers', 'an array')
  const scopes = new Set<string>()
  servers.forEach((server: Partial<LocalCognitoResourceServer>, i) => {
    const at = `resourceServers[${i}]`
    if (typeof server !== 'object' || server === null) fail(at, 'an object')
    if (!isNonEmptyString(server.identifier) || /\s/.test(server.identifier)) fail(`${at}.identifier`, 'a non-empty string without spaces')
    for (const name of checkStringList(`${at}.scopes`, server.scopes)) {
      if (/[\s/]/.test(name)) fail(`${at}.scopes`, `scope names without spaces or '/' (got ${JSON.stringify(name)})`)
      scopes.add(`${server.identifier}/${name}`)
    }
  })
  return scopes
}

function checkUsers (value: unknown): ResolvedUser[] {
  if (!Array.isArray(value) || value.length === 0) fail('users', 'a non-empty array')
  const seen = new Set<string>()
  return value.map((user: Partial<LocalCognitoUser>, i) => {
    const at = `users[${i}]`
    if (typeof user !== 'object' || user === null) fail(at, 'an object')
    for (const key of ['username', 'password', 'email'] as const) {
      if (!isNonEmptyString(user[key])) fail(`${at}.${key}`, 'a non-empty string')
    }
    const username = user.username as string
    if (seen.has(username)) fail(`${at}.username`, `unique (${username} appears twice)`)
    seen.add(username)
    if (user.sub !== undefined && !isNonEmptyString(user.sub)) fail(`${at}.sub`, 'a non-empty string when given')
    const attributes = user.attributes ?? {}
    if (typeof attributes !== 'object' || !Object.values(attributes).every((v) => typeof v === 'string')) {
      fail(`${at}.attributes`, 'an object of string values')
    }
    return {
      username,
      password: user.password as string,
      email: user.email as string,
      ...(user.groups === undefined ? {} : { groups: checkStringList(`${at}.groups`, user.groups) }),
      attributes: { ...attributes },
      ...(user.sub === undefined ? {} : { sub: user.sub })
    }
  })
}

/**
 * Validates the options once, with messages that name the option, and applies the defaults.
 */
export function resolveOptions (options: LocalCognitoOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'an object')
  const host = options.host ?? '127.0.0.1'
  if (!isNonEmptyString(host)) fail('host', 'a non-empty string')
  const port = checkInteger('port', options.port ?? 0, 0, 65535)
  const userPoolId = options.userPoolId ?? 'us-east-1_LocalPool'
  // Cognito pool ids are `<region>_<id>`; the plugin reads the region from the part before `_`.
  const poolId = parsePoolId(userPoolId)
  // The stand-in serves a pool of a real region: its issuer is built from it, as Cognito's is.
  if (poolId?.region === undefined) {
    fail('userPoolId', "of the form '<region>_<id>', for example 'us-east-1_LocalPool'")
  }
  const rotation = options.refreshTokenRotation ?? false
  if (typeof rotation !== 'boolean') fail('refreshTokenRotation', 'a boolean')

  const customScopes = checkResourceServers(options.resourceServers)
  let clients: ResolvedClient[]
  if (options.clients === undefined) {
    const redirectUris = checkUrls('redirectUris', options.redirectUris ?? ['http://localhost:3000/postlogin'])
    const logoutUris = checkUrls('logoutUris', options.logoutUris ?? ['http://localhost:3000/postlogout'])
    const user = { refreshTokenRotation: rotation, allowedOAuthFlows: ['code' as const], scopes: [] }
    // The machine client keeps only the default scopes that the resource servers define.
    const machineScopes = DEFAULT_MACHINE_CLIENT.scopes.filter((scope) => customScopes.has(scope))
    clients = [
      { ...DEFAULT_CONFIDENTIAL_CLIENT, redirectUris, logoutUris, ...user },
      { ...DEFAULT_PUBLIC_CLIENT, redirectUris: [...redirectUris], logoutUris: [...logoutUris], ...user },
      ...(machineScopes.length === 0
        ? []
        : [{ ...DEFAULT_MACHINE_CLIENT, redirectUris: [], logoutUris: [], refreshTokenRotation: false, allowedOAuthFlows: ['client_credentials' as const], scopes: machineScopes }])
    ]
  } else {
    clients = checkClients(options.clients, customScopes)
  }

  return {
    host,
    port,
    userPoolId,
    region: poolId.region,
    clients,
    customScopes,
    users: options.users === undefined ? defaultUsers() : checkUsers(options.users),
    accessTokenTtl: checkInteger('accessTokenTtl', options.accessTokenTtl ?? 3600, 1, 10 * 365 * DAY),
    refreshTokenTtl: checkInteger('refreshTokenTtl', options.refreshTokenTtl ?? 30 * DAY, 1, 10 * 365 * DAY),
    rotationGracePeriod: checkInteger('rotationGracePeriod', options.rotationGracePeriod ?? 0, 0, 60)
  }
}
