/** The parts of node-red-node-test-helper the tests use (it ships no types). */
declare module 'node-red-node-test-helper' {
  interface SpyCall {
    args: unknown[];
    thisValue: unknown;
  }
  interface Spy {
    getCalls(): SpyCall[];
    args: unknown[][];
  }
  interface TestHelper {
    init(runtimePath?: string, settings?: Record<string, unknown>): void;
    startServer(done: (err?: Error) => void): void;
    stopServer(done: (err?: Error) => void): void;
    load(nodes: unknown[], flow: object[], credentials?: Record<string, object>): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): unknown;
    /** Runtime settings merged over the defaults for the next load (userDir, ...). */
    settings(settings: Record<string, unknown>): Record<string, unknown>;
    /** supertest on the admin API (RED.httpAdmin). */
    request(): { get(path: string): PromiseLike<{ status: number; body: unknown }> };
    log(): Spy;
    _redNodes: { setFlows(flow: object[], credentials: Record<string, object> | null, type: string): Promise<unknown> };
    _httpAdmin: unknown;
  }
  const helper: TestHelper;
  export = helper;
}
