/** Options of a per-key group-commit batcher. */
export interface BatcherOptions<I, O> {
  /** Most items in one commit. @default 100 */
  maxSize?: number
  /**
   * How long the first item of an idle key waits for company. 0 = commit at once; items that
   * arrive while a commit is in flight form the next batch anyway (group commit). @default 0
   */
  maxWaitMs?: number
  /** Commits one batch; returns one result per item, in order. */
  commit: (key: number, items: I[]) => Promise<O[]>
  onBatch?: (size: number, key: number) => void
}

interface Lane<I, O> {
  queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }>
  busy: boolean
  timer?: NodeJS.Timeout
}

/**
 * Group commit per key (event): at most one commit per key in flight in this process — they
 * would queue on the event row's lock anyway — and everything that arrives meanwhile rides the
 * next one. Under load batches grow by themselves; when idle, an item commits at once.
 */
export function createBatcher<I, O>(options: BatcherOptions<I, O>) {
  const maxSize = options.maxSize ?? 100
  const maxWaitMs = options.maxWaitMs ?? 0
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError('maxSize must be an integer >= 1')
  const lanes = new Map<number, Lane<I, O>>()
  const idle = new Set<() => void>()

  const settleIdle = () => {
    if (lanes.size > 0) return
    for (const done of idle) done()
    idle.clear()
  }

  const run = async (key: number, lane: Lane<I, O>) => {
    lane.timer = undefined
    const batch = lane.queue.splice(0, maxSize)
    lane.busy = true
    try {
      options.onBatch?.(batch.length, key)
      const results = await options.commit(
        key,
        batch.map((b) => b.item),
      )
      for (const [i, b] of batch.entries()) b.resolve(results[i] as O)
    } catch (error) {
      for (const b of batch) b.reject(error)
    } finally {
      lane.busy = false
      if (lane.queue.length > 0) schedule(key, lane)
      else {
        lanes.delete(key)
        settleIdle()
      }
    }
  }

  const schedule = (key: number, lane: Lane<I, O>) => {
    if (lane.busy || lane.timer) return
    if (maxWaitMs > 0 && lane.queue.length < maxSize) {
      lane.timer = setTimeout(() => void run(key, lane), maxWaitMs)
    } else {
      void run(key, lane)
    }
  }

  return {
    submit(key: number, item: I): Promise<O> {
      let lane = lanes.get(key)
      if (!lane) {
        lane = { queue: [], busy: false }
        lanes.set(key, lane)
      }
      const l = lane
      return new Promise<O>((resolve, reject) => {
        l.queue.push({ item, resolve, reject })
        if (l.timer && l.queue.length >= maxSize) {
          clearTimeout(l.timer)
          l.timer = undefined
        }
        schedule(key, l)
      })
    },
    /** Resolves once every submitted item has been committed or failed. */
    drain(): Promise<void> {
      if (lanes.size === 0) return Promise.resolve()
      return new Promise((resolve) => idle.add(resolve))
    },
  }
}

export type Batcher<I, O> = ReturnType<typeof createBatcher<I, O>>
