/**
 * callflow-meeting-control: the meetings in progress on one Asterisk connection, for dashboards and operators.
 * Output 1 sends a msg for every meeting event (started, ended, participant joined, left, muted, unmuted, locked,
 * unlocked); a msg in (msg.topic: list, mute, unmute, kick, lock, unlock, end, announce; msg.payload: meeting or room,
 * participant, prompts) acts on a meeting, and its answer leaves on output 2. A bad command is done(err), naming
 * what was wrong; nothing is changed.
 */
import { MeetingCommandError, eventView, runMeetingCommand } from '../../lib/conference/commands';
import { meetingCommand, meetingControlConfig } from '../../lib/schemas/conference';
import { ValidationError } from '../../lib/schemas/validator';
import { registerMeetingsApi } from '../admin/meetings';
import type { AsteriskConfigNode } from '../asterisk/config';
import { translator } from '../red/i18n';
import type { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from '../red/api';
import { INVALID_CONFIG, NO_CONNECTION } from '../red/status';

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'meeting-control');
  registerMeetingsApi(RED);
  function MeetingControlNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const cleanup: (() => void)[] = [];
    node.on('close', (_removed: boolean, done: () => void) => {
      for (const off of cleanup.splice(0)) off();
      done();
    });
    const check = meetingControlConfig.checkForm(def);
    if (!check.ok) {
      node.error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }));
      node.status(INVALID_CONFIG);
      node.on('input', (_msg: NodeMessage, _send: SendFunction, done: DoneFunction) => done(new Error(t('callflow.errors.invalid-config', { problems: check.problems.join('; ') }))));
      return;
    }
    const connection = RED.nodes.getNode(check.value.connection) as AsteriskConfigNode | null;
    const engine = connection?.engine;
    if (!connection || !engine) {
      node.error(t('callflow-meeting-control.errors.no-connection'));
      node.status(NO_CONNECTION);
      node.on('input', (_msg: NodeMessage, _send: SendFunction, done: DoneFunction) => done(new Error(t('callflow-meeting-control.errors.no-connection'))));
      return;
    }
    let closed = false;
    cleanup.push(() => (closed = true));
    connection.register(node);
    cleanup.push(() => connection.deregister(node));
    const started = engine.start();
    started.then(
      () => {
        if (closed) return;
        cleanup.push(engine.meetings.onEvent((e) => node.send([{ topic: e.type, payload: eventView(e) }, null])));
      },
      (err: unknown) => node.error((err as Error).message),
    );

    node.on('input', (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const body = typeof msg.payload === 'object' && msg.payload !== null && !Array.isArray(msg.payload) ? (msg.payload as Record<string, unknown>) : {};
      const checked = meetingCommand.check({ ...body, command: msg.topic });
      if (!checked.ok) {
        const where = (p: string): string => (p.startsWith('command') ? `msg.topic${p.slice('command'.length)}` : p.startsWith('value:') ? `msg.payload${p.slice('value'.length)}` : `msg.payload.${p}`);
        done(new ValidationError('', checked.problems.map(where)));
        return;
      }
      started
        .then(() => runMeetingCommand(engine.meetings, checked.value))
        .then(
          (answer) => {
            send([null, { ...msg, payload: answer }]);
            done();
          },
          (err: unknown) => done(err instanceof MeetingCommandError ? err : new Error((err as Error).message)),
        );
    });
  }
  RED.nodes.registerType('callflow-meeting-control', MeetingControlNode);
};
