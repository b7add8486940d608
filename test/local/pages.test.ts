import t from 'tap'
import { errorPage, escapeHtml, loginPage } from '../../lib/local/pages.js'

t.test('pages escape every character that matters in HTML text and attributes', async (t) => {
  t.equal(escapeHtml('<a href="x" title=\'y\'>&</a>'), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
  const page = errorPage('<bad>', 'a "quoted" & <b>bold</b> description')
  t.match(page, '<code>&lt;bad&gt;</code>')
  t.match(page, '<p id="error_description">a &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; description</p>')
})

t.test('an error without description shows the error code only', async (t) => {
  const page = errorPage('server_error')
  t.match(page, '<p id="error"><code>server_error</code></p>')
  t.notMatch(page, 'error_description')
})

t.test('the login page lists users with and without groups, escaped', async (t) => {
  const page = loginPage({
    action: '/login/abc',
    clientId: 'c<1>',
    users: [{ username: 'a&b', password: 'p"w', email: 'x@example.com', groups: ['g1', 'g2'] }, { username: 'c', password: 'q', email: 'c@example.com' }]
  })
  t.match(page, '<form id="login-form" method="post" action="/login/abc">')
  t.match(page, '<code>c&lt;1&gt;</code>')
  t.match(page, '<tr><td><code>a&amp;b</code></td><td><code>p&quot;w</code></td><td>x@example.com</td><td>g1, g2</td></tr>')
  t.match(page, '<tr><td><code>c</code></td><td><code>q</code></td><td>c@example.com</td><td></td></tr>')
  t.notMatch(page, 'id="error"', 'no error before the first attempt')
})
