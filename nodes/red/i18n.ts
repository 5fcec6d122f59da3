/**
 * Runtime strings. RED._ looks keys up in the node's message catalog (in the
 * runtime's language). Where Node-RED hands back the key itself (a catalog
 * that did not load, or node-red-node-test-helper, whose RED._ returns keys),
 * the node's own en-US strings are used instead, so a log line or an error
 * never reads as a bare key.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NodeAPI } from './api';

export type Translate = (key: string, params?: Record<string, unknown>) => string;

function lookup(catalog: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), catalog);
}

function interpolate(template: string, params: Record<string, unknown> = {}): string {
  return template.replace(/__([A-Za-z0-9_]+)__/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** `dir` is the node module's folder (its locales/ sit beside it), `base` the module's file name without .js. */
export function translator(RED: NodeAPI, dir: string, base: string): Translate {
  let fallback: unknown;
  return (key, params) => {
    const translated = RED._(key, params);
    if (translated !== key) return translated;
    if (fallback === undefined) {
      try {
        fallback = JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'en-US', `${base}.json`), 'utf8')) as unknown;
      } catch {
        fallback = {};
      }
    }
    const template = lookup(fallback, key);
    return typeof template === 'string' ? interpolate(template, params) : key;
  };
}
