module.exports = require('../dist/nodes/tapo-light').default;
