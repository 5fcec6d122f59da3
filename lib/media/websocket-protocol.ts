/**
 * The wire protocol of Asterisk's WebSocket channel (channels/chan_websocket.c, Asterisk 20.16 / 21.11 / 22.6 / 23.0
 * and later): BINARY frames carry raw audio in the channel's format, TEXT frames carry control messages. Events from
 * Asterisk and commands to it are plain text ("MEDIA_START connection_id:x channel:y ...", the default) or JSON
 * ({"event": ...} / {"command": ...}, chan_websocket.conf `control_message_format = json`, from 20.18 / 22.8 / 23.2).
 * Both the plugin's endpoint (websocket-endpoint.ts) and the simulator (lib/sim/resources/websocket-media.ts) speak it
 * from here. Every text is hostile: parseControlMessage never throws and bounds what it reads.
 */
import { encodeUlaw, type MediaFormat } from './codec';

export type ControlFormat = 'plain-text' | 'json';

/** A field of an event: plain text gives strings, JSON keeps its types (channel_variables is an object). */
export type ControlValue = string | number | boolean | Record<string, unknown>;

export interface ControlMessage {
  format: ControlFormat;
  /** The event (from Asterisk) or command (to it), e.g. MEDIA_START, MEDIA_XOFF, HANGUP. */
  name: string;
  fields: Record<string, ControlValue>;
}

/** Longest control message read (a JSON MEDIA_START carries the channel's variables). */
export const MAX_CONTROL_TEXT = 16 * 1024;

const NAME = /^[A-Z][A-Z_]{0,39}$/;

/**
 * One TEXT frame: JSON when it starts with `{` (the key is `event` from Asterisk, `command` to it), plain text
 * otherwise: the name, then space-separated `key:value` pairs (a value runs to the next ` key:`, so an ERROR's
 * error_text keeps its spaces; chan_websocket.c _create_event_* lines 198-448).
 */
export function parseControlMessage(text: string, key: 'event' | 'command' = 'event'): { ok: true; message: ControlMessage } | { ok: false; error: string } {
  if (text.length > MAX_CONTROL_TEXT) return { ok: false, error: `control message of ${text.length} characters, over ${MAX_CONTROL_TEXT}` };
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, error: 'empty control message' };
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return { ok: false, error: 'control message is not valid JSON' };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, error: 'JSON control message is not an object' };
    const { [key]: name, ...rest } = parsed as Record<string, unknown>;
    if (typeof name !== 'string' || !NAME.test(name)) return { ok: false, error: `JSON control message has no valid "${key}"` };
    const fields: Record<string, ControlValue> = {};
    for (const [k, v] of Object.entries(rest)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
      else if (typeof v === 'object' && v !== null && !Array.isArray(v)) fields[k] = v as Record<string, unknown>;
    }
    return { ok: true, message: { format: 'json', name, fields } };
  }
  const tokens = trimmed.split(' ');
  const name = tokens[0] ?? '';
  if (!NAME.test(name)) return { ok: false, error: `control message does not start with an event name: ${JSON.stringify(trimmed.slice(0, 40))}` };
  const fields: Record<string, string> = {};
  let last: string | undefined;
  for (const token of tokens.slice(1)) {
    const colon = token.indexOf(':');
    const k = colon > 0 ? token.slice(0, colon) : '';
    if (/^[a-z_]{1,40}$/.test(k) && last !== 'error_text') {
      fields[k] = token.slice(colon + 1);
      last = k;
    } else if (last !== undefined) {
      fields[last] = `${fields[last] ?? ''} ${token}`;
    }
  }
  return { ok: true, message: { format: 'plain-text', name, fields } };
}

/** A command to Asterisk in the channel's control format (handle_command, chan_websocket.c lines 728-929). */
export function commandText(format: ControlFormat, command: string): string {
  return format === 'json' ? JSON.stringify({ command }) : command;
}

/** A field as text (plain-text events carry every value as text). */
export function fieldText(value: ControlValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'object' ? undefined : String(value);
}

/**
 * Bytes of one 20 ms frame, chan_websocket's optimal_frame_size: default_ms x minimum_bytes / minimum_ms of the codec
 * (websocket_new, chan_websocket.c lines 1425-1433; main/codec_builtin.c: ulaw 80 bytes per 10 ms, slin16 320).
 */
export const OPTIMAL_FRAME_SIZE: Readonly<Record<MediaFormat, number>> = { ulaw: 160, slin16: 640 };

/**
 * Signed linear on the WebSocket is the frame's data as Asterisk holds it (webchan_write writes f->data.ptr,
 * chan_websocket.c lines 1219-1254): host byte order, little-endian on the x86-64 and arm64 machines Asterisk runs on
 * (RTP swaps to big-endian, the WebSocket does not).
 */
export function decodeSlinLE(bytes: Uint8Array): Int16Array {
  const n = bytes.length >> 1;
  const out = new Int16Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

export function encodeSlinLE(samples: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] ?? 0, i * 2);
  return out;
}

/** A message as the ws library hands it over (its RawData: one buffer, fragments, or an ArrayBuffer) as one Buffer. */
export function messageBytes(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** Samples as a BINARY frame carries them in the channel's format (ulaw, or slin16 little-endian). */
export function encodeWebSocketAudio(format: MediaFormat, samples: Int16Array): Buffer {
  return format === 'ulaw' ? encodeUlaw(samples) : encodeSlinLE(samples);
}
