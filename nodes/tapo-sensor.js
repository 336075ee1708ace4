module.exports = require('../dist/nodes/tapo-sensor').default;
