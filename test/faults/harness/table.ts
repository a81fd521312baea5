// Prints the README's reliability table from benchmarks/results/faults.json (the full run of
// each scenario where there is one, else the quick one, marked), with the run's date and Node:
//   npx tsx test/faults/harness/table.ts
import { tableFromFile } from './report.js'

console.log(await tableFromFile())
