/**
 * callflow-bot: a robot conversation on the call (lib/ivr/bot.ts): the speech node says the greeting and the bot's
 * replies and recognises the caller; the text goes to a bot endpoint (a webhook or OpenAI-compatible chat completions,
 * its key in the credentials); outputs: ended by the bot, transfer asked (queue and data for a transfer node), turn
 * limit or a caller silent Most silences times in a row. The transcript (who, what, when) lands in
 * msg.call.vars.botTranscript as it grows (bounded), which the call-end report and so the stored call record carry.
 * With Record the call, the call is recorded from the first turn (lib/call/recording.ts), once. Voice path says how the
 * robot's voice reaches the caller (an Asterisk playback of the synthesised file, or streamed on the robot's media path).
 */
import { botResults } from '../../lib/flow-test/results';
import { converse } from '../../lib/ivr/bot';
import { botConfig } from '../../lib/schemas/bot';
import { HttpBot } from '../../lib/speech/bot';
import { defineElement } from '../element/element';
import type { NodeAPI } from '../red/api';
import { inputProblems, speakerFor, speechInputFor } from '../speech/config';

// A silent caller leaves by the turn limit's output (its payload says which): an output added before the error output
// would move the error wires of flows made before.
const OUTPUT = { ended: 0, transfer: 1, 'turn-limit': 2, silence: 2 } as const;

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-bot',
    element: 'bot',
    dir: __dirname,
    validator: botConfig,
    outputs: () => 3,
    results: () => botResults(),
    credentials: { apiKey: { type: 'password' } },
    check: (config) => {
      const problems = inputProblems(RED, config.speech, 'speech').map((p) => p.replace(/^input: speech input/, 'speech: the robot'));
      try {
        new HttpBot({ kind: config.kind, url: config.url, apiKey: '' });
      } catch (err) {
        problems.push(`url: ${(err as Error).message}`);
      }
      return problems;
    },
    async run({ config, node, engine, session, signal }) {
      const credentials = (node as unknown as { credentials?: { apiKey?: unknown } }).credentials;
      const endpoint = new HttpBot({
        kind: config.kind,
        url: config.url,
        model: config.model,
        instructions: config.instructions,
        apiKey: typeof credentials?.apiKey === 'string' ? credentials.apiKey : '',
        timeoutMs: config.timeoutSec * 1000,
      });
      const speech = speechInputFor(RED, 'speech', config, engine, session, config.startTimeoutSec * 1000);
      const speaker = speakerFor(RED, config.speech);
      if (!speech || !speaker) throw new Error('the robot needs a speech node (the Speech setting)');
      const record = config.record ? { warn: (message: string) => node.warn(message) } : undefined;
      const result = await converse(engine.telephony, session, { endpoint, speech, speaker, greeting: config.greeting, voicePath: config.voicePath, maxTurns: config.maxTurns, maxSilences: config.maxSilences, language: config.language, ...(record ? { record } : {}) }, signal);
      // session.vars.botTranscript grew with the conversation (lib/ivr/bot.ts).
      session.vars.botTurns = result.turns;
      if (result.outcome === 'transfer') {
        // A transfer naming no queue goes to the campaign's skill queue (the specification's robot task "Transfer to Skill Queue").
        const queue = result.queue || session.campaign?.skillQueue || '';
        if (!queue) throw new Error('the bot asked for a transfer without naming a queue, and the call has no skill queue (a campaign\'s Skill queue setting)');
        session.vars.botQueue = queue;
        session.vars.botData = result.data;
        return { output: OUTPUT.transfer, outcome: `transfer ${queue}`, payload: { outcome: 'transfer', queue, data: result.data, turns: result.turns } };
      }
      return { output: OUTPUT[result.outcome], outcome: result.outcome, payload: { outcome: result.outcome, turns: result.turns } };
    },
  });
};
