import type { IncomingMessage } from 'node:http'
import type { KoaContext, Provider } from 'oidc-provider'
import { errorPage } from './pages.js'

/** Largest form body the hosted UI's pages accept, in bytes. */
export const FORM_LIMIT = 16 * 1024

class FormTooLarge extends Error {}

/** A form body (`application/x-www-form-urlencoded`); throws past `limit` bytes. */
export async function readForm (req: IncomingMessage, limit: number): Promise<URLSearchParams> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw new FormTooLarge()
    chunks.push(chunk)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

/** The form a page posted, or `undefined` once a 413 page has answered a body past {@link FORM_LIMIT}. */
export async function postedForm (ctx: KoaContext): Promise<URLSearchParams | undefined> {
  try {
    return await readForm(ctx.req, FORM_LIMIT)
  } catch {
    html(ctx, 413, errorPage('invalid_request', 'The form is too large.'))
    return undefined
  }
}

/** Answers with an HTML page, never cached. */
export function html (ctx: KoaContext, status: number, page: string): void {
  ctx.status = status
  ctx.type = 'html'
  ctx.set('Cache-Control', 'no-store')
  ctx.body = page
}

/** A query parameter given once, else `undefined`. */
export function queryString (ctx: KoaContext, name: string): string | undefined {
  const value = ctx.query[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * Ends the current sign-in interaction (the login form's, or the one a sign-up continues) with the
 * account `sub` signed in, and sends the browser on to the app.
 *
 * Signing in as someone else than the session's user (after `prompt=login`, or a sign-up while
 * signed in) starts a session for the new user, as Cognito does; oidc-provider would instead stop
 * on an RP-initiated-logout confirmation, which is turned off here. So the session is handed over
 * to the new account, without the previous user's client authorizations, before oidc-provider
 * resumes the authorization.
 */
export async function completeSignIn (provider: Provider, ctx: KoaContext, sub: string): Promise<void> {
  // First the result (oidc-provider refuses it once the session's user differs from the interaction's).
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: sub } }, { mergeWithLastSubmission: false })
  const session = await provider.Session.get(ctx)
  if (session.accountId !== undefined && session.accountId !== sub) {
    session.accountId = sub
    session.authorizations = {}
    await session.persist()
  }
  ctx.status = 303
  ctx.redirect(returnTo)
}
