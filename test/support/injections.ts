/**
 * The classic injection strings a caller may put where a dial string takes
 * a name or a number, each with what its refusal must say (shared by the
 * parser's unit tests and the node tests).
 */
export const INJECTIONS: [string, RegExp][] = [
  ['trunk/sip:+19005550100@evil.example.com', /contains "\/"/],
  ['100&PJSIP/200', /contains "&", which Dial\(\) reads as a second destination/],
  ['200@trunk', /contains "@"/],
  ['sip:+19005550100@evil.example.com', /is a URI \(sip:, sips: or tel:\)/],
  ['tel:+19005550100', /is a URI/],
  ['100,1', /contains ","/],
  ['100)', /contains "\)"/],
  ['100(x', /contains "\("/],
  ['100|200', /contains "\|"/],
  ['100;transport=tcp', /contains ";"/],
  ['100^200', /contains "\^"/],
  ['100\r\nX-Evil: 1', /contains a control character \(U\+000D\)/],
  ['100\n', /contains a control character \(U\+000A\)/],
  ['100\u0000', /contains a control character \(U\+0000\)/],
  ['${SHELL}', /contains an Asterisk expression/],
  ['$[1+1]', /contains an Asterisk expression/],
  ['100 200', /contains whitespace/],
  ['"100"', /contains "\\"", which Asterisk's argument parser reads/],
  ['1'.repeat(81), /is longer than 80 characters/],
  ['', /is empty/],
];
