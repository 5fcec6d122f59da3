/**
 * The engine's logger. lib/ never writes to the console: whoever owns an
 * engine object (a Node-RED node, the simulator CLI, a test) hands it a
 * Logger. Messages must never contain credentials; see redact().
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Removes secrets from a text before it is logged: the password itself,
 * user:password pairs in URLs and api_key query parameters.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(/(api_key=)[^&\s"']+/gi, '$1***')
    .replace(/(\/\/)([^/@\s:]+):([^/@\s]+)@/g, '$1$2:***@');
  for (const secret of secrets) {
    if (secret.length > 0) {
      out = out.split(secret).join('***');
    }
  }
  return out;
}
