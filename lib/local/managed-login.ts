import { randomBytes } from 'node:crypto'
import type { KoaContext, Provider, UnknownObject } from 'oidc-provider'
import type { AccountDirectory } from './accounts.js'
import { html, postedForm, queryString } from './http.js'
import type { ResolvedClient, ResolvedUser } from './options.js'
import { errorPage, passkeyPage, signUpPage } from './pages.js'
import type { LocalCognitoStats } from './types.js'

/** Options of {@link managedLogin}. */
export interface ManagedLoginOptions {
  provider: Provider
  directory: AccountDirectory
  clients: ReadonlyMap<string, ResolvedClient>
  stats: LocalCognitoStats
  /** The pool's users as `LocalCognito.users` shows them; sign-ups are added. */
  users: ResolvedUser[]
  /** Clock in epoch milliseconds. */
  now?: () => number
}

/** The pages of Cognito's managed login beyond the login form, and what ties a sign-up to the sign-in. */
export interface ManagedLogin {
  /** `GET` and `POST /signup` with the query of an authorization request. */
  signUp (ctx: KoaContext): Promise<void>
  /** `GET /passkeys/add?client_id=...&redirect_uri=...`. */
  addPasskey (ctx: KoaContext): Promise<void>
  /** The account this browser has just created, once, if it is one the login form should sign in without asking. */
  takeSignedUp (ctx: KoaContext): string | undefined
  /** The sign-up page's URL for the parameters of an authorization request. */
  signUpUrl (params: UnknownObject): string
}

const SIGNUP_COOKIE = 'cognito-signup'
/** How long a new account waits for its first sign-in. */
const SIGNED_UP_TTL_MS = 5 * 60 * 1000
const COOKIE = { httpOnly: true, sameSite: 'lax', path: '/' } as const

/** Cognito's default password policy, with its messages. */
const PASSWORD_RULES: Array<[RegExp, string]> = [
  [/^.{8,}$/su, 'Password not long enough'],
  [/\p{Lu}/u, 'Password must have uppercase characters'],
  [/\p{Ll}/u, 'Password must have lowercase characters'],
  [/[0-9]/, 'Password must have numeric characters'],
  [/[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+-]/, 'Password must have symbol characters']
]

function searchParams (entries: Array<[string, unknown]>): URLSearchParams {
  const query = new URLSearchParams()
  for (const [name, value] of entries) if (typeof value === 'string') query.set(name, value)
  return query
}

function signUpError (username: string, email: string, password: string, taken: boolean): string | undefined {
  if (username === '' || email === '' || password === '') return 'Username, email and password are required.'
  if (/\s/u.test(username) || username.length > 128) return 'Username cannot contain spaces and is at most 128 characters.'
  if (!/^[^\s@]+@[^\s@]+$/u.test(email)) return 'Invalid email address format.'
  const broken = PASSWORD_RULES.find(([rule]) => !rule.test(password))
  if (broken !== undefined) return `Password did not conform with policy: ${broken[1]}`
  return taken ? 'User already exists' : undefined
}

/**
 * Cognito's managed-login pages beyond the login form:
 *
 * - `/signup` with the query of an authorization request: a form (username, email, password,
 *   checked against Cognito's default password policy) that adds the user to the pool and then
 *   continues the authorization, signed in as the new user (through the login form's interaction,
 *   which {@link ManagedLogin.takeSignedUp} completes without asking), as Cognito does after a
 *   sign-up. There is no confirmation code: the email counts as verified.
 * - `/passkeys/add`: a stub that says what Cognito would show and links back to the app.
 */
export function managedLogin ({ provider, directory, clients, stats, users, now = Date.now }: ManagedLoginOptions): ManagedLogin {
  /** Random cookie value to the `sub` of the account created and its deadline. */
  const signedUp = new Map<string, { sub: string, until: number }>()

  /** The client and its registered callback URL the query names, or an error page. */
  function checkClient (ctx: KoaContext): string | undefined {
    const clientId = queryString(ctx, 'client_id')
    const client = clientId === undefined ? undefined : clients.get(clientId)
    if (client === undefined || !client.allowedOAuthFlows.includes('code')) {
      html(ctx, 400, errorPage('invalid_request', 'client_id is missing, unknown, or not a client users sign in to.'))
      return undefined
    }
    const redirectUri = queryString(ctx, 'redirect_uri')
    if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
      html(ctx, 400, errorPage('redirect_mismatch', 'redirect_uri is missing or not a callback URL of this client.'))
      return undefined
    }
    return clientId
  }

  async function signUp (ctx: KoaContext): Promise<void> {
    const clientId = checkClient(ctx)
    if (clientId === undefined) return
    const query = searchParams(Object.entries(ctx.query))
    const page = { action: `/signup?${query}`, clientId, signInUrl: `/oauth2/authorize?${query}` }
    if (ctx.method !== 'POST') {
      html(ctx, 200, signUpPage(page))
      return
    }
    const form = await postedForm(ctx)
    if (form === undefined) return
    const [username, email, password] = ['username', 'email', 'password'].map((name) => form.get(name)?.trim() ?? '') as [string, string, string]
    const error = signUpError(username, email, password, directory.hasUsername(username))
    if (error !== undefined) {
      html(ctx, 200, signUpPage({ ...page, username, email, error }))
      return
    }
    const user: ResolvedUser = { username, password, email, attributes: {} }
    const account = directory.add(user)
    users.push(user)
    stats.signUps++
    const ticket = randomBytes(24).toString('base64url')
    for (const [old, entry] of signedUp) if (entry.until <= now()) signedUp.delete(old)
    signedUp.set(ticket, { sub: account.sub, until: now() + SIGNED_UP_TTL_MS })
    ctx.cookies.set(SIGNUP_COOKIE, ticket, COOKIE)
    // prompt=login: the login form's interaction, which signs the new user in, even over a live session.
    query.set('prompt', 'login')
    ctx.status = 303
    ctx.redirect(`/oauth2/authorize?${query}`)
  }

  function takeSignedUp (ctx: KoaContext): string | undefined {
    const ticket = ctx.cookies.get(SIGNUP_COOKIE)
    if (ticket === undefined) return undefined
    ctx.cookies.set(SIGNUP_COOKIE, null, COOKIE)
    const entry = signedUp.get(ticket)
    signedUp.delete(ticket)
    return entry !== undefined && entry.until > now() ? entry.sub : undefined
  }

  async function addPasskey (ctx: KoaContext): Promise<void> {
    if (checkClient(ctx) === undefined) return
    const session = await provider.Session.get(ctx)
    const account = session.accountId === undefined ? undefined : directory.findBySub(session.accountId)
    html(ctx, account === undefined ? 401 : 200, passkeyPage({ returnTo: queryString(ctx, 'redirect_uri')!, username: account?.username }))
  }

  return {
    signUp,
    addPasskey,
    takeSignedUp,
    signUpUrl: (params) => `/signup?${searchParams(Object.entries(params))}`
  }
}
