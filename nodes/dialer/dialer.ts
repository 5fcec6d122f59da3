/**
 * callflow-dialer: runs a campaign (callflow-campaign). msg.topic start,
 * suspend, resume, stop or delete (or the buttons in the editor) change the
 * task's state by the specification's rules; anything else is refused with
 * the reason. Answered calls leave on output 1 as msg.call, to walk the IVR
 * elements (unless the campaign names an IVR flow, whose entry takes them);
 * each final failure on output 2 (wire it to an SMS or e-mail node); each
 * finished customer on output 3. The status shows the progress, or why the
 * task is not dialing.
 */
import { shownValue } from '../../lib/schemas/validator';
import type { DialerStatus } from '../../lib/campaign/dialer';
import { notifier } from '../../lib/campaign/notification';
import { taskTypeOf } from '../../lib/schemas/campaign-answered';
import { ALLOWED, RuleError, StateError, isOperation } from '../../lib/campaign/states';
import { stageCampaign } from '../deployed/campaigns';
import { findEngine } from '../deployed/engine';
import { translator } from '../red/i18n';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from '../red/api';

const STATE_FILL: Record<DialerStatus['state'], NodeStatus['fill']> = { draft: 'grey', running: 'green', suspended: 'yellow', completed: 'blue', stopped: 'grey' };

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'dialer');

  function DialerNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const cleanup: (() => void)[] = [];
    node.on('close', (_removed: boolean, done: () => void) => {
      for (const off of cleanup.splice(0)) off();
      done();
    });
    const campaign = stageCampaign(RED, node, def, t('callflow-dialer.errors.no-campaign'));
    if (!campaign) return;
    const settings = campaign.settings;
    // The campaign's failed-call notification, parsed once (its templates passed the campaign's checks at deploy).
    const notify = notifier(settings);
    const robot = taskTypeOf(settings) === 'robot';
    const wired = (output: number): boolean => ((node as Node & { wires?: string[][] }).wires?.[output]?.length ?? 0) > 0;

    const show = (s: DialerStatus): void => {
      const progress = t('callflow-dialer.status.progress', { dialed: s.counters.dialed, answered: s.counters.answered, failed: s.counters.failed, remaining: s.remaining });
      // An intelligent robot task says so (a common IVR task, the default, does not lengthen the status).
      const state = t(`callflow-dialer.state.${s.state}`) + (robot ? ` · ${t('callflow-dialer.kind.robot')}` : '');
      const idle = s.idle ? ` · ${t(`callflow-dialer.idle.${s.idle}`, { detail: s.idleDetail ?? '' })}` : '';
      // A trunk group: each connection's calls of the task and limit, or that it is down ("12/30 ast-a, 5/20 ast-b, ast-c down").
      const spread = s.trunks
        ? ` · ${s.trunks.map((l) => (l.state === 'connected' ? t('callflow-dialer.trunk.up', { active: l.active, limit: l.limit, name: l.name }) : t('callflow-dialer.trunk.down', { name: l.name }))).join(', ')}`
        : '';
      // The dialer suspended the task itself (its IVR flow went missing): why, until it runs again.
      const problem = s.problem ? ` · ${t(`callflow-dialer.problem.${s.problem.kind}`, { flow: s.problem.flow, detail: s.problem.detail })}` : '';
      // A campaign that deploys with a warning (a secret in its callback URL) says so here too: config nodes show no status.
      const warned = campaign.warnings.length > 0 ? ` · ${t('callflow-dialer.status.warning')}` : '';
      const fill = s.problem ? 'red' : s.idle && s.state === 'running' ? 'yellow' : STATE_FILL[s.state];
      node.status({ fill, shape: s.state === 'running' && !s.idle ? 'dot' : 'ring', text: `${state}${idle}${problem} · ${progress}${spread}${warned}` });
    };
    node.status({ fill: 'grey', shape: 'ring', text: 'callflow-dialer.status.loading' });
    cleanup.push(campaign.onStatus(show));
    // A task that cannot start (its store or connection is not there) says why instead of "loading".
    campaign.dialer(60_000).catch((err: unknown) => node.status({ fill: 'red', shape: 'ring', text: (err as Error).message }));
    cleanup.push(
      campaign.attach({
        answered(session, info) {
          // The call's own connection (a task with a trunk group dials through several).
          const engine = findEngine(session.connection);
          if (!wired(0)) {
            node.warn(t('callflow.errors.unwired', { call: session.id, output: 1, outcome: 'answered' }));
            engine?.calls.hangup(session, 'normal', 'system', `unwired: callflow-dialer ${node.id}`).catch(() => undefined);
            return;
          }
          session.enter(node.id, 'dialer').outcome = info.resumed ? 'resumed' : 'answered';
          const payload = { customerId: info.customerId, number: info.number, attempt: info.attempt, resumed: info.resumed, campaign: settings.name, custom: session.campaign?.custom ?? {} };
          if (engine) {
            session.idle(engine.idleTimeoutMs, () => {
              node.warn(t('callflow.errors.idle', { call: session.id, seconds: engine.idleTimeoutMs / 1000 }));
              engine.calls.hangup(session, 'normal', 'system', `idle: after callflow-dialer ${node.id}`).catch(() => undefined);
            });
          }
          node.send([{ topic: settings.name, call: session.handle(), payload }, null, null]);
        },
        finalFailure(f) {
          const payload = { customerId: f.customerId, number: f.number, cause: f.attempt.outcome, result: f.result, attempt: f.attempt, custom: f.custom ?? {} };
          const notification = notify?.(f);
          // A recipient that renders empty (the contact lacks the custom field it names): the msg still leaves, with a warning.
          if (notification && !notification.to) node.warn(t('callflow-dialer.errors.no-recipient', { customer: f.customerId, template: settings.notifyTo ?? '' }));
          node.send([null, { topic: settings.name, payload, ...(notification ? { notification } : {}) }, null]);
        },
        finished(c) {
          node.send([null, null, { topic: settings.name, payload: { customerId: c.customerId, result: c.result, attempts: c.attempts, custom: c.custom ?? {} } }]);
        },
      }),
    );

    node.on('input', (msg: NodeMessage, send, done) => {
      const topic = typeof msg.topic === 'string' ? msg.topic.trim().toLowerCase() : '';
      if (!isOperation(topic) || topic === 'edit' || topic === 'load') {
        done(new Error(t('callflow-dialer.errors.topic', { topic: shownValue(msg.topic ?? '') })));
        return;
      }
      campaign
        .dialer()
        .then((d) => d.operate(topic, 'flow'))
        .then(
          () => done(),
          (err: unknown) => {
            if (err instanceof StateError) {
              const allowed = ALLOWED[err.state].map((op) => t(`callflow-dialer.op.${op}`)).join(t('callflow-dialer.status.separator'));
              node.status({ fill: 'red', shape: 'ring', text: t('callflow-dialer.status.refused', { op: t(`callflow-dialer.op.${err.operation}`), state: t(`callflow-dialer.state.${err.state}`), allowed: allowed || t('callflow-dialer.status.nothing') }) });
            } else if (err instanceof RuleError) {
              node.status({ fill: 'red', shape: 'ring', text: t('callflow-dialer.status.flow-refused', { op: t(`callflow-dialer.op.${err.operation}`), flow: err.subject || t('callflow-dialer.status.dialer-flow'), detail: err.detail }) });
            }
            done(err as Error);
          },
        );
    });
  }

  RED.nodes.registerType('callflow-dialer', DialerNode);
};
