/**
 * The slice of oidc-provider 9 (an untyped JavaScript package, and an optional peer dependency of
 * this one) that the local Cognito stand-in uses. Only `lib/local/` imports oidc-provider, and no
 * public declaration of `fastify-cognito/local` refers to these types, so consumers never need them.
 *
 * Written from oidc-provider's sources (lib/provider.js, lib/helpers/defaults.js, lib/models/*).
 */
declare module 'oidc-provider' {
  import type { EventEmitter } from 'node:events'
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export type UnknownObject = Record<string, unknown>

  export interface CookieOptions {
    httpOnly?: boolean
    sameSite?: 'lax' | 'strict' | 'none'
    path?: string
    maxAge?: number
    signed?: boolean
    overwrite?: boolean
  }

  export interface Cookies {
    get (name: string, options?: CookieOptions): string | undefined
    set (name: string, value: string | null, options?: CookieOptions): unknown
  }

  /** What oidc-provider stores about one request (`ctx.oidc`). */
  export interface OIDCContext {
    route?: string
    params?: UnknownObject
    client?: Client
    entities: {
      AccessToken?: AccessToken
      AuthorizationCode?: BaseToken & { authTime?: number }
      RefreshToken?: RefreshToken
      RotatedRefreshToken?: RefreshToken
      Client?: Client
      [name: string]: unknown
    }
    requestParamOIDCScopes: Set<string>
    /** The parsed request body (token, revocation and other POST endpoints). */
    body?: UnknownObject
    session?: Session
  }

  /** A Koa context, as far as the stand-in uses it. */
  export interface KoaContext {
    req: IncomingMessage
    res: ServerResponse
    method: string
    path: string
    query: Record<string, string | string[] | undefined>
    status: number
    body: unknown
    type: string
    cookies: Cookies
    oidc?: OIDCContext
    response: { get (field: string): string | undefined }
    redirect (url: string): void
    set (field: string, value: string): void
  }

  export type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void

  export interface Client {
    clientId: string
    clientAuthMethod: string
  }

  export interface BaseToken {
    jti: string
    kind: string
    iat?: number
    exp?: number
    clientId?: string
    accountId?: string
    grantId?: string
    scope?: string
    remainingTTL: number
  }

  export interface AccessToken extends BaseToken {
    extra?: UnknownObject
    getValueAndPayload (): Promise<{ value: string, payload?: UnknownObject }>
  }

  export interface ClientCredentials extends BaseToken {
    getValueAndPayload (): Promise<{ value: string, payload?: UnknownObject }>
  }

  export interface ClientCredentialsStatic {
    prototype: ClientCredentials
  }

  export interface AccessTokenStatic {
    prototype: AccessToken
    find (value: unknown, options?: UnknownObject): Promise<AccessToken | undefined>
  }

  export interface RefreshToken extends BaseToken {
    authTime?: number
    iiat?: number
  }

  export interface Session {
    accountId?: string
    uid: string
    /** Per-client authorizations (grant ids, sids) of the session. */
    authorizations?: UnknownObject
    destroy (): Promise<void>
    /** Saves a stored session again, keeping its expiry. */
    persist (): Promise<string>
  }

  export interface SessionStatic {
    get (ctx: KoaContext): Promise<Session>
  }

  export interface Grant {
    jti?: string
    addOIDCScope (scope: string): void
    save (): Promise<string>
  }

  export interface GrantStatic {
    new (properties: { accountId: string, clientId: string }): Grant
    find (id: string): Promise<Grant | undefined>
  }

  export interface IdToken {
    ctx?: KoaContext
    extra: UnknownObject
    set (key: string, value: unknown): void
    issue (options: { use: string, expiresAt?: number }): Promise<string>
  }

  export interface IdTokenStatic {
    prototype: IdToken
  }

  export interface ClientStatic {
    find (id: string): Promise<Client | undefined>
  }

  export interface InteractionDetails {
    uid: string
    prompt: { name: string, reasons: string[] }
    params: UnknownObject
  }

  export interface Account {
    accountId: string
    claims (use: string, scope: string): Promise<UnknownObject> | UnknownObject
  }

  export interface AdapterPayload extends UnknownObject {
    grantId?: string
    uid?: string
    consumed?: number
  }

  /** `findByUserCode` is left out: only the device flow, which is off, uses it. */
  export interface Adapter {
    upsert (id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>
    find (id: string): Promise<AdapterPayload | undefined>
    findByUid (uid: string): Promise<AdapterPayload | undefined>
    consume (id: string): Promise<void>
    destroy (id: string): Promise<void>
    revokeByGrantId (grantId: string): Promise<void>
  }

  export type Configuration = UnknownObject

  /** oidc-provider's error classes; thrown from an adapter, they become the endpoint's error answer. */
  export const errors: {
    InvalidGrant: new (detail?: string) => Error & { error: string, status: number }
    InvalidScope: new (description: string, scope: string) => Error & { error: string, status: number }
  }

  export class Provider extends EventEmitter {
    constructor (issuer: string, configuration?: Configuration)
    /** The context of the request being handled (oidc-provider's AsyncLocalStorage). */
    static readonly ctx: KoaContext | undefined
    issuer: string
    keys?: string[]
    AccessToken: AccessTokenStatic
    ClientCredentials: ClientCredentialsStatic
    IdToken: IdTokenStatic
    Session: SessionStatic
    Grant: GrantStatic
    Client: ClientStatic
    callback (): (req: IncomingMessage, res: ServerResponse) => void
    use (middleware: Middleware): this
    cookieName (type: 'session' | 'interaction' | 'resume'): string
    interactionDetails (req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>
    interactionResult (
      req: IncomingMessage,
      res: ServerResponse,
      result: UnknownObject,
      options?: { mergeWithLastSubmission?: boolean }
    ): Promise<string>
  }

  export default Provider
}
