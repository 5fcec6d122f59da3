/**
 * callflow-set: sets call variables (msg.call.vars) and Asterisk channel
 * variables from literals, the msg, flow or global context, JSONata, an
 * environment variable, the call's own data (msg.call), or a variable
 * Asterisk holds for the call (a channel variable, a SIP header).
 */
import { shownValue } from '../../lib/schemas/validator';
import { channelValueProblem } from '../../lib/ari/variables';
import { asText, withoutToken, type CallHandle } from '../../lib/call/handle';
import { setConfig, type Assignment } from '../../lib/schemas/elements';
import { defineElement } from '../element/element';
import type { Node, NodeAPI, NodeMessage } from '../red/api';
import { put } from '../../lib/own';

function evaluate(RED: NodeAPI, node: Node, msg: NodeMessage, a: Assignment, channel: (name: string) => Promise<string | undefined>): Promise<unknown> {
  // The call's own data, without its token: a variable must not carry it (variables are shown and stored).
  // Own properties only (getMessageProperty would read "vars.constructor" of a call without it as Object's function).
  if (a.type === 'call') return Promise.resolve(ownPath({ call: withoutToken(msg.call as CallHandle) }, RED.util.normalisePropertyExpression(a.value ? `call.${a.value}` : 'call')));
  // Data Asterisk holds for the call: a dialplan variable, a SIP header (PJSIP_HEADER(read,X-Account)).
  if (a.type === 'chanvar') return channel(a.value);
  return new Promise((resolve, reject) => {
    RED.util.evaluateNodeProperty(a.value, a.type, node, msg, (err, value) => (err ? reject(err) : resolve(value)));
  });
}

/** The value at `path` through own properties only, or undefined. */
function ownPath(value: unknown, path: readonly (string | number)[]): unknown {
  let at = value;
  for (const part of path) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

export = function register(RED: NodeAPI): void {
  defineElement(RED, {
    type: 'callflow-set',
    element: 'set',
    dir: __dirname,
    validator: setConfig,
    async run({ config, engine, session, msg, node, signal }) {
      msg.call = session.handle();
      const values: Record<string, unknown> = {};
      for (const a of config.assignments) {
        let value: unknown;
        try {
          value = await evaluate(RED, node, msg, a, (name) => engine.telephony.getVariable(session.channelId, name, signal));
        } catch (err) {
          throw new Error(`${a.name}: could not read the ${a.type} value ${shownValue(a.value)}: ${(err as Error).message}`);
        }
        if (a.target === 'var') {
          // Own entries: "__proto__" or "constructor" are valid variable names (lib/own.ts).
          put(session.vars, a.name, value);
          // A later row reads it through msg.call.vars (JSONata, msg, call).
          put((msg.call as { vars: Record<string, unknown> }).vars, a.name, value);
        } else {
          const text = asText(value);
          // Values come from callers and flows; Asterisk stores them as they are (SIP headers, CDRs and logs show them).
          const problem = channelValueProblem(text);
          if (problem) throw new Error(`${a.name}: the value ${JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}...` : text)} ${problem}, so it is not set on the channel`);
          await engine.telephony.setVariable(session.channelId, a.name, text, signal);
        }
        put(values, a.name, value);
      }
      return { output: 0, outcome: 'set', payload: { outcome: 'set', values } };
    },
  });
};
