/**
 * The few HTML pages the plugin answers itself. Every value put in them is HTML-escaped.
 */

function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** The page the callback answers when the session cookies are SameSite=Strict: it moves the browser to `returnTo` by itself. */
export function continuePage (returnTo: string): string {
  const url = escapeHtml(returnTo)
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${url}"><title>Signed in</title><p><a href="${url}">Continue</a></p>\n`
}

/** The page `GET /logout` answers when the request cannot show it came from this app: one button that posts the logout. */
export function confirmLogoutPage (path: string): string {
  return `<!doctype html><meta charset="utf-8"><title>Sign out</title><form method="post" action="${escapeHtml(path)}"><button type="submit">Sign out</button></form>\n`
}
