/** Sends a call on to another flow of its connection (a transfer node's "flow", an HTTP IVR application's transfer to a flow). */
import type { CallSession } from '../../lib/call/session';
import type { Engine } from '../deployed/engine';
import type { ElementOutcome } from './element';

/** The element's outcome: none of its outputs; the flow's entry node takes the call once the element is done. A flow that is not there: `failed` on `failedOutput`. */
export function toFlow(engine: Engine, session: CallSession, flow: string, failedOutput: number): ElementOutcome {
  const choice = engine.router.entryFor(flow, session.caller.number);
  if (!choice || 'refused' in choice) {
    const why = choice ? choice.refused : `flow "${flow}" is not deployed on this connection`;
    return { output: failedOutput, outcome: 'failed: no such flow', payload: { outcome: 'failed', reason: 'failed', cause: 0, causeText: why } };
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
