/**
 * The part of Node-RED's runtime API this package uses, typed. Node-RED
 * hands `RED` to each node module's exported function; nothing here is
 * imported from Node-RED itself (it is a peer the user installs).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type NodeMessage = Record<string, unknown> & { _msgid?: string };

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type SendFunction = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[] | null) => void;
export type DoneFunction = (err?: Error) => void;

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [key: string]: unknown;
}

export interface Node<TCredentials = Record<string, string | undefined>> {
  readonly id: string;
  readonly type: string;
  readonly name?: string;
  readonly z?: string;
  credentials: TCredentials;
  on(event: 'input', listener: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  status(status: NodeStatus | Record<string, never>): void;
  send(msg: NodeMessage | (NodeMessage | null)[] | null): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string | Error, msg?: NodeMessage): void;
  debug(message: string): void;
  trace(message: string): void;
}

export interface RequestLike extends IncomingMessage {
  params: Record<string, string>;
  /** Set by Node-RED when adminAuth is on. */
  user?: { username?: string; permissions?: string | string[] };
  query: Record<string, string | undefined>;
  body: unknown;
}
export interface ResponseLike extends ServerResponse {
  json(body: unknown): void;
  status(code: number): ResponseLike;
  send(body: unknown): void;
}
type Handler = (req: RequestLike, res: ResponseLike, next: (err?: unknown) => void) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    registerType(
      type: string,
      constructor: (this: Node, def: NodeDef) => void,
      options?: { credentials?: Record<string, { type: 'text' | 'password' }>; settings?: Record<string, unknown> },
    ): void;
    getNode(id: string): Node | null;
    /** Calls `cb` with the settings of every deployed node (config nodes included, tabs not). */
    eachNode(cb: (def: NodeDef) => void): void;
  };
  /** Runtime events: "flows:started" ({ config: { flows }, type }) after each deploy has started its nodes. */
  events: {
    on(event: string, listener: (...args: never[]) => void): void;
    removeListener(event: string, listener: (...args: never[]) => void): void;
  };
  _(key: string, substitutions?: Record<string, unknown>): string;
  log: {
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
    debug(message: string): void;
  };
  settings: Record<string, unknown> & { userDir?: string };
  util: {
    evaluateNodeProperty(value: string, type: string, node: Node, msg: NodeMessage, callback: (err: Error | null, result: unknown) => void): void;
    getMessageProperty(msg: object, expression: string): unknown;
    normalisePropertyExpression(expression: string): (string | number)[];
    generateId(): string;
    /** A deep copy of a msg, as Node-RED makes for every target but the first of a send. */
    cloneMessage<T extends NodeMessage>(msg: T): T;
  };
  /** Node-RED's message-routing hooks (absent from some test runtimes). */
  hooks?: { has(hookId: string): boolean };
  httpAdmin: {
    get(path: string, ...handlers: Handler[]): void;
    post(path: string, ...handlers: Handler[]): void;
    put(path: string, ...handlers: Handler[]): void;
    delete(path: string, ...handlers: Handler[]): void;
  };
  auth: { needsPermission(permission: string): Handler };
  /** Node-RED's HTTP routes for flows (httpNodeRoot); absent when httpNodeRoot is false. */
  httpNode?: {
    get(path: string, handler: (req: IncomingMessage & { params: Record<string, string> }, res: ServerResponse) => void): void;
  };
}
