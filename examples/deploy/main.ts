// CDK Terrain app: `npm run synth` (or `cdktn synth`) writes cdktf.out/stacks/<project>-<env>/cdk.tf.json.
// No network needed: terraform init/plan/apply then run in that folder.
import { App } from 'cdktn'
import { loadConfig } from './config.js'
import { buildDeployStack } from './stack.js'

const config = loadConfig()
const app = new App()
const { stack } = buildDeployStack(app, config)
app.synth()
console.log(`synthesized ${stack.node.id} → ${app.outdir}/stacks/${stack.node.id}/cdk.tf.json`)
