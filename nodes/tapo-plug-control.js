module.exports = require('../dist/nodes/tapo-plug-control').default;
