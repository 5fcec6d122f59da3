/** The engine's Logger, writing through a Node-RED node (so lines carry the node's name and reach the log and debug tools). */
import type { Logger } from '../../lib/log';
import type { Node } from './api';

export function nodeLogger(node: Pick<Node, 'debug' | 'log' | 'warn' | 'error'>): Logger {
  return {
    debug: (m) => node.debug(m),
    info: (m) => node.log(m),
    warn: (m) => node.warn(m),
    error: (m) => node.error(m),
  };
}
