module.exports = require('../dist/nodes/tapo-camera-do').default;
