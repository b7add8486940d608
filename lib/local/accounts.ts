import { createHash, timingSafeEqual } from 'node:crypto'
import type { ResolvedUser } from './options.js'

/** A pool user with its `sub` settled. */
export interface Account extends ResolvedUser {
  sub: string
}

type Claims = Record<string, unknown>

/** Cognito keeps every attribute as a string; these two are booleans in tokens and at userInfo. */
const BOOLEAN_ATTRIBUTES = new Set(['email_verified', 'phone_number_verified'])

/** Formats 16 bytes of a digest as a version 4 style UUID, the shape of Cognito's `sub`. */
export function uuidFrom (...parts: string[]): string {
  const bytes = createHash('sha256').update(parts.join('\0')).digest().subarray(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function attributeClaims (user: Account): Claims {
  const claims: Claims = { email: user.email, email_verified: true }
  for (const [name, value] of Object.entries(user.attributes)) {
    claims[name] = BOOLEAN_ATTRIBUTES.has(name) ? value === 'true' : value
  }
  return claims
}

function samePassword (expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest()
  const b = createHash('sha256').update(given).digest()
  return timingSafeEqual(a, b)
}

/** The users of the local pool, by username and by `sub`, and the claims they carry. */
export class AccountDirectory {
  readonly #accounts: Account[] = []
  readonly #bySub = new Map<string, Account>()
  readonly #byUsername = new Map<string, Account>()
  readonly #userPoolId: string

  constructor (userPoolId: string, users: ResolvedUser[]) {
    this.#userPoolId = userPoolId
    for (const user of users) this.add(user)
  }

  get accounts (): readonly Account[] {
    return this.#accounts
  }

  /** Adds a user (the sign-up page checks that the username is free). */
  add (user: ResolvedUser): Account {
    const account = { ...user, sub: user.sub ?? uuidFrom(this.#userPoolId, user.username) }
    this.#accounts.push(account)
    this.#bySub.set(account.sub, account)
    this.#byUsername.set(account.username, account)
    return account
  }

  hasUsername (username: string): boolean {
    return this.#byUsername.has(username)
  }

  findBySub (sub: string): Account | undefined {
    return this.#bySub.get(sub)
  }

  /** The account when the username exists and the password matches it, else `undefined`. */
  authenticate (username: string, password: string): Account | undefined {
    const account = this.#byUsername.get(username)
    return account !== undefined && samePassword(account.password, password) ? account : undefined
  }

  /** Every claim name an account can carry (oidc-provider only releases claims it was told about). */
  get claimNames (): string[] {
    const names = new Set(['sub', 'username', 'cognito:username', 'cognito:groups', 'email', 'email_verified'])
    for (const account of this.accounts) {
      for (const name of Object.keys(account.attributes)) names.add(name)
    }
    return [...names]
  }

  /** User claims of an ID token; `cognito:groups` is absent, never empty, for a user without groups. */
  static idTokenClaims (account: Account): Claims {
    return {
      'cognito:username': account.username,
      ...(account.groups?.length ? { 'cognito:groups': [...account.groups] } : {}),
      ...attributeClaims(account)
    }
  }

  /** What Cognito's `/oauth2/userInfo` answers: the attributes and `username`. */
  static userInfoClaims (account: Account): Claims {
    return { ...attributeClaims(account), username: account.username }
  }

  /** The user-specific claims of an access token. */
  static accessTokenClaims (account: Account): Claims {
    return {
      username: account.username,
      ...(account.groups?.length ? { 'cognito:groups': [...account.groups] } : {})
    }
  }
}
