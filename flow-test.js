// node-red-contrib-callflow/flow-test, as a project requires it: flow tests of your own flows in CI (docs/releases.md, "Flow test").
'use strict';
module.exports = require('./dist/nodes/flow-test/index.js');
