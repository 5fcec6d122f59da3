/**
 * A busy machine's media path, on purpose: connections that note, in one list, when the listening's external media
 * channel is asked for and made, and when the first prompt is played; the channel is made late (once `late` settles)
 * when a prompt was played before it was asked for. What a caller says before it is made is lost, as on a loaded
 * machine where the path opened after the prompt the caller answered (test/speech/bot.test.ts, test/ivr).
 */
import type { Telephony } from '../../lib/ari/port';

export interface LateMediaPath {
  /** What happened, in order: 'media path asked', 'media path made', 'prompt played' (the first play only). */
  order: string[];
  /** The connection to listen through: its externalMedia is made late if a prompt already played. */
  listening: Telephony;
  /** The connection to play prompts through: its first play is noted. */
  playing: Telephony;
}

/** Wraps `conn`; a path asked for after a prompt played waits for `late` before it is made. */
export function lateMediaPath(conn: Telephony, late: () => Promise<unknown>): LateMediaPath {
  const order: string[] = [];
  const wrap = (key: 'externalMedia' | 'play', fn: (...args: never[]) => Promise<unknown>): Telephony =>
    new Proxy(conn, {
      get(target, name) {
        if (name === key) return fn;
        const value: unknown = Reflect.get(target, name, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  const listening = wrap('externalMedia', async (...args: Parameters<Telephony['externalMedia']>) => {
    order.push('media path asked');
    if (order.includes('prompt played')) await late();
    const made = await conn.externalMedia(...args);
    order.push('media path made');
    return made;
  });
  const playing = wrap('play', (...args: Parameters<Telephony['play']>) => {
    if (!order.includes('prompt played')) order.push('prompt played');
    return conn.play(...args);
  });
  return { order, listening, playing };
}
