/** The part of autocannon's API (it ships no types) the load test uses. */
declare module 'autocannon' {
  interface Options {
    url: string
    connections?: number
    duration?: number
    amount?: number
    method?: string
    headers?: Record<string, string>
  }
  interface Histogram { average: number, mean: number, p50: number, p99: number, max: number, total: number }
  interface Result {
    requests: Histogram
    latency: Histogram
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
    duration: number
  }
  function autocannon (options: Options): Promise<Result>
  export default autocannon
}
