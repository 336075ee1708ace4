/**
 * findFfmpeg (src/protocol/ffmpeg.ts): the PATH directories scanned for an executable `ffmpeg`
 * (`ffmpeg.exe` on win32), in order; a directory without one, or a file that is not executable, is
 * passed over. Temporary directories only.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { findFfmpeg } from '../../src/protocol/ffmpeg';

describe('findFfmpeg', () => {
  let root: string;
  let empty: string;
  let withFfmpeg: string;
  let notExecutable: string;

  before(function () {
    if (process.platform === 'win32') this.skip(); // the executable bit is a POSIX matter
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'find-ffmpeg-'));
    empty = path.join(root, 'empty');
    withFfmpeg = path.join(root, 'bin');
    notExecutable = path.join(root, 'noexec');
    for (const dir of [empty, withFfmpeg, notExecutable]) fs.mkdirSync(dir);
    fs.writeFileSync(path.join(withFfmpeg, 'ffmpeg'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    fs.writeFileSync(path.join(notExecutable, 'ffmpeg'), 'not a program\n', { mode: 0o644 });
    fs.mkdirSync(path.join(empty, 'ffmpeg.d'));
  });
  after(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('finds the executable in a later PATH directory, passing over an empty one', () => {
    assert.equal(findFfmpeg({ path: [empty, withFfmpeg].join(':'), platform: 'linux' }), path.join(withFfmpeg, 'ffmpeg'));
  });

  it('passes over a file named ffmpeg that is not executable', () => {
    assert.equal(findFfmpeg({ path: [notExecutable, withFfmpeg].join(':'), platform: 'linux' }), path.join(withFfmpeg, 'ffmpeg'));
    assert.equal(findFfmpeg({ path: notExecutable, platform: 'linux' }), undefined);
  });

  it('undefined when no directory has one (a directory named ffmpeg does not count)', () => {
    fs.mkdirSync(path.join(empty, 'ffmpeg'), { recursive: true });
    assert.equal(findFfmpeg({ path: `${empty}::/nonexistent-dir`, platform: 'linux' }), undefined);
    assert.equal(findFfmpeg({ path: '', platform: 'linux' }), undefined);
  });

  it('on win32 looks for ffmpeg.exe in ;-separated directories', () => {
    fs.writeFileSync(path.join(empty, 'ffmpeg.exe'), '', { mode: 0o644 });
    assert.equal(findFfmpeg({ path: `${withFfmpeg};${empty}`, platform: 'win32' }), path.join(empty, 'ffmpeg.exe'));
    assert.equal(findFfmpeg({ path: withFfmpeg, platform: 'win32' }), undefined);
  });
});
