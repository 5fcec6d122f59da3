/**
 * Media URIs before Asterisk plays them (lib/ari/media.ts): sound and
 * recording names stay inside their directories, tone: takes what
 * ast_control_tone reads, and http(s) media on internal addresses (which
 * Asterisk would fetch on the caller's behalf) is refused unless the
 * connection's media allowlist covers it, also when a name resolves there.
 */
import assert from 'node:assert/strict';
import type { AriError } from '../../lib/ari/errors';
import { MediaGuard, isRecordingName, normalizeMedia, type Lookup } from '../../lib/ari/media';
import { silentWav } from '../../lib/sim/media';
import { playConfig, playOverride } from '../../lib/schemas/elements';
import { inbound, rig, type Rig } from '../support/telephony';

const INTERNAL = [
  'http://127.0.0.1/a.wav',
  'http://127.1.2.3:8088/ari/asterisk/info',
  'http://10.0.0.5/a.wav',
  'http://172.16.0.1/a.wav',
  'http://192.168.1.1/a.wav',
  'http://169.254.169.254/latest/meta-data/',
  'http://100.64.0.1/a.wav',
  'http://0.0.0.0/a.wav',
  'http://[::1]/a.wav',
  'http://[::ffff:127.0.0.1]/a.wav',
  'http://[fd00::1]/a.wav',
  'http://[fe80::1]/a.wav',
  'sound:https://127.0.0.1/a.wav',
];

