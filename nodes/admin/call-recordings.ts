/**
 * The recordings of recorded calls, for the editor (docs/campaigns.md "Recording calls", docs/speech.md "The robot"):
 *   GET callflow/campaigns/:id/attempts/:customer/:n/recording
 * streams the stored recording that attempt `n` of the customer names (a task with Record calls);
 *   GET callflow/releases/:set/flows/:flow/versions/:version/calls/:id/recording
 * streams the one the call record of call `id` of that deployed version names (a robot's Record the call), the record
 * read by its id from the store the version's connection keeps records in, however old (version-records.ts), as long as
 * the connection's retention keeps it.
 * Both come from the Asterisk that carried the call, through that connection's ARI (GET /recordings/stored/{name}/file,
 * Asterisk 14+): Asterisk keeps its recordings in its own spool, maybe on another host, so nothing here reads a disk.
 * Guarded by callflow.read, like the calls of a version in the Call flows sidebar (executions.ts), which links each
 * recorded call here.
 *
 * The name comes from the store (the attempt's or call record's `recording`): it reaches the ARI URI only if it is a
 * recording name (lib/ari/media.ts isRecordingName), and the answer is streamed with a bound (RECORDING_MAX_BYTES) and
 * an idle limit. Refusals are JSON `{message}`: 400 a bad attempt number; 404 no such campaign or version deployed, no
 * such attempt or call, one without a recording (with why, when it says) or one Asterisk does not have (any more); 409
 * the version's connection keeps no call records; 413 a file past the bound; 502 Asterisk refused or could not be
 * reached; 503 the store cannot be reached.
 */
import type { AriFile } from '../../lib/ari/rest';
import { AriError } from '../../lib/ari/errors';
import { isRecordingName } from '../../lib/ari/media';
import type { Attempt, CallRecord } from '../../lib/schemas/store';
import type { Store } from '../../lib/store/port';
import { shownValue } from '../../lib/schemas/validator';
import { findCampaign } from '../deployed/campaigns';
import { findEngine } from '../deployed/engine';
import { findBook } from '../deployed/releases';
import { FLOW, SET, VERSION, versionRecord } from './version-records';
import type { NodeAPI, RequestLike, ResponseLike } from '../red/api';

const registered = new WeakSet<object>();

/** The largest recording served: 256 MiB, four and a half hours of 8 kHz 16-bit wav. */
export const RECORDING_MAX_BYTES = 256 * 1024 * 1024;
/** A transfer from Asterisk that stalls this long is cut. */
const IDLE_MS = 30_000;
/** How long the campaign's store may take to open before the answer is 503. */
const STORE_WAIT_MS = 1000;

/** The admin path (relative to the editor's root) of the recording of attempt `n` of `customer` in campaign `campaign`. */
export function recordingPath(campaign: string, customer: string, n: number): string {
  return `callflow/campaigns/${encodeURIComponent(campaign)}/attempts/${encodeURIComponent(customer)}/${n}/recording`;
}

/** The admin path of the recording the call record of call `id` (of version `version` of `flow` in `set`) names. */
export function callRecordingPath(set: string, flow: string, version: string, id: string): string {
  return `callflow/releases/${encodeURIComponent(set)}/flows/${encodeURIComponent(flow)}/versions/${encodeURIComponent(version)}/calls/${encodeURIComponent(id)}/recording`;
}

/**
 * The recordings of the campaign calls among `records` (call record id -> recordingPath): those whose attempt, in the
 * store of their deployed campaign, names a recording. A campaign not deployed, or whose store cannot be reached,
 * links none of its calls (the calls are still listed).
 */
