/**
 * Associated data: what a transfer into the dialplan (a queue, a context) carries to the agent's side, the
 * specification's `transin_data`. It is one channel variable set on the caller's channel before the move:
 *
 *   __TRANSIN_DATA = name=value&name=value...
 *
 * - The names are the call variables the transfer node lists, in its order; a variable the call does not have is
 *   sent empty, so each one keeps its place (the dialplan can take the n-th with CUT(TRANSIN_DATA,&,n)).
 * - Each value is percent-encoded (every character but A-Z a-z 0-9 _ . -, as UTF-8), so the variable holds only
 *   those characters and % = &: no "," to split an application's arguments, no "$" or "[" to start an
 *   expression, no quote, "|", ";", space or line break. Asterisk's URIDECODE() reads a value back
 *   (funcs/func_uri.c, ast_uri_decode in main/utils.c: %XX only, "+" stays "+").
 * - The "__" prefix makes the variable inherited by every channel made from the caller's, and by theirs in turn:
 *   ast_channel_inherit_variables (main/channel.c) copies a "_X" variable to a child as "X" and a "__X" one as
 *   "__X"; Queue() calls it for each member channel it rings (apps/app_queue.c, ring_entry), Dial() too; and a
 *   Local member's ;2 half gets every variable of its ;1 half (ast_unreal_call_setup, main/core_unreal.c). The
 *   dialplan reads it as ${TRANSIN_DATA} (ast_var_name drops the underscores, main/chanvars.c).
 * - At most MAX_VARIABLE_LENGTH characters once encoded: more is refused, naming the size, never cut.
 */
import { asText } from '../call/handle';
import { MAX_VARIABLE_LENGTH } from '../ari/variables';
import { own } from '../own';

/** The channel variable set, with the prefix that makes Queue()'s and Dial()'s channels inherit it. */
export const TRANSIN_VARIABLE = '__TRANSIN_DATA';

/** A value as the variable holds it: percent-encoded UTF-8, every character but A-Z a-z 0-9 _ . - encoded. */
export function encodeValue(text: string): string {
  // encodeURIComponent leaves ! ~ * ' ( ) as they are; Asterisk's argument parser reads ( and ).
  return encodeURIComponent(text).replace(/[!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The associated data of a call: name=value pairs of the listed call variables, joined by "&". A lone surrogate
 * (which UTF-8 cannot hold) or data longer than the variable may hold is a RangeError naming the field `data`.
 */
export function associatedData(names: readonly string[], vars: Record<string, unknown>): string {
  const pairs: string[] = [];
  for (const name of names) {
    const text = asText(own(vars, name));
    let encoded: string;
    try {
      encoded = encodeValue(text);
    } catch {
      throw new RangeError(`data: the variable ${name} holds text that is not valid Unicode (a lone surrogate), so it cannot be carried`);
    }
    pairs.push(`${name}=${encoded}`);
  }
  const data = pairs.join('&');
  if (data.length > MAX_VARIABLE_LENGTH) {
    throw new RangeError(`data: the associated data of ${names.join(', ')} is ${data.length} characters once encoded, more than the ${MAX_VARIABLE_LENGTH} a channel variable may hold; carry fewer or shorter variables`);
  }
  return data;
}
