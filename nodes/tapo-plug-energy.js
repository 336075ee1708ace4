module.exports = require('../dist/nodes/tapo-plug-energy').default;
