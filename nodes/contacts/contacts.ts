/**
 * callflow-contacts: loads contacts into a campaign. msg.payload is an
 * array of objects, CSV text, or CSV bytes (a Buffer, strictly UTF-8); each
 * row is checked (customer id, numbers and their types, duplicates, control
 * characters and text that was not UTF-8) and the valid ones are stored, in
 * batches that leave the event loop free between them. Each rejected row
 * leaves on output 2 as it is found, with its row number and the reason,
 * a bounded number per turn of the event loop (the import keeps none of
 * them); output 1 gets one msg with the counts when the import is done, and
 * the log and the status say them too. Contacts can be loaded only while
 * the task is a draft (the specification's rule).
 */
import { ImportAborted, ImportFailed, importContacts, prepareContactChecks } from '../../lib/campaign/contacts';
import { stageCampaign } from '../deployed/campaigns';
import { translator } from '../red/i18n';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../red/api';

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
    // At deploy rather than in the first import (its one-time compile would hold the event loop then).
    prepareContactChecks();
    const settings = campaign.settings;
    node.status({});

    node.on('input', (msg: NodeMessage, send, done) => {
      const input = msg.payload;
      if (!Array.isArray(input) && typeof input !== 'string' && !(input instanceof Uint8Array)) {
        done(new Error(t('callflow-contacts.errors.payload', { type: input === null ? 'null' : typeof input })));
        return;
      }
      const abort = new AbortController();
      aborts.add(abort);
      const run = async (): Promise<void> => {
        const dialer = await campaign.dialer();
        if (!dialer.allows('load')) throw new Error(t('callflow-contacts.errors.state', { state: dialer.state }));
        const store = await campaign.store();
        node.status({ fill: 'blue', shape: 'ring', text: t('callflow-contacts.status.reading') });
        let shown = -Infinity;
        const outcome = await importContacts(store, campaign.id, input, { numberTypes: settings.numberTypes, order: settings.order }, Date.now(), {
          signal: abort.signal,
          onProgress: (p) => {
            if (p.done - shown < 10_000 && p.done !== p.total) return;
            shown = p.done;
            node.status({ fill: 'blue', shape: 'ring', text: t('callflow-contacts.status.importing', { done: p.done, total: p.total, rejected: p.rejected }) });
          },
          // Each rejected row leaves as it is found; the import paces them (a bounded number per turn).
          onRejected: (r) => send([null, { topic: msg.topic, payload: r.data, row: r.row, reason: r.reason, customerId: r.customerId }]),
        });
        await dialer.contactsChanged();
        const counts = { inserted: outcome.inserted, rejected: outcome.rejected, campaign: settings.name };
        node.status({ fill: outcome.rejected > 0 ? 'yellow' : 'green', shape: 'dot', text: t('callflow-contacts.status.done', counts) });
        node.log(t('callflow-contacts.log.done', counts));
        send([{ ...msg, payload: counts }, null]);
      };
      run()
        .then(
          () => done(),
          (err: unknown) => {
            const e = err as Error;
            let text = e.message;
            if (e instanceof ImportAborted) text = t('callflow-contacts.errors.aborted', { inserted: e.inserted, rejected: e.rejected });
            else if (e instanceof ImportFailed) text = t('callflow-contacts.errors.failed', { inserted: e.inserted, rejected: e.rejected, message: (e.cause as Error | undefined)?.message ?? String(e.cause) });
            node.status({ fill: 'red', shape: 'ring', text });
            done(e instanceof ImportAborted || e instanceof ImportFailed ? new Error(text, { cause: e }) : e);
          },
        )
        .finally(() => aborts.delete(abort));
    });
  }

  RED.nodes.registerType('callflow-contacts', ContactsNode);
};
