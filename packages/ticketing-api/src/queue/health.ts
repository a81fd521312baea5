// The sale path's health, fed to the admission controller: the latency and failure rate of the
// routes that sell (reservations, hold confirmations), over the last 10 s, reported every 5 s.
// The room slows admission above p99 500 ms or 2 % failures and pauses at 2 s or 10 % (the
// library's thresholds; a report holds 30 s, so a dead instance cannot pause a sale).
import type { WaitingRoom } from '@ticketing/waiting-room'

const WINDOW_MS = 10_000
const REPORT_MS = 5_000
/** Fewer sales than this in the window say nothing about the path (a quiet sale): no report. */
const MIN_SAMPLES = 20

export function createHealth(room: WaitingRoom, log: { warn(obj: unknown, msg?: string): void }) {
  /** (time, latency ms, failed) of each sale answered by this instance. */
  let samples: Array<[number, number, boolean]> = []
  let timer: NodeJS.Timeout | undefined

  /** One answered sale: its latency, and whether the service failed it (5xx). */
  function observe(latencyMs: number, statusCode: number) {
    samples.push([Date.now(), latencyMs, statusCode >= 500])
  }

  /** Reports this instance's window (if it saw enough sales); returns the admission factor. */
  async function report(): Promise<number | null> {
    const since = Date.now() - WINDOW_MS
    samples = samples.filter(([at]) => at >= since)
    if (samples.length < MIN_SAMPLES) return null
    const latencies = samples.map(([, ms]) => ms).sort((a, b) => a - b)
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!
    const errorRate = samples.filter(([, , failed]) => failed).length / samples.length
    return room.reportHealth({ latencyMs: p99, errorRate })
  }

  return {
    observe,
    report,
    start() {
      timer ??= setInterval(() => {
        report().catch((err) => log.warn({ err }, 'waiting room: health report failed'))
      }, REPORT_MS)
      timer.unref()
    },
    close() {
      clearInterval(timer)
      timer = undefined
    },
  }
}
