/**
 * The admin HTTP API of meetings in progress, for the editor's "Meetings" sidebar tab (nodes/meetings-sidebar):
 *   GET  callflow/meetings                                   every connection's meetings and their participants
 *   POST callflow/meetings/:connection/:meeting/:command     mute, unmute, kick, lock, unlock, end, announce
 *        (body: { participant, prompts }), answered with the meeting after the command
 *   GET  callflow/meetings/records/:meetings?room=&after=&limit=
 *        the records of ended meetings kept by a callflow-meetings node's store, a page at a time (oldest first;
 *        `next` is the cursor of the next page)
 *   GET  callflow/meetings/records/:meetings.csv?room=
 *        the same records as CSV, one row per participant (numbers masked, formula-safe), streamed a page of the store
 *        at a time (lib/conference/records-csv.ts)
 * Guarded by callflow.read / callflow.write; a command is checked by the same schema as the meeting-control node's
 * (400 with the problems), a meeting or participant not found is 404, a connection not started 404.
 */
import { MeetingCommandError, runMeetingCommand, viewOf } from '../../lib/conference/commands';
import { meetingRecordsCsv } from '../../lib/conference/records-csv';
import { meetingCommand } from '../../lib/schemas/conference';
import { listEngines } from '../deployed/engine';
import type { MeetingsConfigNode } from '../meetings/config';
import { sendCsv } from './csv-download';
import type { NodeAPI, RequestLike, ResponseLike } from '../red/api';

const registered = new WeakSet<object>();

export function registerMeetingsApi(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);

  RED.httpAdmin.get('/callflow/meetings', RED.auth.needsPermission('callflow.read'), (_req: RequestLike, res: ResponseLike) => {
    res.json(
      listEngines().map((e) => {
        let meetings: ReturnType<typeof viewOf>[] = [];
        try {
          meetings = e.meetings.list().filter((m) => !m.isEnded).map(viewOf);
        } catch {
          // Not started yet: no meetings.
        }
        return { connection: e.id, state: e.status.state, meetings };
      }),
    );
  });

  RED.httpAdmin.get('/callflow/meetings/records/:meetings', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const asked = req.params.meetings ?? '';
    const csv = asked.endsWith('.csv');
    const id = csv ? asked.slice(0, -'.csv'.length) : asked;
    const node = RED.nodes.getNode(id) as MeetingsConfigNode | null;
    if (!node || node.type !== 'callflow-meetings') {
      res.status(404).json({ message: 'no such meeting rooms node is deployed' });
      return;
    }
    const store = node.store;
    if (!store) {
      res.status(409).json({ message: 'these meeting rooms keep no records: choose a store in the node' });
      return;
    }
    const room = req.query.room;
    const limit = req.query.limit === undefined ? undefined : Number(req.query.limit);
    if (room !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(room)) {
      res.status(400).json({ message: 'room: a room id' });
      return;
    }
    if (csv) {
      const filename = `meeting-records-${(node.name || id).replace(/[^A-Za-z0-9_.-]+/g, '-')}.csv`;
      const lines = async (): Promise<AsyncGenerator<string>> => {
        const s = await store.available(5000);
        return meetingRecordsCsv((after, limit) => s.pageMeetingRecords({ limit, ...(room === undefined ? {} : { room }), ...(after === undefined ? {} : { after }) }));
      };
      sendCsv(res, lines, filename).catch((err: unknown) => {
        // The answer had begun: cut it, so that a client does not take a part for the whole export.
        RED.log.warn(`callflow: the meeting records export of ${id} stopped: ${(err as Error).message}`);
        res.destroy();
      });
      return;
    }
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 1000)) {
      res.status(400).json({ message: 'limit: a whole number from 1 to 1000' });
      return;
    }
    store
      .available(5000)
      .then((s) => s.pageMeetingRecords({ ...(room === undefined ? {} : { room }), ...(req.query.after === undefined ? {} : { after: req.query.after }), ...(limit === undefined ? {} : { limit }) }))
      .then(
        (page) => res.json(page),
        (err: unknown) => res.status((err as { kind?: string }).kind === 'invalid' ? 400 : 503).json({ message: (err as Error).message }),
      );
  });

  RED.httpAdmin.post('/callflow/meetings/:connection/:meeting/:command', RED.auth.needsPermission('callflow.write'), (req: RequestLike, res: ResponseLike) => {
    const engine = listEngines().find((e) => e.id === req.params.connection);
    if (!engine) {
      res.status(404).json({ message: 'no such Asterisk connection is deployed' });
      return;
    }
    const body = typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
    const checked = meetingCommand.check({ ...body, command: req.params.command, meeting: req.params.meeting });
    if (!checked.ok || checked.value.command === 'list') {
      res.status(400).json({ message: 'the command is not valid', problems: checked.ok ? ['command: list is GET callflow/meetings'] : checked.problems });
      return;
    }
    let meetings;
    try {
      meetings = engine.meetings;
    } catch (err) {
      res.status(404).json({ message: (err as Error).message });
      return;
    }
    runMeetingCommand(meetings, checked.value).then(
      (answer) => res.json(answer),
      (err: unknown) => res.status(err instanceof MeetingCommandError ? 404 : 500).json({ message: (err as Error).message }),
    );
  });
}