export async function recordingLinks(records: readonly CallRecord[]): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  // Each campaign's store opened (or waited for) once: an unreachable one would hold the listing STORE_WAIT_MS per call.
  const stores = new Map<string, Promise<Store>>();
  for (const r of records) {
    const campaign = r.campaign ? findCampaign(r.campaign.id) : undefined;
    if (!r.campaign || !campaign) continue;
    try {
      let opened = stores.get(campaign.id);
      if (!opened) {
        opened = campaign.store(STORE_WAIT_MS);
        opened.catch(() => undefined);
        stores.set(campaign.id, opened);
      }
      const store = await opened;
      const attempt = (await store.getContact(campaign.id, r.campaign.customerId))?.attempts.find((a) => a.n === r.campaign?.attempt);
      if (attempt?.recording && (attempt.callId === undefined || attempt.callId === r.id)) links.set(r.id, recordingPath(campaign.id, r.campaign.customerId, attempt.n));
    } catch {
      // The store is away: the call is listed without its recording.
    }
  }
  return links;
}

function fail(res: ResponseLike, status: number, message: string): void {
  res.status(status).json({ message });
}

/** The Content-Type the editor gets: Asterisk's "audio/<extension>" (resource_recordings.c), anything else as bytes. */
function contentType(given: string): string {
  return /^audio\/[A-Za-z0-9][A-Za-z0-9.+-]{0,31}$/.test(given) ? given : 'application/octet-stream';
}

/**
 * Streams `file` (recording `name`) to `res`: refused (413) when its length says it is past `maxBytes`, cut (the
 * client's transfer broken, Asterisk's dropped) when more than that comes or when Asterisk stalls for IDLE_MS.
 */
export function relayRecording(file: AriFile, name: string, res: ResponseLike, maxBytes = RECORDING_MAX_BYTES): void {
  const { body } = file;
  if (file.length !== undefined && file.length > maxBytes) {
    body.destroy();
    fail(res, 413, `the recording ${name} is ${file.length} bytes, more than the ${maxBytes} served`);
    return;
  }
  const type = contentType(file.contentType);
  res.status(200);
  res.setHeader('Content-Type', type);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  const extension = type.startsWith('audio/') ? `.${type.slice('audio/'.length)}` : '';
  res.setHeader('Content-Disposition', `inline; filename="${name.replace(/[^A-Za-z0-9_.+-]/g, '-')}${extension}"`);
  if (file.length !== undefined) res.setHeader('Content-Length', file.length);
  let sent = 0;
  const cut = (): void => {
    body.destroy();
    res.destroy();
  };
  body.setTimeout(IDLE_MS, cut);
  body.on('error', cut);
  res.on('close', () => body.destroy());
  body.on('data', (chunk: Buffer) => {
    sent += chunk.length;
    if (sent > maxBytes) return cut();
    if (!res.write(chunk)) {
      body.pause();
      res.once('drain', () => body.resume());
    }
  });
  body.on('end', () => res.end());
}

/**
 * Streams recording `name` (as the store gave it: checked here) of `which` from the Asterisk of `connection`, or
 * answers why not.
 */
async function serveRecording(res: ResponseLike, name: string, connection: string, which: string, signal: AbortSignal): Promise<void> {
  if (!isRecordingName(name)) return fail(res, 404, `${which} names no recording Asterisk could have: ${shownValue(name.slice(0, 80))}`);
  const engine = findEngine(connection);
  if (!engine) return fail(res, 502, `the Asterisk connection that carried ${which} is not deployed`);
  let file: AriFile;
  try {
    file = await engine.telephony.media.storedRecordingFile(name, signal);
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof AriError && err.kind === 'not-found') return fail(res, 404, `Asterisk has no recording ${name} (any more): ${err.message}`);
    return fail(res, 502, `Asterisk did not give the recording ${name}: ${(err as Error).message}`);
  }
  relayRecording(file, name, res);
}

/** An AbortSignal that fires when the editor is gone before the answer began: the request to Asterisk is dropped. */
function editorGone(res: ResponseLike): AbortSignal {
  const asked = new AbortController();
  res.on('close', () => {
    if (!res.headersSent) asked.abort();
  });
  return asked.signal;
}

function answered(res: ResponseLike): (err: unknown) => void {
  return (err) => {
    if (!res.headersSent) fail(res, 500, (err as Error).message);
    else res.destroy();
  };
}

