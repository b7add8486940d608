/**
 * Debian's Chromium, which the browser tests drive with playwright-core (never a browser a tool
 * downloads): where it is, why a test skips without it, and one way to launch it.
 */
import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import type { Teardown } from './teardown.js'

export const CHROMIUM = '/usr/bin/chromium'
/** The password the browser tests' users sign in with. */
export const PASSWORD = 'Passw0rd!'
/** tap's `skip` for a browser test: `false`, or why it cannot run here. */
export const skipWithoutChromium: false | string = existsSync(CHROMIUM) ? false : `chromium not installed at ${CHROMIUM}: run apt-get install chromium`

/** Headless Chromium, closed when the test ends; playwright-core is loaded only by a test that runs. */
export async function launchChromium (t: Teardown): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  return browser
}
