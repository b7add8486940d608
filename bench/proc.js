// Readers of /proc for the benchmark: a process's CPU time, each core's busy time, the load average,
// and the machine facts printed with the results. Linux only; elsewhere every reader returns null and
// the benchmark says that it could not measure CPU time or noise.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'

function read (path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** Clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat and /proc/stat. */
export const CLK_TCK = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100
  } catch {
    return 100
  }
})()

/** utime + stime of a process, in clock ticks; null when /proc is not there. */
export function processTicks (pid) {
  const stat = read(`/proc/${pid}/stat`)
  if (stat === null) return null
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields 14 (utime) and 15 (stime) of proc(5); fields[0] is field 3 (state).
  return Number(fields[11]) + Number(fields[12])
}

/**
 * Per-core counters of /proc/stat, in clock ticks: `busy` is user + nice + system (the time that
 * processes ran: what a process's utime + stime adds up to), `steal` what the hypervisor took,
 * `total` every column. Interrupt and softirq time is left out of `busy`: the loopback network
 * stack runs there for every process, ours included, and is not charged to any process.
 */
export function coreTicks () {
  const stat = read('/proc/stat')
  if (stat === null) return null
  const cores = {}
  for (const line of stat.split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line)
    if (!match) continue
    const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2].trim().split(/\s+/).map(Number)
    cores[match[1]] = { busy: user + nice + system, steal: steal ?? 0, total: user + nice + system + idle + iowait + irq + softirq + (steal ?? 0) }
  }
  return cores
}

/** /proc/loadavg: 1-minute load and the running/total tasks field. */
export function loadAverage () {
  const text = read('/proc/loadavg')
  if (text === null) return null
  const [one, five, fifteen, tasks] = text.trim().split(/\s+/)
  return { one: Number(one), five: Number(five), fifteen: Number(fifteen), tasks }
}

/** Whether `taskset -c <core> true` works here (it is missing on some systems and refused in some containers). */
export function canPin (core) {
  try {
    execFileSync('taskset', ['-c', String(core), 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export function machineFacts () {
  const cpuinfo = read('/proc/cpuinfo')
  const model = cpuinfo?.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpus()[0]?.model ?? 'unknown'
  return {
    cpuModel: model.trim(),
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    clockTicksPerSecond: CLK_TCK
  }
}
