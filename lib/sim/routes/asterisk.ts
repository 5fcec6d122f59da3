/**
 * The ARI `asterisk` resource (rest-api/api-docs/asterisk.json, res/ari/resource_asterisk.c): system
 * information, ping and global variables.
 */
import type { RouteSpec } from '../route';
import type { SimulatedAsterisk } from '../asterisk';
import { str } from './params';

export function asteriskRoutes(ast: SimulatedAsterisk): RouteSpec[] {
  return [
    {
      resource: 'asterisk',
      method: 'GET',
      path: '/asterisk/info',
      nickname: 'getInfo',
      summary: 'Information about this Asterisk system.',
      responseClass: 'AsteriskInfo',
      params: [str('only', 'Which sections to return.', { multiple: true, values: ['build', 'system', 'config', 'status'] })],
      handle: (a) => ast.info(a.list('only')),
    },
    {
      resource: 'asterisk',
      method: 'GET',
      path: '/asterisk/ping',
      nickname: 'ping',
      summary: 'Answers pong, with this Asterisk id.',
      responseClass: 'AsteriskPing',
      handle: () => ast.ping(),
    },
    {
      resource: 'asterisk',
      method: 'GET',
      path: '/asterisk/variable',
      nickname: 'getGlobalVar',
      summary: 'Value of a global variable.',
      responseClass: 'Variable',
      params: [str('variable', 'Variable name.', { required: true })],
      errors: [{ code: 400, reason: 'Missing variable parameter.' }],
      handle: (a) => ast.globalVariable(a.str('variable')),
    },
    {
      resource: 'asterisk',
      method: 'POST',
      path: '/asterisk/variable',
      nickname: 'setGlobalVar',
      summary: 'Sets a global variable.',
      responseClass: 'void',
      params: [str('variable', 'Variable name.', { required: true }), str('value', 'New value.')],
      errors: [{ code: 400, reason: 'Missing variable parameter.' }],
      handle: (a) => ast.globalVariable(a.str('variable'), a.str('value') ?? ''),
    },
  ];
}