describe('media URIs (lib/ari/media)', function () {
  describe('names and tones', function () {
    for (const [uri, why] of [
      ['recording:../../etc/passwd', /a recording name is relative to Asterisk's recordings directory \(no leading \/, no \. or \.\. parts\)/],
      ['recording:voicemail/../../secret', /no leading \/, no \. or \.\. parts/],
      ['recording:/var/spool/asterisk/voicemail/default/100/INBOX/msg0000', /no leading \//],
      ['sound:../../../../etc/asterisk/manager', /a sound name is relative to Asterisk's sounds directory/],
      ['sound:/etc/shadow', /no leading \//],
      ['sound:custom/./welcome', /no \. or \.\. parts/],
      ['sound:gopher://internal/x', /a sound name is relative/],
      ['tone:../../x', /tone: takes an indication name/],
      ['tone:ring;tonezone=../x', /tone: takes an indication name/],
      ['tone:ring;other=1', /tone: takes an indication name/],
      ['tone:ring\nx', /control character/],
      ['sound:hello\u0000', /control character/],
      ['characters:a,b', /cannot contain a comma/],
    ] as const) {
      it(`refuses ${JSON.stringify(uri)}`, function () {
        assert.throws(() => normalizeMedia(uri), why);
        assert.equal(playOverride.check({ prompts: [uri] }).ok, false, 'msg.prompts refuses it too');
        assert.equal(playConfig.checkForm({ prompts: [uri] }).ok, false, 'and the form');
      });
    }

    for (const uri of ['sound:hello-world', 'sound:digits/1', 'sound:en/custom/welcome_2.v1', 'recording:callflow-20240101-abc', 'recording:campaigns/notice-7', 'tone:ring', 'tone:busy;tonezone=fr', 'tone:!350+440/100|!0/100', 'tone:M60*M64/200', 'digits:12#', 'number:-42', 'characters:abc']) {
      it(`plays ${JSON.stringify(uri)} as written`, function () {
        assert.equal(normalizeMedia(uri), uri);
        assert.equal(playOverride.check({ prompts: [uri] }).ok, true);
      });
    }
  });

  describe("what Asterisk's list splitting would change (main/app.c __ast_app_separate_args)", function () {
    for (const [uri, why, form] of [
      ['characters:say "hi"', /cannot contain "/, false],
      ['characters:a\\b', /cannot contain \\/, false],
      ['http://media.example/a\\b.wav', /cannot contain \\/, false],
      // A ( or [ left open joins the next media to this one: characters:(a,sound:beep would be one item.
      ['characters:(a', /a \( is not closed/, true],
      ['characters:[a', /a \[ is not closed/, true],
      ['characters:)(', /a \( is not closed/, true],
      ['http://media.example/a(b.wav', /a \( is not closed.*percent-encode it/, true],
      // ast_say_number takes a C int; INT_MAX is "too big" (nothing said) and INT_MIN says only "minus".
      ['number:2147483647', /from -2147483647 to 2147483646/, true],
      ['number:-2147483648', /from -2147483647 to 2147483646/, true],
      ['number:99999999999', /number:|from -2147483647/, false],
    ] as const) {
      it(`refuses ${JSON.stringify(uri)}`, function () {
        assert.throws(() => normalizeMedia(uri), why);
        if (!form) assert.equal(playConfig.checkForm({ prompts: [uri] }).ok, false, 'the form refuses it too');
      });
    }

    for (const uri of ['characters:(a)', 'characters:a)', 'http://[2001:db8::1]/x.wav', 'http://media.example/a(1).wav', 'number:2147483646', 'number:-2147483647']) {
      it(`plays ${JSON.stringify(uri)}: what it opens it closes`, function () {
        assert.doesNotThrow(() => normalizeMedia(uri));
      });
    }
  });

  describe('http(s) media and internal addresses', function () {
    const never: Lookup = () => Promise.reject(new Error('no lookup expected'));
    for (const url of INTERNAL) {
      it(`refuses ${url}: an internal address`, async function () {
        await assert.rejects(new MediaGuard(never).check(url), (err: Error) => {
          assert.match(err.message, /^media ".*": the host .* is an internal address \(loopback, private, link-local, multicast or unspecified\) and the connection's media allowlist does not cover it$/);
          assert.ok(err.message.includes(JSON.stringify(url)), err.message);
          return true;
        });
      });
    }

    it('looks a host name up and refuses it when any of its addresses is internal (localhost, a name pointing inside)', async function () {
      const dns: Record<string, string[]> = { 'media.example.com': ['93.184.216.34'], 'evil.example.com': ['93.184.216.34', '169.254.169.254'], 'lan.example.com': ['10.0.5.7'] };
      const lookup: Lookup = (host) => Promise.resolve((dns[host] ?? []).map((address) => ({ address, family: 4 })));
      const guard = new MediaGuard(lookup);
      await guard.check('https://media.example.com/welcome.wav');
      await assert.rejects(guard.check('https://evil.example.com/a.wav'), /the host evil\.example\.com resolves to 169\.254\.169\.254, which is an internal address/);
      await assert.rejects(guard.check('https://lan.example.com/a.wav'), /resolves to 10\.0\.5\.7/);
      await assert.rejects(guard.check('https://nowhere.example.com/a.wav'), /resolves to no address/);
      await assert.rejects(new MediaGuard().check('http://localhost/a.wav'), /the host localhost resolves to (127\.0\.0\.1|::1), which is an internal address/);
    });

    it('lets the connection\'s media allowlist cover an internal server: by IP, CIDR range or host name', async function () {
      const lookup: Lookup = () => Promise.resolve([{ address: '10.0.5.7', family: 4 }]);
      const guard = new MediaGuard(lookup);
      assert.deepEqual(guard.setAllowlist('10.0.5.0/24, media.lan\n*.corp.example'), []);
      await guard.check('http://10.0.5.9/a.wav');
      await guard.check('http://media.lan/a.wav');
      await guard.check('http://prompts.corp.example/a.wav');
      await guard.check('http://other.lan/a.wav'); // resolves to 10.0.5.7, inside the range
      await assert.rejects(guard.check('http://10.0.6.1/a.wav'), /internal address/);
      await assert.rejects(guard.check('http://169.254.169.254/a.wav'), /internal address/);
      assert.deepEqual(guard.setAllowlist('10.0.0.0/99 a..b host'), ['10.0.0.0/99', 'a..b']);
    });

    it('gives up on a lookup that does not answer, and on a call that ends meanwhile', async function () {
      const hanging: Lookup = () => new Promise(() => undefined);
      await assert.rejects(new MediaGuard(hanging, 20).check('http://slow.example.com/a.wav'), /looking up slow\.example\.com took longer than 20 ms/);
      const controller = new AbortController();
      const pending = new MediaGuard(hanging, 60_000).check('http://slow.example.com/a.wav', controller.signal);
      controller.abort(new Error('call ended'));
      await assert.rejects(pending, /call ended/);
    });
  });

  describe('through the connection: nothing reaches Asterisk', function () {
    let r: Rig;
    beforeEach(async function () {
      r = await rig();
    });
    afterEach(async function () {
      await r.close();
    });

    it('refuses internal media URLs and escaping names before any request, and the caller hears nothing', async function () {
      const id = await inbound(r);
      await r.conn.answer(id);
      for (const media of ['http://169.254.169.254/latest/meta-data/iam', 'sound:http://127.0.0.1:8088/ari/asterisk/info', 'recording:../../../etc/passwd', 'tone:ring;x=1']) {
        await assert.rejects(r.conn.play({ channelId: id }, ['sound:hello-world', media]), (err: AriError) => {
          assert.equal(err.kind, 'bad-request');
          assert.ok(err.message.includes(JSON.stringify(media)), err.message);
          return true;
        });
      }
      assert.deepEqual(r.sim.call(id).report().heard, []);
    });
  });

  describe("a stored recording's file (GET /recordings/stored/{name}/file), its body for the caller to stream", function () {
    let r: Rig;
    beforeEach(async function () {
      r = await rig();
    });
    afterEach(async function () {
      await r.close();
    });

    const read = async (body: NodeJS.ReadableStream): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };

    it("gives Asterisk's content type, length and bytes; 404 as not found", async function () {
      r.sim.asterisk.defineRecording('campaign-cfc-1', 1000);
      const file = await r.conn.media.storedRecordingFile('campaign-cfc-1');
      assert.deepEqual([file.contentType, file.length], ['audio/wav', 44 + 16000]);
      assert.deepEqual(await read(file.body), silentWav(1000));
      await assert.rejects(r.conn.media.storedRecordingFile('campaign-cfc-2'), (err: AriError) => err.kind === 'not-found' && /Recording not found/.test(err.message));
    });

    it('refuses a name that is not a recording name before any request', async function () {
      // A recording stored at the top of the directory, which a name leaving a folder would reach on Asterisk.
      r.sim.asterisk.defineRecording('secret', 1000);
      for (const name of ['../secret', 'x/../secret', '/secret', './secret', '.hidden', 'a b', 'a,b', '', 'x'.repeat(65)]) {
        assert.equal(isRecordingName(name), false, name);
        await assert.rejects(r.conn.media.storedRecordingFile(name), (err: AriError) => err.kind === 'bad-request' && err.message.includes('not a recording name'), name);
      }
      assert.equal(isRecordingName('campaign-cfc-0b3a7c1e-5f7e-4d2b-9c1a-2f6e8d9a0b1c'), true);
      assert.equal(isRecordingName('campaigns/notice-7'), true);
    });

    it('a request aborted before its answer rejects with the reason', async function () {
      r.sim.asterisk.defineRecording('campaign-cfc-1', 1000);
      const gone = new AbortController();
      gone.abort(new Error('the editor went away'));
      await assert.rejects(r.conn.media.storedRecordingFile('campaign-cfc-1', gone.signal), /the editor went away/);
    });
  });
});
