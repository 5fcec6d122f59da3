/**
 * callflow-transfer: connects the caller to an endpoint, a number (through a
 * dial-string template), the dialplan, a queue (named, from a call variable
 * or the campaign's skill queue, with associated data), or another IVR flow.
 */
import { checkDialplanTarget, dialDestination, type DialAllowlist } from '../../lib/ari/dialstring';
import { own } from '../../lib/own';
import { associatedData } from '../../lib/ivr/associated-data';
import { fillTemplate, numberEndpoint, queueName, transferToDialplan, transferToEndpoint, transferToQueue, type TransferResult } from '../../lib/ivr/transfer';
import { transferConfig, type TransferConfig } from '../../lib/schemas/elements';
import type { CallSession } from '../../lib/call/session';
import { transferResults } from '../../lib/flow-test/results';
import { defineElement, type ElementOutcome } from '../element/element';
import { toFlow } from '../element/to-flow';
import type { NodeAPI } from '../red/api';

function templateValues(session: CallSession): Record<string, unknown> {
  return { caller: session.caller.number, dialed: session.dialed, callId: session.id };
}

/**
 * What Asterisk is asked to call: each value from the call (a variable, the caller's number) is checked against the
 * place it goes in the template, the dial string made must be one destination, and the connection's dial allowlist
 * must allow it. A refusal is a DialStringError naming the field and the value; nothing reaches Asterisk.
 */
function endpointFor(config: TransferConfig, session: CallSession, destinations: DialAllowlist): string {
  const values = templateValues(session);
  // Own entries only: a variable named "constructor" that the call does not have is missing, not Object's function.
  const valueOf = (name: string): unknown => (name.startsWith('vars.') ? own(session.vars, name.slice(5)) : own(values, name));
  if (config.kind === 'endpoint') return dialDestination(config.endpoint, 'endpoint', valueOf, destinations, 'endpoint');
  return numberEndpoint(config.dialString, fillTemplate(config.number, values, session.vars), destinations);
}

function outcomeOf(result: TransferResult): ElementOutcome {
  if (result.outcome === 'failed') return { output: 1, outcome: `failed: ${result.reason}`, payload: { ...result } };
  return { output: 0, outcome: result.outcome, handedOff: true, payload: { ...result } };
}

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-transfer',
    element: 'transfer',
    dir: __dirname,
    validator: transferConfig,
    outputs: () => 2,
    results: (config) => transferResults(config),
    async run({ config, engine, session, signal }) {
      switch (config.kind) {
        case 'endpoint':
        case 'number': {
          const request: { endpoint: string; ringTimeoutSec: number; callerId?: string } = {
            endpoint: endpointFor(config, session, engine.destinations),
            ringTimeoutSec: config.ringTimeoutSec ?? session.settings.ringTimeoutSec ?? 30,
          };
          if (config.callerId) request.callerId = config.callerId;
          return outcomeOf(await transferToEndpoint(engine.telephony, engine.calls, session, request, signal));
        }
        case 'dialplan': {
          checkDialplanTarget(config, { context: 'context', extension: 'extension' });
          const data = config.data.length > 0 ? associatedData(config.data, session.vars) : undefined;
          return outcomeOf(await transferToDialplan(engine.telephony, session, { context: config.context, extension: config.extension, priority: config.priority }, signal, data));
        }
        case 'queue': {
          // The queue (from a variable or the campaign too) and the data are checked before anything reaches Asterisk.
          const request: { queue: string; queueContext: string; data?: string } = { queue: queueName(config.queue, session), queueContext: config.queueContext };
          if (config.data.length > 0) request.data = associatedData(config.data, session.vars);
          return outcomeOf(await transferToQueue(engine.telephony, session, request, signal));
        }
        case 'flow':
          return toFlow(engine, session, config.flow, 1);
      }
    },
  });
};
