module.exports = require('../dist/nodes/tapo-event').default;