export function registerCallRecordingsApi(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);

  RED.httpAdmin.get('/callflow/campaigns/:id/attempts/:customer/:n/recording', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const c = findCampaign(req.params.id ?? '');
    if (!c) return fail(res, 404, `no deployed campaign ${shownValue(req.params.id ?? '')} (deploy it first)`);
    const customer = req.params.customer ?? '';
    const n = Number(req.params.n);
    if (!Number.isInteger(n) || n < 1 || n > 1000) return fail(res, 400, `the attempt number must be a whole number from 1 to 1000, got ${shownValue(req.params.n ?? '')}`);
    const signal = editorGone(res);
    const which = `attempt ${n} of customer ${shownValue(customer)}`;
    /** The attempt as stored (undefined: there is none), or null once the answer says why it cannot be read. */
    const stored = async (): Promise<Attempt | undefined | null> => {
      // A customer id is 1 to 128 characters (lib/schemas/store.ts): another is nobody's.
      if (customer.length === 0 || customer.length > 128) return undefined;
      let store: Store;
      try {
        store = await c.store(STORE_WAIT_MS);
      } catch (err) {
        fail(res, 503, `the campaign's store cannot be reached: ${(err as Error).message}`);
        return null;
      }
      try {
        return (await store.getContact(c.id, customer))?.attempts.find((a) => a.n === n);
      } catch (err) {
        fail(res, (err as { kind?: string }).kind === 'invalid' ? 400 : 503, `the campaign's store could not read ${which}: ${(err as Error).message}`);
        return null;
      }
    };
    stored()
      .then(async (attempt) => {
        if (attempt === null || signal.aborted) return;
        if (!attempt) return fail(res, 404, `campaign ${shownValue(c.settings?.name ?? c.id)} has no ${which}`);
        const name = attempt.recording;
        if (!name) return fail(res, 404, `${which} has no recording${attempt.recordingError ? `: ${attempt.recordingError}` : ' (the task did not record it, or it was not answered)'}`);
        await serveRecording(res, name, attempt.connection ?? c.settings?.connection ?? '', which, signal);
      })
      .catch(answered(res));
  });

  RED.httpAdmin.get('/callflow/releases/:set/flows/:flow/versions/:version/calls/:call/recording', RED.auth.needsPermission('callflow.read'), (req: RequestLike, res: ResponseLike) => {
    const { set = '', flow = '', version = '', call = '' } = req.params;
    if (!SET.test(set) || !FLOW.test(flow) || !VERSION.test(version)) return fail(res, 404, 'no such release set, flow or version');
    const deployed = findBook(set)?.deployedVersion(flow, version);
    if (!deployed) return fail(res, 404, `version ${version} of flow ${flow} in release set ${set} is not deployed`);
    const engine = findEngine(deployed.connection);
    if (!engine?.records || !engine.recordStore) return fail(res, 409, 'the version\'s connection keeps no call records: choose a store in its settings');
    const recordStore = engine.recordStore;
    const signal = editorGone(res);
    const which = `call ${shownValue(call.slice(0, 128))}`;
    (async (): Promise<void> => {
      // A call id is 1 to 128 characters (lib/schemas/store.ts): another is nobody's.
      let record: CallRecord | undefined;
      if (call.length > 0 && call.length <= 128) {
        try {
          record = await versionRecord(await recordStore.available(STORE_WAIT_MS), { flow, version, connection: deployed.connection }, call);
        } catch (err) {
          return fail(res, (err as { kind?: string }).kind === 'invalid' ? 400 : 503, `the store of the call records cannot be read: ${(err as Error).message}`);
        }
      }
      if (signal.aborted) return;
      if (!record) return fail(res, 404, `version ${version} of flow ${flow} has no ${which} (or its record is no longer kept)`);
      if (!record.recording) return fail(res, 404, `${which} has no recording${record.recordingError ? `: ${record.recordingError}` : ' (nothing recorded it)'}`);
      await serveRecording(res, record.recording, record.connection, which, signal);
    })().catch(answered(res));
  });
}
