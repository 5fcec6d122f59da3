/**
 * Values this package writes into Asterisk channel variables (the set
 * node, the caller id of a transfer, the variables of an originate) come
 * from callers, contact lists and flows, so they are checked first.
 *
 * What Asterisk does with them: POST /channels/{id}/variable and the
 * `variables` of /channels and /channels/create go to
 * pbx_builtin_setvar_helper (res/ari/resource_channels.c,
 * res/stasis/control.c, main/channel.c ast_set_variables), which stores the
 * value as it is: ARI does not evaluate ${...} or $[...] in a value (a name
 * ending in ")" writes a dialplan function, e.g. CALLERID(num)). A value
 * is expanded later only where the dialplan reads it, e.g. ${VAR} in an
 * application's arguments. Control characters would end up in SIP headers
 * (the From built from CALLERID/CONNECTEDLINE), CDRs and logs; Asterisk's
 * HTTP server reads a request line of at most 4096 bytes (main/http.c,
 * MAX_HTTP_LINE_LENGTH), and setChannelVar puts the value in the query.
 */

/** The longest value written to a channel variable. */
export const MAX_VARIABLE_LENGTH = 1024;

/** The first control character of `text` (C0, DEL, C1, line and paragraph separators), or undefined. */
export function controlCharacter(text: string): string | undefined {
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return c;
  }
  return undefined;
}

/** A control character as a user can read it: U+000A. */
export function codePoint(c: string): string {
  return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why a value may not be written to a channel variable, or undefined. */
export function channelValueProblem(value: string): string | undefined {
  if (value.length > MAX_VARIABLE_LENGTH) return `is longer than ${MAX_VARIABLE_LENGTH} characters`;
  const control = controlCharacter(value);
  if (control !== undefined) return `contains a control character (${codePoint(control)})`;
  return undefined;
}

/** Refuses (RangeError) a value that may not be written to channel variable `name`, saying which and why. */
export function checkChannelValue(name: string, value: string): void {
  const problem = channelValueProblem(value);
  if (problem) throw new RangeError(`channel variable ${name}: the value ${JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value)} ${problem}`);
}
