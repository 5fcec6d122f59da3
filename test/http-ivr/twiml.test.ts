/**
 * TwiML as a Program (lib/http-ivr/twiml.ts), on documents written the way Twilio's docs write them: an IVR
 * menu (Gather with prompts, then a fallback and a Redirect), a voicemail (Say, Record, Say), a Dial with a
 * Number and an action; Twilio's defaults where the document leaves them out; and what is not supported,
 * refused by name.
 */
import assert from 'node:assert/strict';
import type { Rule } from '../../lib/http-ivr/commands';
import { parseTwiml } from '../../lib/http-ivr/twiml';
import { assertRefused } from './refused';

function refused(xml: string, rule: Rule, path: string, message: string | RegExp, options = {}): void {
  assertRefused(() => parseTwiml(xml, options), rule, path, message);
}

describe('TwiML (lib/http-ivr/twiml)', function () {
  it('an IVR menu: Gather with prompts, a fallback Say and a Redirect; what follows the Redirect is never read', function () {
    const menu = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Gather action="/ivr/menu" method="POST" numDigits="1" timeout="7" actionOnEmptyResult="false">
        <Say voice="Polly.Joanna" language="en-US">Thanks for calling. For sales, press 1. For support, press 2.</Say>
        <Pause length="1"/>
        <Play loop="2">https://assets.example.com/ivr/options.mp3</Play>
    </Gather>
    <Say>Sorry, I didn't get your response.</Say>
    <Redirect method="POST">/ivr/welcome</Redirect>
    <Enqueue>never read: Twilio ignores what follows a Redirect</Enqueue>
</Response>`;
    assert.deepEqual(parseTwiml(menu), {
      form: 'twiml',
      steps: [
        {
          command: 'collect',
          minDigits: 1,
          maxDigits: 1,
          timeoutSec: 7,
          interDigitTimeoutSec: 7,
          terminator: '#',
          sub: [
            { command: 'say', text: 'Thanks for calling. For sales, press 1. For support, press 2.', voice: 'Polly.Joanna', language: 'en-US' },
            { command: 'pause', seconds: 1 },
            { command: 'play', media: ['https://assets.example.com/ivr/options.mp3'], loop: 2 },
          ],
          action: { url: '/ivr/menu', method: 'POST' },
          actionOnEmpty: false,
        },
        { command: 'say', text: "Sorry, I didn't get your response." },
        { command: 'jump', jump: { url: '/ivr/welcome', method: 'POST' } },
      ],
    });
  });

  it('a voicemail: Say, Record with its attributes, and a Say for an empty recording', function () {
    const voicemail = `<Response>
  <Say>Please leave a message at the beep. Press the star key when finished.</Say>
  <Record action="https://app.example.com/voicemail/saved" method="GET" maxLength="20" finishOnKey="*" timeout="3" playBeep="true" trim="trim-silence" transcribe="false"/>
  <Say>I did not receive a recording</Say>
</Response>`;
    assert.deepEqual(parseTwiml(voicemail).steps, [
      { command: 'say', text: 'Please leave a message at the beep. Press the star key when finished.' },
      { command: 'record', maxDurationSec: 20, maxSilenceSec: 3, terminator: '*', beep: true, action: { url: 'https://app.example.com/voicemail/saved', method: 'GET' } },
      { command: 'say', text: 'I did not receive a recording' },
    ]);
  });

  it('a Dial with a Number and an action, and the number as the Dial\'s text', function () {
    const dial = `<Response>
  <Dial action="/call/ended" method="POST" timeout="20" callerId="+1 (415) 555-0100">
    <Number>415-123-4567</Number>
  </Dial>
  <Say>Goodbye</Say>
</Response>`;
    assert.deepEqual(parseTwiml(dial).steps, [
      { command: 'transfer', number: '4151234567', ringTimeoutSec: 20, callerId: '+14155550100', action: { url: '/call/ended', method: 'POST' } },
      { command: 'say', text: 'Goodbye' },
    ]);
    assert.deepEqual(parseTwiml('<Response><Dial>+49 30 1234567</Dial></Response>').steps, [{ command: 'transfer', number: '+49301234567', ringTimeoutSec: 30 }]);
    assert.deepEqual(parseTwiml('<Response><Dial><Sip>sip:alice@pbx.example.com;transport=tls</Sip></Dial></Response>', { sipEndpoint: 'trunk' }).steps, [
      { command: 'transfer', endpoint: 'PJSIP/trunk/sip:alice@pbx.example.com;transport=tls', ringTimeoutSec: 30 },
    ]);
  });

  it('fills in Twilio\'s defaults: Gather and Record request the current URL by POST, Record stops on any key after an hour', function () {
    assert.deepEqual(parseTwiml('<Response><Gather/><Record/><Pause/></Response>').steps, [
      { command: 'collect', minDigits: 1, maxDigits: 64, timeoutSec: 5, interDigitTimeoutSec: 5, terminator: '#', action: { url: '', method: 'POST' } },
      { command: 'record', maxDurationSec: 3600, maxSilenceSec: 5, terminator: 'any', beep: true, action: { url: '', method: 'POST' } },
      { command: 'pause', seconds: 1 },
    ]);
    assert.deepEqual(parseTwiml('<Response><Record finishOnKey="#*0123456789"/></Response>').steps[0], { command: 'record', maxDurationSec: 3600, maxSilenceSec: 5, terminator: 'any', beep: true, action: { url: '', method: 'POST' } });
    assert.deepEqual(parseTwiml('<Response><Gather finishOnKey=""/></Response>').steps[0], { command: 'collect', minDigits: 1, maxDigits: 64, timeoutSec: 5, interDigitTimeoutSec: 5, terminator: '', action: { url: '', method: 'POST' } });
  });

  it('Say and Play loop="0" (Twilio: until the call ends, at most 1000 times) play 100 times', function () {
    assert.deepEqual(parseTwiml('<Response><Say loop="0">Hold on</Say><Play loop="0">https://a.example.com/m.mp3</Play></Response>').steps, [
      { command: 'say', text: 'Hold on', loop: 100 },
      { command: 'play', media: ['https://a.example.com/m.mp3'], loop: 100 },
    ]);
  });

  it('Reject: busy is 486, rejected (the default) 603; Hangup; nothing after either is read', function () {
    assert.deepEqual(parseTwiml('<Response><Reject reason="busy"/><Say>never</Say></Response>').steps, [{ command: 'response', code: 486, reason: 'TwiML Reject (busy)' }]);
    assert.deepEqual(parseTwiml('<Response><Reject/></Response>').steps, [{ command: 'response', code: 603, reason: 'TwiML Reject (rejected)' }]);
    assert.deepEqual(parseTwiml('<Response><Hangup/><Dance/></Response>').steps, [{ command: 'hangup', reason: 'TwiML Hangup' }]);
    assert.deepEqual(parseTwiml('<Response></Response>').steps, []);
    refused('<Response><Reject reason="maybe"/></Response>', 'schema', 'Response/Reject/@reason', 'Response/Reject/@reason: is rejected or busy (got "maybe")');
  });

  it('ignores Gather\'s speech-recognition attributes, which input="dtmf" does not use', function () {
    assert.equal(parseTwiml('<Response><Gather input="dtmf" language="fr-FR" hints="yes, no" speechTimeout="auto" speechModel="x" profanityFilter="true" enhanced="false"/></Response>').steps.length, 1);
  });

  describe('what is not supported, refused by name (twiml-unsupported)', function () {
    const cases: [string, string, string | RegExp][] = [
      ['<Response><Gather input="speech"/></Response>', 'Response/Gather/@input', 'Response/Gather/@input: <Gather input="speech">: only "dtmf" is supported (there is no speech recognition)'],
      ['<Response><Gather input="dtmf speech"/></Response>', 'Response/Gather/@input', /only "dtmf" is supported/],
      ['<Response><Gather finishOnKey="0"/></Response>', 'Response/Gather/@finishOnKey', 'Response/Gather/@finishOnKey: <Gather finishOnKey="0">: only #, * or "" (none) end an entry here'],
      ['<Response><Gather validDigits="12"/></Response>', 'Response/Gather/@validDigits', 'Response/Gather/@validDigits: the validDigits attribute of <Gather> is not supported (supported: input, timeout, finishOnKey, numDigits, action, method, actionOnEmptyResult)'],
      ['<Response><Play digits="ww1234"/></Response>', 'Response/Play/@digits', /^Response\/Play\/@digits: <Play digits> plays DTMF tones into the call/],
      ['<Response><Say>Hello <break time="1s"/> there</Say></Response>', 'Response/Say/break', 'Response/Say/break: SSML (<break>) in <Say> is not supported: <Say> takes plain text'],
      ['<Response><Record transcribe="true"/></Response>', 'Response/Record/@transcribe', 'Response/Record/@transcribe: <Record transcribe="true"> is not supported (only "false")'],
      ['<Response><Record recordingStatusCallback="/cb"/></Response>', 'Response/Record/@recordingStatusCallback', /^Response\/Record\/@recordingStatusCallback: the recordingStatusCallback attribute of <Record> is not supported/],
      ['<Response><Record finishOnKey="12"/></Response>', 'Response/Record/@finishOnKey', /only all keys, # alone, \* alone or "" \(none\)/],
      ['<Response><Dial record="record-from-answer">123</Dial></Response>', 'Response/Dial/@record', 'Response/Dial/@record: <Dial record="record-from-answer"> is not supported (only "false" or "do-not-record")'],
      ['<Response><Dial hangupOnStar="true">123</Dial></Response>', 'Response/Dial/@hangupOnStar', /only "false"/],
      ['<Response><Dial timeLimit="60">123</Dial></Response>', 'Response/Dial/@timeLimit', /the timeLimit attribute of <Dial> is not supported/],
      ['<Response><Dial><Number>1</Number><Number>2</Number></Dial></Response>', 'Response/Dial/Number[2]', 'Response/Dial/Number[2]: <Dial> with more than one target is not supported (it would ring them all at once)'],
      ['<Response><Dial><Number sendDigits="1234">123</Number></Dial></Response>', 'Response/Dial/Number/@sendDigits', 'Response/Dial/Number/@sendDigits: the sendDigits attribute of <Number> is not supported (<Number> takes none here)'],
      ['<Response><Dial><Client>alice</Client></Dial></Response>', 'Response/Dial/Client', 'Response/Dial/Client: <Dial> to <Client> is not supported (only a number, <Number> or <Sip>)'],
      ['<Response><Dial><Conference>room</Conference></Dial></Response>', 'Response/Dial/Conference', /<Dial> to <Conference> is not supported/],
      ['<Response><Dial><Sip>sip:a@b.example.com</Sip></Dial></Response>', 'Response/Dial/Sip', 'Response/Dial/Sip: <Sip> needs the node\'s SIP endpoint to send the call through, and none is set'],
      ['<Response><Enqueue>support</Enqueue></Response>', 'Response/Enqueue', /^Response\/Enqueue: <Enqueue> is a TwiML verb this platform does not run \(it runs <Say>, <Play>, <Pause>, <Gather>, <Record>, <Dial>, <Hangup>, <Redirect>, <Reject>\)$/],
      ['<Response><Connect><Stream url="wss://x"/></Connect></Response>', 'Response/Connect', /<Connect> is a TwiML verb this platform does not run/],
      ['<Response><Sms>hi</Sms></Response>', 'Response/Sms', /<Sms> is a TwiML verb this platform does not run/],
      ['<Response><Say>ok</Say><Stream url="wss://x"/></Response>', 'Response/Stream', /<Stream> is a TwiML verb/],
      ['<Response><Speak>hi</Speak></Response>', 'Response/Speak', /^Response\/Speak: <Speak> is not a TwiML voice verb/],
    ];
    for (const [xml, path, message] of cases) {
      it(path, function () {
        refused(xml, 'twiml-unsupported', path, message);
      });
    }
  });

  it('checks each step\'s values with the callflow schema, naming the TwiML element and attribute', function () {
    refused('<Response><Dial timeout="600">123</Dial></Response>', 'schema', 'Response/Dial/@timeout', /^Response\/Dial\/@timeout: .*from 5 to 300 \(got 600\)$/);
    refused('<Response><Gather><Say loop="x">a</Say><Play loop="-1">https://a.example.com/x.mp3</Play></Gather></Response>', 'schema', 'Response/Gather/Say/@loop', /\(got "x"\)/);
    refused('<Response><Play>file:///etc/passwd</Play></Response>', 'schema', 'Response/Play', /^Response\/Play: a media URI/);
    refused('<Response><Play/></Response>', 'schema', 'Response/Play', 'Response/Play: needs the URL to play as its text');
    refused('<Response><Say/></Response>', 'schema', 'Response/Say', 'Response/Say: needs the text to say as its text');
    refused('<Response><Dial>alice</Dial></Response>', 'schema', 'Response/Dial', /^Response\/Dial: a number to call .*\(got "alice"\)$/);
    refused('<Response><Dial/></Response>', 'schema', 'Response/Dial', 'Response/Dial: needs exactly one of endpoint, number, queue, flow (it has none)');
    refused('<Response><Gather action="javascript:alert(1)"/></Response>', 'schema', 'Response/Gather/@action', /^Response\/Gather\/@action: a URL/);
    refused('<Response><Redirect method="PUT">/x</Redirect></Response>', 'schema', 'Response/Redirect/@method', /^Response\/Redirect\/@method: GET or POST/);
    refused('<Response><Redirect/></Response>', 'schema', 'Response/Redirect', 'Response/Redirect: needs a URL as its text');
    refused('<Response><Gather numDigits="65"/></Response>', 'schema', 'Response/Gather/@numDigits', /from 1 to 64 \(got 65\)$/);
    refused('<Response><Dial><Sip>alice</Sip></Dial></Response>', 'schema', 'Response/Dial/Sip', 'Response/Dial/Sip: is not a sip: or sips: URI (got "alice")', { sipEndpoint: 'trunk' });
    refused('<Response><Gather><Record/></Gather></Response>', 'not-nestable', 'Response/Gather/Record', 'Response/Gather/Record: <Record> may not be nested in <Gather>; <Gather> nests only <Say>, <Play> or <Pause>');
    refused('<Response>hello<Say>x</Say></Response>', 'schema', 'Response', 'Response: <Response> takes no text (got "hello")');
    refused('<Say>x</Say>', 'schema', 'Say', 'Say: the root element is <Say>; TwiML is a <Response>');
  });
});
