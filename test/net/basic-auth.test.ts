/**
 * The one HTTP Basic Authorization value (lib/net/basic-auth.ts) that ARI's requests, events socket, media WebSocket
 * and a campaign callback's URL credentials all use. Expected values are RFC 7617's own examples.
 */
import assert from 'node:assert/strict';
import { mediaSocketOf } from '../../lib/ari/channel-operations';
import { splitUrlSecrets } from '../../lib/campaign/callback-secrets';
import { basicAuthorization } from '../../lib/net/basic-auth';

describe('HTTP Basic authorization (RFC 7617)', function () {
  it("gives RFC 7617 section 2's example", function () {
    assert.equal(basicAuthorization({ username: 'Aladdin', password: 'open sesame' }), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });

  it('encodes the user and password in UTF-8 (RFC 7617 section 2.1)', function () {
    assert.equal(basicAuthorization({ username: 'test', password: '123\u00a3' }), 'Basic dGVzdDoxMjPCow==');
  });

  it("is what the media WebSocket and a callback URL's user:password send", function () {
    const credentials = { username: 'Aladdin', password: 'open sesame' };
    assert.equal(mediaSocketOf('http://pbx:8088', credentials, 'abc-1').headers.Authorization, basicAuthorization(credentials));
    assert.equal(splitUrlSecrets('https://Aladdin:open%20sesame@example.com/cb').secrets.authorization, basicAuthorization(credentials));
  });
});
