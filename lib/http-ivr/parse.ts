/**
 * An application's answer as a Program: by its content type, JSON (application/json) or XML
 * (application/xml, text/xml) in the callflow mode, TwiML's XML in the TwiML mode. Whatever the body is,
 * the outcome is a Program or a CommandSetError that says what was wrong and where (rule: content-type,
 * syntax, schema, or one of the command set's rules); nothing else is thrown (test/http-ivr/parse.test.ts
 * checks that on random input).
 */
import { commandSet, commandValidator, jumpValidator } from '../schemas/http-ivr';
import { shownValue } from '../schemas/validator';
import { CommandSetError, type Program } from './commands';
import { checkCommandSet, toProgram } from './rules';
import { parseTwiml, type TwimlOptions } from './twiml';
import { parseCallflowXml } from './xml';

export type Mode = 'callflow' | 'twiml';
export type ParseOptions = TwimlOptions;

/** The largest body taken (the HTTP side refuses larger ones before reading them all). */
export const MAX_BODY_BYTES = 64 * 1024;
const JSON_TYPES = ['application/json'];
const XML_TYPES = ['application/xml', 'text/xml'];
const CHARSETS = ['utf-8', 'utf8', 'us-ascii'];

function refuse(rule: 'content-type' | 'syntax', place: string, text: string): never {
  throw new CommandSetError(`${place}: ${text}`, rule, place);
}

/** The media type of a Content-Type header (lower case, no parameters), and its charset if it names one. */
export function mediaType(contentType: string | undefined): { type: string; charset?: string } {
  const [essence = '', ...params] = (contentType ?? '').split(';');
  const charset = params.map((p) => /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(p)?.[1]).find((c) => c !== undefined);
  return charset === undefined ? { type: essence.trim().toLowerCase() } : { type: essence.trim().toLowerCase(), charset: charset.toLowerCase() };
}

function text(body: string | Uint8Array): string {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size > MAX_BODY_BYTES) refuse('syntax', 'body', `has ${size} bytes, more than ${MAX_BODY_BYTES}`);
  if (typeof body === 'string') return body;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return refuse('syntax', 'body', 'is not UTF-8 text');
  }
}

/**
 * The program an application's answer describes. contentType is the response's Content-Type header;
 * body its body (bytes are read as UTF-8); mode the node's: 'callflow' (the callflow form, JSON or XML)
 * or 'twiml'.
 */
export function parseCommandSet(contentType: string | undefined, body: string | Uint8Array, mode: Mode, options: ParseOptions = {}): Program {
  const { type, charset } = mediaType(contentType);
  const accepted = mode === 'twiml' ? XML_TYPES : [...JSON_TYPES, ...XML_TYPES];
  if (!accepted.includes(type)) {
    refuse('content-type', 'Content-Type', `is ${contentType === undefined || contentType.trim() === '' ? 'missing' : shownValue(contentType)}; ${mode === 'twiml' ? 'TwiML' : 'a command set'} comes as ${accepted.join(' or ')}`);
  }
  if (charset !== undefined && !CHARSETS.includes(charset)) refuse('content-type', 'Content-Type', `names the charset ${shownValue(charset)}; only UTF-8 is read`);
  const source = text(body);
  const trimmed = source.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') refuse('syntax', 'body', 'is empty');
  if (JSON_TYPES.includes(type)) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      // JSON.parse's own message quotes the body unescaped: say it here, escaped and cut.
      return refuse('syntax', 'body', `is not JSON: ${shownValue(source)}`);
    }
    return toProgram(checkCommandSet(value), 'json');
  }
  if (!trimmed.startsWith('<')) refuse('syntax', 'body', `is not XML: ${shownValue(source)}`);
  return mode === 'twiml' ? parseTwiml(source, options) : parseCallflowXml(source);
}

/**
 * Compiles the command set's schemas now rather than on the first answer (ajv takes a few hundred
 * milliseconds for them, once): for a node to call when it starts.
 */
export function compileCommandSetSchemas(): void {
  for (const validator of [commandSet, commandValidator, jumpValidator]) validator.errorsOf(null);
}
