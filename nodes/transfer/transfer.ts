/**
 * callflow-transfer: connects the caller to an endpoint, a number (through a
 * dial-string template), the dialplan, a queue, or another IVR flow.
 */
import { fillTemplate, transferToDialplan, transferToEndpoint, type TransferResult } from '../../lib/ivr/transfer';
import { transferConfig, type TransferConfig } from '../../lib/schemas/elements';
import type { CallSession } from '../../lib/call/session';
import { defineElement, type ElementOutcome } from '../shared/element';
import type { Engine } from '../shared/engine';
import type { NodeAPI } from '../shared/red';

function templateValues(session: CallSession): Record<string, unknown> {
  return { caller: session.caller.number, dialed: session.dialed, callId: session.id };
}

function endpointFor(config: TransferConfig, session: CallSession): string {
  const values = templateValues(session);
  if (config.kind === 'endpoint') return fillTemplate(config.endpoint, values, session.vars);
  const number = fillTemplate(config.number, values, session.vars);
  if (!/^\+?[0-9*#]{1,32}$/.test(number)) throw new RangeError(`the number to transfer to is not a phone number: "${number}"`);
  return config.dialString.replace('{number}', number);
}

function outcomeOf(result: TransferResult): ElementOutcome {
  if (result.outcome === 'failed') return { output: 1, outcome: `failed: ${result.reason}`, payload: { ...result } };
  return { output: 0, outcome: result.outcome, handedOff: true, payload: { ...result } };
}

function toFlow(engine: Engine, session: CallSession, flow: string): ElementOutcome {
  const choice = engine.router.entryFor(flow, session.caller.number);
  if (!choice || 'refused' in choice) {
    const why = choice ? choice.refused : `flow "${flow}" is not deployed on this connection`;
    return { output: 1, outcome: 'failed: no such flow', payload: { outcome: 'failed', reason: 'failed', cause: 0, causeText: why } };
  }
  // The flow's entry node sends the call on; this msg ends here.
  return {
    output: null,
    outcome: `to flow ${flow}`,
    after: () => {
      session.flow = flow;
      session.version = choice.version;
      choice.handler(session, []);
    },
  };
}

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-transfer',
    element: 'transfer',
    dir: __dirname,
    validator: transferConfig,
    outputs: () => 2,
    async run({ config, engine, session, signal }) {
      switch (config.kind) {
        case 'endpoint':
        case 'number': {
          const request: { endpoint: string; ringTimeoutSec: number; callerId?: string } = {
            endpoint: endpointFor(config, session),
            ringTimeoutSec: config.ringTimeoutSec ?? session.settings.ringTimeoutSec ?? 30,
          };
          if (config.callerId) request.callerId = config.callerId;
          return outcomeOf(await transferToEndpoint(engine.telephony, engine.calls, session, request, signal));
        }
        case 'dialplan':
          return outcomeOf(await transferToDialplan(engine.telephony, session, { context: config.context, extension: config.extension, priority: config.priority }, signal));
        case 'queue':
          return outcomeOf(await transferToDialplan(engine.telephony, session, { context: config.queueContext, extension: config.queue, priority: 1 }, signal));
        case 'flow':
          return toFlow(engine, session, config.flow);
      }
    },
  });
};
