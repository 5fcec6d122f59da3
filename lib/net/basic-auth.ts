/**
 * HTTP Basic authentication (RFC 7617): a user and password as the value of an Authorization header. ARI takes its
 * credentials this way (the REST requests, the API documents, the events WebSocket, chan_websocket's /media), and so
 * does a campaign callback whose URL holds user:password.
 */

/** A user and password, as typed (not URL-encoded). */
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * `Basic <base64 of user ":" password>`, the user and password in UTF-8 (RFC 7617 section 2 and, for the charset,
 * section 2.1). The value is the password, only encoded: it goes in a request's headers and nowhere else, never in a
 * log line or an error message.
 */
export function basicAuthorization(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}
