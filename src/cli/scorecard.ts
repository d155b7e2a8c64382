/** `webhooks check-app`'s scorecard for people: one row per check, what was expected and what the app answered. */
import type {CheckAppReport} from '../webhooks/check-app.js'

const MARK = {pass: '✓', fail: '✗', warn: '!'} as const

export async function scorecardLines(result: unknown): Promise<string[] | undefined> {
  if (typeof result !== 'object' || result === null || !('checks' in result)) return undefined
  const report = result as CheckAppReport
  const width = Math.max(...report.checks.map((check) => check.check.length))
  const rows = report.checks.map(
    (check) =>
      `${MARK[check.result]} ${check.check.padEnd(width)}  ${check.result.toUpperCase().padEnd(4)}  ${check.got}${check.result === 'pass' ? '' : ` (expected ${check.expected})`}`,
  )
  return [
    `Checking ${report.forward} against the webhook checklist (key of webhook ${report.webhook_id}):`,
    ...rows,
    `${report.passed} passed, ${report.failed} failed, ${report.warned} warned. The app's answers: p50 ${report.latency_ms.p50 ?? '-'} ms, p99 ${report.latency_ms.p99 ?? '-'} ms.`,
  ]
}
