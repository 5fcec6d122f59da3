/**
 * callflow-result: placed in the IVR a campaign call walks, sets the call's
 * business result (and sub-result), which is stored with the campaign's
 * attempt and becomes the customer's final result. The codes come from the
 * form, or from msg.result / msg.subResult when the form leaves them empty.
 */
import { shownValue } from '../../lib/schemas/validator';
import { readHandle } from '../../lib/call/handle';
import { resultConfig } from '../../lib/schemas/elements';
import { refusedHandle } from '../element/element';
import { findCampaign } from '../deployed/campaigns';
import { findEngine } from '../deployed/engine';
import { outsideBusinessResult } from '../../lib/schemas/campaign';
import { translator } from '../red/i18n';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../red/api';
import { INVALID_CONFIG } from '../red/status';

const CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'result');

  function ResultNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const check = resultConfig.checkForm(def);
    if (!check.ok) {
      node.error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }));
      node.status(INVALID_CONFIG);
      node.on('input', (_msg, _send, done) => done(new Error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }))));
      return;
    }
    const config = check.value;

    node.on('input', (msg: NodeMessage, send, done) => {
      const handle = readHandle(msg.call);
      if (typeof handle === 'string') {
        done(new Error(handle));
        return;
      }
      const code = config.result || (typeof msg.result === 'string' ? msg.result : '');
      const subCode = config.subResult || (typeof msg.subResult === 'string' ? msg.subResult : '');
      if (!CODE.test(code)) {
        done(new Error(t('callflow-result.errors.code', { value: shownValue(code) })));
        return;
      }
      if (subCode && !CODE.test(subCode)) {
        done(new Error(t('callflow-result.errors.sub-code', { value: shownValue(subCode) })));
        return;
      }
      const found = findEngine(handle.connection)?.calls.find(handle);
      if (found?.kind === 'refused') {
        // A msg.call made up from an id, or kept from another call: that call's result is not touched.
        const error = refusedHandle(t, handle.id, found.missing);
        node.status({ fill: 'red', shape: 'ring', text: 'callflow.status.refused-call' });
        node.warn(error.message);
        done(error);
        return;
      }
      const session = found?.kind === 'live' ? found : undefined;
      session?.busy();
      if (!session) {
        done(new Error(t('callflow-result.errors.no-call', { call: handle.id })));
        return;
      }
      if (session.campaign) {
        // The task's associated business result: only it (with any sub-result) may be set; the call keeps what it had.
        const allowed = outsideBusinessResult(findCampaign(session.campaign.id)?.settings, code);
        if (allowed !== undefined) {
          node.status({ fill: 'red', shape: 'ring', text: t('callflow-result.status.not-associated', { value: code }) });
          done(new Error(t('callflow-result.errors.not-associated', { node: node.id, value: shownValue(code), campaign: shownValue(session.campaign.name), allowed: shownValue(allowed) })));
          return;
        }
      }
      session.result = subCode ? { code, subCode } : { code };
      session.enter(node.id, 'result').outcome = code;
      if (!session.campaign) node.warn(t('callflow-result.errors.not-campaign', { call: handle.id }));
      node.status({ fill: 'green', shape: 'dot', text: subCode ? `${code} / ${subCode}` : code });
      msg.call = session.handle();
      const engine = findEngine(handle.connection);
      const wired = ((node as Node & { wires?: string[][] }).wires?.[0]?.length ?? 0) > 0;
      if (!wired) {
        // Nothing comes next: the call must not wait in silence for the idle timeout.
        node.warn(t('callflow.errors.unwired', { call: handle.id, output: 1, outcome: code }));
        engine?.calls.hangup(session, 'normal').catch(() => undefined);
        done();
        return;
      }
      if (engine) {
        session.idle(engine.idleTimeoutMs, () => {
          node.warn(t('callflow.errors.idle', { call: session.id, seconds: engine.idleTimeoutMs / 1000 }));
          engine.calls.hangup(session, 'normal', 'system', `idle: after callflow-result ${node.id}`).catch(() => undefined);
        });
      }
      send(msg);
      done();
    });
  }

  RED.nodes.registerType('callflow-result', ResultNode);
};
