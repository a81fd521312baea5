// Runs every inventory-cache scenario in one process, one after the other, on the same Redis,
// and prints the markdown tables recorded in README.md.
import os from 'node:os'
import { run as l1Hit } from './l1-hit.bench.js'
import { run as l2Hit } from './l2-hit.bench.js'
import { run as missFill } from './miss-fill.bench.js'
import { printStampede, run as stampede } from './stampede.bench.js'
import { printRows } from './subjects.js'

console.log(
  `${new Date().toISOString()} · Node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} · ${os.platform()}\n`,
)
printRows([...(await l1Hit()), ...(await l2Hit()), ...(await missFill())])
console.log()
printStampede(await stampede())
