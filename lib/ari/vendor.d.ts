/**
 * Types for the parts of ari-client (and of the swagger-client it builds on)
 * that the adapter touches. Neither package ships types.
 */
declare module 'ari-client' {
  export type AriOperation = (params?: Record<string, unknown>) => Promise<unknown>;
  export interface AriClient {
    [resource: string]: unknown;
  }
  export function connect(url: string, user: string, pass: string): Promise<AriClient>;
}

declare module 'swagger-client' {
  export interface Authorization {
    apply(obj: { headers: Record<string, string> }, authorizations?: unknown): boolean;
  }
  export const authorizations: {
    authz: Record<string, Authorization | undefined>;
    add(name: string, auth: Authorization): Authorization;
    remove(name: string): boolean;
  };
  export class PasswordAuthorization implements Authorization {
    constructor(name: string, username: string, password: string);
    apply(obj: { headers: Record<string, string> }): boolean;
  }
  export class SwaggerApi {
    fail(message: unknown): void;
    failure(message: unknown): void;
  }
}
