#!/usr/bin/env node
/**
 * The simulated Asterisk on its own:
 *   callflow-asterisk-sim [--port 8088] [--host 127.0.0.1] [--user asterisk]
 *                         [--password asterisk] [--speed 1] [--media-ms <ms>] [--app callflow]
 *                         [--sounds [<lang>=]<dir>]... [--no-core-sounds] [--report-limit 1000]
 * --sounds adds the sound files of a directory (extra sounds, another language, your own prompts) to
 * Asterisk's core English sounds, which the simulator always has unless --no-core-sounds.
 * Prints where ARI answers and how to place a call; Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import type { Logger } from '../log';
import { startSimulator } from './index';

const USAGE = `usage: callflow-asterisk-sim [--port 8088] [--host 127.0.0.1] [--user asterisk] [--password asterisk] [--speed 1] [--media-ms <ms>] [--app callflow] [--sounds [<lang>=]<dir>]... [--no-core-sounds] [--report-limit 1000] [--verbose]`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8088' },
        host: { type: 'string', default: '127.0.0.1' },
        user: { type: 'string', default: 'asterisk' },
        password: { type: 'string', default: 'asterisk' },
        speed: { type: 'string', default: '1' },
        'media-ms': { type: 'string' },
        app: { type: 'string', default: 'callflow' },
        sounds: { type: 'string', multiple: true, default: [] },
        'no-core-sounds': { type: 'boolean', default: false },
        'report-limit': { type: 'string', default: '1000' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  const speed = Number(values.speed);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be 0-65535, got ${values.port}\n${USAGE}`);
    process.exit(2);
  }
  if (!(speed > 0)) {
    console.error(`--speed must be a number > 0, got ${values.speed}\n${USAGE}`);
    process.exit(2);
  }
  const mediaMs = values['media-ms'] === undefined ? undefined : Number(values['media-ms']);
  if (mediaMs !== undefined && !(Number.isFinite(mediaMs) && mediaMs >= 0)) {
    console.error(`--media-ms must be a number of ms >= 0, got ${values['media-ms']}\n${USAGE}`);
    process.exit(2);
  }
  const reportLimit = Number(values['report-limit']);
  if (!Number.isInteger(reportLimit) || reportLimit < 0) {
    console.error(`--report-limit must be a whole number of reports >= 0, got ${values['report-limit']}\n${USAGE}`);
    process.exit(2);
  }
  const soundDirs: { language: string; dir: string }[] = [];
  for (const spec of values.sounds) {
    const m = /^([A-Za-z0-9_-]+)=(.+)$/.exec(spec);
    soundDirs.push(m ? { language: m[1] ?? 'en', dir: m[2] ?? '' } : { language: 'en', dir: spec });
  }
  const logger: Logger = {
    debug: (m) => values.verbose && console.log(`debug: ${m}`),
    info: (m) => console.log(m),
    warn: (m) => console.warn(`warning: ${m}`),
    error: (m) => console.error(`error: ${m}`),
  };
  const sim = await startSimulator({
    port,
    host: values.host,
    username: values.user,
    password: values.password,
    speed,
    defaultApp: values.app,
    logger,
    coreSounds: !values['no-core-sounds'],
    soundDirs,
    reportLimit,
    ...(mediaMs !== undefined ? { mediaMs } : {}),
  });
  console.log(`Simulated Asterisk: ARI at ${sim.url}/ari (user ${values.user}), speed ${speed}x, inbound calls go to Stasis(${values.app})`);
  console.log(`Place a call:  curl -s -X POST ${sim.url}/sim/calls -H 'content-type: application/json' -d '{"from":"+15550100","to":"100"}'`);
  console.log(`Read it back:  curl -s ${sim.url}/sim/calls`);
  const stop = (): void => {
    console.log('stopping the simulated Asterisk');
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
