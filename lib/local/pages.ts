import type { LocalCognitoUser } from './types.js'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char]!)
}

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#16191f}' +
  'label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem}' +
  'button{padding:.6rem;background:#ec7211;color:#fff;border:0;font-weight:600;cursor:pointer}' +
  '#error{color:#d13212;font-weight:600}table{width:100%;border-collapse:collapse;margin-top:2rem;font-size:.9rem}' +
  'th,td{text-align:left;padding:.25rem;border-bottom:1px solid #eaeded}code{background:#f2f3f3;padding:0 .2rem}'

function layout (title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`
}

/** What the login page shows. */
export interface LoginPageOptions {
  /** Where the form posts to. */
  action: string
  /** The app client the user signs in to. */
  clientId: string
  /** The pool's users, listed with their passwords: this is a development stand-in. */
  users: readonly LocalCognitoUser[]
  /** The username to fill in again after a failed attempt. */
  username?: string
  /** The message after a failed attempt. */
  error?: string
  /** The sign-up page for the same authorization request. */
  signUpUrl?: string
}

/**
 * The hosted UI's sign-in page: a plain form whose fields (`#username`, `#password`,
 * `#signInSubmitButton`, named like Cognito's) browser tests can rely on.
 */
export function loginPage ({ action, clientId, users, username = '', error, signUpUrl }: LoginPageOptions): string {
  const rows = users.map((user) => `<tr><td><code>${escapeHtml(user.username)}</code></td>` +
    `<td><code>${escapeHtml(user.password)}</code></td><td>${escapeHtml(user.email)}</td>` +
    `<td>${escapeHtml((user.groups ?? []).join(', '))}</td></tr>`).join('\n')
  return layout('Sign in', `<h1>Sign in</h1>
<p>Local Cognito stand-in, signing in to <code>${escapeHtml(clientId)}</code>.</p>
${error === undefined ? '' : `<p id="error" role="alert">${escapeHtml(error)}</p>`}
<form id="login-form" method="post" action="${escapeHtml(action)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required autofocus value="${escapeHtml(username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="signInSubmitButton" name="signInSubmitButton" type="submit">Sign in</button>
</form>
${signUpUrl === undefined ? '' : `<p>Need an account? <a id="signup-link" href="${escapeHtml(signUpUrl)}">Sign up</a></p>`}
<table id="demo-users">
<caption>Users of this local pool</caption>
<thead><tr><th>Username</th><th>Password</th><th>Email</th><th>Groups</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`)
}

/** An error page; the stand-in shows one wherever redirecting back to the app is not safe. */
export function errorPage (error: string, description?: string): string {
  return layout('Error', `<h1>Something went wrong</h1>
<p id="error"><code>${escapeHtml(error)}</code></p>
${description === undefined ? '' : `<p id="error_description">${escapeHtml(description)}</p>`}`)
}

/** What the sign-up page shows. */
export interface SignUpPageOptions {
  /** Where the form posts to: `/signup` with the authorization request's query. */
  action: string
  /** The app client the user signs up to. */
  clientId: string
  /** The authorization request, to sign in with an existing account instead. */
  signInUrl: string
  /** The values to fill in again after a refused attempt. */
  username?: string
  email?: string
  /** Why the last attempt was refused. */
  error?: string
}

/**
 * The managed login's sign-up page: `#username`, `#email`, `#password` and `#signUpButton`.
 */
export function signUpPage ({ action, clientId, signInUrl, username = '', email = '', error }: SignUpPageOptions): string {
  return layout('Sign up', `<h1>Sign up</h1>
<p>Local Cognito stand-in, creating an account for <code>${escapeHtml(clientId)}</code>.</p>
${error === undefined ? '' : `<p id="error" role="alert">${escapeHtml(error)}</p>`}
<form id="signup-form" method="post" action="${escapeHtml(action)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required autofocus value="${escapeHtml(username)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(email)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required>
<p><small>At least 8 characters, with an upper-case and a lower-case letter, a number and a symbol.</small></p>
<button id="signUpButton" name="signUpButton" type="submit">Sign up</button>
</form>
<p>Already have an account? <a id="signin-link" href="${escapeHtml(signInUrl)}">Sign in</a></p>`)
}

/** What the passkey enrolment stub shows. */
export interface PasskeyPageOptions {
  /** The app's registered callback URL the page returns to. */
  returnTo: string
  /** The signed-in user, or `undefined` without a live sign-in session. */
  username: string | undefined
}

/**
 * `/passkeys/add`: says what Cognito's managed login would do there (it is not emulated) and
 * links back to the app.
 */
export function passkeyPage ({ returnTo, username }: PasskeyPageOptions): string {
  const requirements = '<p>Cognito shows this page only with managed login (the Essentials or Plus feature plan), ' +
    'passkey sign-in turned on for the user pool, and a live managed-login session.</p>'
  const body = username === undefined
    ? `<p id="error" role="alert">No live sign-in session: passkey enrolment needs one. Sign in first.</p>
${requirements}`
    : `<p>Signed in as <code id="username">${escapeHtml(username)}</code>.</p>
<p>Cognito's managed login would now ask the browser to create a passkey (WebAuthn) for this user pool and
register it on the user. The local stand-in does not enrol passkeys.</p>
${requirements}`
  return layout('Add a passkey', `<h1>Add a passkey</h1>
${body}
<p><a id="return-link" href="${escapeHtml(returnTo)}">Return to the application</a></p>`)
}
