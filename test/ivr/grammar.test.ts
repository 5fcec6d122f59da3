/** What recognised text means (lib/ivr/grammar.ts): a menu option's phrases said as whole words, digits spoken. */
import assert from 'node:assert/strict';
import { matchOption, normalisedWords, spokenDigits } from '../../lib/ivr/grammar';

describe('speech grammar', function () {
  const options = [['sales', 'buy something'], ['support', 'technical support', 'help'], ['billing']];

  it('finds the option whose phrase is said, as whole words, whatever the case and punctuation', function () {
    assert.equal(matchOption('Sales, please.', options), 0);
    assert.equal(matchOption('I want to BUY SOMETHING!', options), 0);
    assert.equal(matchOption('technical support', options), 1);
    assert.equal(matchOption('Billing.', options), 2);
    assert.equal(matchOption('wholesales', options), -1, 'not inside a word');
    assert.equal(matchOption('', options), -1);
    assert.equal(matchOption('nothing of that', options), -1);
  });

  it('the phrase said first wins; of phrases starting at the same word, the longest', function () {
    assert.equal(matchOption('billing, no, sales', options), 2);
    assert.equal(matchOption('help me with sales', options), 1);
    assert.equal(matchOption('buy something', [['buy'], ['buy something']]), 1);
  });

  it('reads digits spoken or written, and nothing when other words are said', function () {
    assert.equal(spokenDigits('one two three'), '123');
    assert.equal(spokenDigits('4 5, 6-7'), '4567');
    assert.equal(spokenDigits('Oh nine eight.'), '098');
    assert.equal(spokenDigits('一二三'), '123');
    assert.equal(spokenDigits("I don't know"), '');
    assert.equal(spokenDigits(''), '');
    assert.deepEqual(normalisedWords('Ｓａｌｅｓ\u202e!'), ['sales']);
  });
});
