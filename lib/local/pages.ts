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
}

/**
 * The hosted UI's sign-in page: a plain form whose fields (`#username`, `#password`,
 * `#signInSubmitButton`, named like Cognito's) browser tests can rely on.
 */
export function loginPage ({ action, clientId, users, username = '', error }: LoginPageOptions): string {
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
