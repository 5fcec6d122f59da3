/**
 * npm start: Node-RED with this package, the example flows and the built-in
 * simulated Asterisk, editor on http://127.0.0.1:1880. The Node-RED user
 * directory is .node-red/ in the repository (git-ignored); flows you change
 * there are kept on the next start. Ctrl-C stops everything.
 *
 * Environment: PORT (editor, default 1880), CALLFLOW_SIM_PORT (simulator,
 * default 8088), CALLFLOW_SIM_SPEED (default 1: prompts last as long as
 * real ones).
 */
import path from 'node:path';
import { DEMO_NUMBERS } from './demo-numbers';
import { OutputLines, PACKAGE_ROOT, combineExamples, examplesAt, prepareHome, readExamples, startNodeRed, waitForOutput } from './home';

interface Connection {
  id: string;
  state: string;
  message: string;
  simulator: boolean;
}

async function waitForConnection(editor: string): Promise<Connection | undefined> {
  for (let i = 0; i < 100; i += 1) {
    const list = (await (await fetch(`${editor}/callflow/connections`)).json()) as Connection[];
    const sim = list.find((c) => c.simulator);
    if (sim?.state === 'connected') return sim;
    // The first connect takes a moment: ask again shortly.
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 1880);
  const dir = path.join(PACKAGE_ROOT, '.node-red');
  const examples = examplesAt(readExamples(), port);
  const { settings, added, missing } = prepareHome({ dir, port, flows: combineExamples(examples), examples });
  const lines = new OutputLines();
  lines.on((line) => console.log(line));
  const child = startNodeRed({
    dir,
    settings,
    env: { CALLFLOW_SIM_PORT: process.env.CALLFLOW_SIM_PORT ?? '8088', CALLFLOW_SIM_SPEED: process.env.CALLFLOW_SIM_SPEED ?? '1' },
    onOutput: (line) => lines.push(line),
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\nstopping Node-RED and the simulated Asterisk (${signal})...`);
    child.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));

  await waitForOutput(child, lines, /Started flows/, 60_000);
  const editor = `http://127.0.0.1:${port}`;
  const connection = await waitForConnection(editor);
  const simInfo = (await (await fetch(`${editor}/callflow/simulator`)).json()) as { running: boolean; url?: string };
  const sim = simInfo.url ?? 'http://127.0.0.1:8088';
  await setDemoNumbers(sim);
  const notes: string[] = [];
  if (added.length > 0) notes.push(`  New examples added to your flows (${dir}/flows.json; the previous file is flows.json.before-examples): ${added.join(', ')}`);
  if (missing.length > 0) notes.push(`  Not in your flows (you removed them; Import > Examples brings them back): ${missing.join(', ')}`);
  console.log(`
  ----------------------------------------------------------------------------
  Node-RED with callflow:   ${editor}   (${missing.length === 0 ? 'the examples are deployed' : 'your flows, kept from the last start'})
  Simulated Asterisk (ARI): ${sim}/ari   ${connection ? 'connected' : 'not connected yet: see the log above'}
${notes.length > 0 ? `${notes.join('\n')}\n` : ''}
  Place a test call into the "IVR menu" example: the caller presses 1, then
  types a card number, and hears the balance (watch the debug sidebar):
    curl -s -X POST ${sim}/sim/calls -H 'content-type: application/json' \\
         -d '{"from":"+15550100","to":"200","args":["ivr-menu"],"script":[{"waitFor":"answer"},{"wait":1500},{"dtmf":"1"},{"wait":2000},{"dtmf":"123456#"}]}'
  It answers with an "id". Once the call is over, see what the caller heard:
    curl -s ${sim}/sim/calls/<id>/ended
  The other examples: "args":["hello"] (Hello IVR), "args":["closed"] (SIP response),
  "args":["support"] (Gray release: two versions of one flow; see the Call flows sidebar tab
  and docs/releases.md), "args":["conference"] with "to" 400 to 403 (Conference: the four
  conference call flows; the tab's description and docs/conferences.md place two callers
  into one meeting).
  Outbound campaigns: on the "Notification campaign" tab (the specification's
  business scenario: busy customers are called twice more), the "Survey
  campaign" tab, the "Skill queue campaign" tab or the "Intelligent robot" tab
  (a robot task: the customers talk with the robot), click "load ... customers",
  then "start" (docs/campaigns.md). The simulated numbers +86136000000xx,
  +86137000000xx, +86138000000xx and +86139000000xx behave as the tabs say. Where the skill
  queue campaign's calls went, with the data they carried:
    curl -s ${sim}/sim/calls?state=active
  Scripted callers (keys, hang-ups) and called numbers: docs/simulator.md

  Ctrl-C stops everything.
  ----------------------------------------------------------------------------
`);
}

async function setDemoNumbers(sim: string): Promise<void> {
  for (const [number, behaviour] of Object.entries(DEMO_NUMBERS)) {
    const res = await fetch(`${sim}/sim/numbers/${encodeURIComponent(number)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(behaviour) }).catch(() => undefined);
    if (!res?.ok) console.log(`  (could not set how ${number} behaves in the simulator: ${res ? String(res.status) : 'no answer'})`);
  }
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${(err as Error).message}`);
  process.exit(1);
});
