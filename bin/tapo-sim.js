#!/usr/bin/env node
require('../dist/simulator/cli').run();
