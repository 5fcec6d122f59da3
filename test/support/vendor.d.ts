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
    request(): SuperAgent;
    log(): Spy;
    _redNodes: { setFlows(flow: object[], credentials: Record<string, object> | null, type: string): Promise<unknown> };
    _httpAdmin: unknown;
  }
  interface SuperResponse {
    status: number;
    body: unknown;
    /** Response headers, by lower-case name. */
    headers: Record<string, string | string[] | undefined>;
    /** The body as text (for a text answer such as CSV). */
    text: string;
  }
  /** The part of supertest the tests use: a request, its headers and body, an expected status. */
  interface SuperTest extends PromiseLike<SuperResponse> {
    set(name: string, value: string): SuperTest;
    send(body: unknown): SuperTest;
    expect(status: number): Promise<SuperResponse>;
  }
  interface SuperAgent {
    get(path: string): SuperTest;
    post(path: string): SuperTest;
    put(path: string): SuperTest;
    delete(path: string): SuperTest;
  }
  const helper: TestHelper;
  export = helper;
}
