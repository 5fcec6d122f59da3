/**
 * callflow-contacts: loads contacts into a campaign. msg.payload is an
 * array of objects or CSV text; each row is checked (customer id, numbers
 * and their types, duplicates) and the valid ones are stored, in batches
 * that leave the event loop free between them. Output 1 gets one msg with
 * the counts when the import is done; each rejected row leaves on output 2
 * with its row number and the reason. Contacts can be loaded only while
 * the task is a draft (the specification's rule).
 */
import { ImportAborted, importContacts } from '../../lib/campaign/contacts';
import { stageCampaign } from '../shared/campaigns';
import { translator } from '../shared/i18n';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../shared/red';

export = function register(RED: NodeAPI): void {
  const t = translator(RED, __dirname, 'contacts');

  function ContactsNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const aborts = new Set<AbortController>();
    node.on('close', (_removed: boolean, done: () => void) => {
      for (const a of aborts) a.abort(new Error('the node was stopped'));
      done();
    });
    const campaign = stageCampaign(RED, node, def, t('callflow-contacts.errors.no-campaign'));
    if (!campaign) return;
    const settings = campaign.settings;
    node.status({});

    node.on('input', (msg: NodeMessage, send, done) => {
      const input = msg.payload;
      if (!Array.isArray(input) && typeof input !== 'string') {
        done(new Error(t('callflow-contacts.errors.payload', { type: input === null ? 'null' : typeof input })));
        return;
      }
      const abort = new AbortController();
      aborts.add(abort);
      const run = async (): Promise<void> => {
        const dialer = await campaign.dialer();
        if (!dialer.allows('load')) throw new Error(t('callflow-contacts.errors.state', { state: dialer.state }));
        const store = await campaign.store();
        node.status({ fill: 'blue', shape: 'ring', text: t('callflow-contacts.status.importing', { done: 0 }) });
        let shown = 0;
        const outcome = await importContacts(store, campaign.id, input, { numberTypes: settings.numberTypes, order: settings.order }, Date.now(), {
          signal: abort.signal,
          onProgress: (n, total) => {
            if (n - shown < 10_000 && n !== total) return;
            shown = n;
            node.status({ fill: 'blue', shape: 'ring', text: t('callflow-contacts.status.importing', { done: n }) });
          },
        });
        for (const r of outcome.rejected) {
          send([null, { topic: msg.topic, payload: r.data, row: r.row, reason: r.reason, customerId: r.customerId }]);
        }
        await dialer.contactsChanged();
        node.status({ fill: outcome.rejected.length > 0 ? 'yellow' : 'green', shape: 'dot', text: t('callflow-contacts.status.done', { inserted: outcome.inserted, rejected: outcome.rejected.length }) });
        send([{ ...msg, payload: { inserted: outcome.inserted, rejected: outcome.rejected.length, campaign: settings.name } }, null]);
      };
      run()
        .then(
          () => done(),
          (err: unknown) => {
            const e = err as Error;
            const text = e instanceof ImportAborted ? t('callflow-contacts.errors.aborted', { inserted: e.inserted }) : e.message;
            node.status({ fill: 'red', shape: 'ring', text });
            done(e instanceof ImportAborted ? new Error(text) : e);
          },
        )
        .finally(() => aborts.delete(abort));
    });
  }

  RED.nodes.registerType('callflow-contacts', ContactsNode);
};
