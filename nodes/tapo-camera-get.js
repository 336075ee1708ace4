module.exports = require('../dist/nodes/tapo-camera-get').default;
