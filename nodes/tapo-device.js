module.exports = require('../dist/nodes/tapo-device').default;
