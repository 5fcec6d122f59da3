/**
 * Every command of the callflow form with every attribute set, in JSON and in XML (the same command), for
 * the tests of both forms.
 */
import type { CommandName } from '../../lib/http-ivr/commands';

const play = { command: 'play', media: ['sound:hello-world'], loop: 2, bargeIn: true };
const playXml = '<Play loop="2" bargeIn="true">sound:hello-world</Play>';
const say = { command: 'say', text: 'Hello', language: 'en', voice: 'alice', loop: 1 };
const sayXml = '<Say language="en" voice="alice" loop="1">Hello</Say>';
const pause = { command: 'pause', seconds: 1.5 };
const pauseXml = '<Pause seconds="1.5"/>';

export const EVERY_COMMAND: Record<CommandName, { json: Record<string, unknown>; xml: string }> = {
  play: { json: play, xml: playXml },
  say: { json: say, xml: sayXml },
  pause: { json: pause, xml: pauseXml },
  collect: {
    json: { command: 'collect', minDigits: 1, maxDigits: 4, timeoutSec: 5, interDigitTimeoutSec: 2.5, terminator: '#', retries: 1, sub: [play, say, pause], action: { url: '/pin', method: 'POST' }, actionOnEmpty: false },
    xml: `<Collect minDigits="1" maxDigits="4" timeoutSec="5" interDigitTimeoutSec="2.5" terminator="#" retries="1" action="/pin" method="POST" actionOnEmpty="false">${playXml}${sayXml}${pauseXml}</Collect>`,
  },
  record: {
    json: { command: 'record', maxDurationSec: 120, maxSilenceSec: 0, beep: false, terminator: 'any', format: 'gsm', sub: [say], action: { url: 'https://app.example.com/recorded' } },
    xml: `<Record maxDurationSec="120" maxSilenceSec="0" beep="false" terminator="any" format="gsm" action="https://app.example.com/recorded">${sayXml}</Record>`,
  },
  transfer: {
    json: { command: 'transfer', endpoint: 'PJSIP/100', ringTimeoutSec: 20, callerId: '+15550100', sub: [play], action: { url: '../failed', method: 'GET' } },
    xml: `<Transfer endpoint="PJSIP/100" ringTimeoutSec="20" callerId="+15550100" action="../failed" method="GET">${playXml}</Transfer>`,
  },
  conference: {
    json: { command: 'conference', callflow: 'direct_host', room: 'sales-weekly', action: { url: '/left' } },
    xml: '<Conference callflow="direct_host" room="sales-weekly" action="/left"/>',
  },
  response: {
    json: { command: 'response', code: 486, reason: 'closed', sub: [{ command: 'play', media: ['sound:closed', 'digits:42'] }] },
    xml: '<Response code="486" reason="closed"><Play><Media>sound:closed</Media><Media>digits:42</Media></Play></Response>',
  },
  hangup: { json: { command: 'hangup', reason: 'caller is done' }, xml: '<Hangup reason="caller is done"/>' },
  set: {
    json: { command: 'set', vars: { lang: 'fr', tries: 2, vip: true, old: null, padded: ' x ' } },
    xml: '<Set><Var name="lang">fr</Var><Var name="tries" type="number">2</Var><Var name="vip" type="boolean">true</Var><Var name="old" type="null"/><Var name="padded"> x </Var></Set>',
  },
  return: {
    json: { command: 'return', output: 'agent', payload: { reason: 'asked for a person', digits: [1, 2] } },
    xml: '<Return output="agent">{"reason": "asked for a person", "digits": [1, 2]}</Return>',
  },
};

/** A valid value of each attribute's type, and one of another type, by the JSON type the schema gives. */
export const WRONG_TYPE: Record<string, { json: unknown; xml: string }> = {
  integer: { json: '2', xml: 'two' },
  number: { json: 'soon', xml: 'soon' },
  boolean: { json: 'yes', xml: 'yes' },
  string: { json: 42, xml: '' },
  array: { json: 'sound:x', xml: '' },
  object: { json: 'x', xml: '' },
};
