// A minimal Server-Sent Events client for tests (Node's fetch; no EventSource in Node 20).
import { expect } from 'vitest'

/** A minimal SSE client over fetch: `next(event)` resolves with the next message of that type. */
export async function openStream(url: string) {
  const controller = new AbortController()
  const res = await fetch(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } })
  if (res.status !== 200 || !res.body) throw new Error(`stream: ${res.status}`)
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  // biome-ignore lint/suspicious/noExplicitAny: message bodies are asserted field by field
  const queue: Array<{ event: string; data: any }> = []
  let buffer = ''
  let waiter: (() => void) | undefined
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += decoder.decode(value, { stream: true })
        let cut = buffer.indexOf('\n\n')
        while (cut >= 0) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event && data) queue.push({ event, data: JSON.parse(data) })
          cut = buffer.indexOf('\n\n')
        }
        waiter?.()
      }
    } catch {
      // aborted
    }
  })()
  return {
    async next(event: string, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const i = queue.findIndex((m) => m.event === event)
        if (i >= 0) return queue.splice(i, 1)[0]!
        const left = deadline - Date.now()
        if (left <= 0)
          throw new Error(`no '${event}' message within ${timeoutMs} ms (got ${JSON.stringify(queue)})`)
        await new Promise<void>((resolve) => {
          waiter = resolve
          setTimeout(resolve, left)
        })
      }
    },
    close: () => controller.abort(),
  }
}
