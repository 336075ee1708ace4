/**
 * How the browser tests find Chromium (test/e2e/browser.ts): a variable first, then PATH, and a
 * failure that names the package to install when there is none. Fake executables in a temporary
 * folder stand in for the browser; nothing is launched.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChromiumNotFound, findChromium } from '../e2e/browser';

describe('browser tests: finding Chromium', () => {
  let tmp = '';
  const bin = (dir: string, name: string, mode = 0o755): string => {
    fs.mkdirSync(path.join(tmp, dir), { recursive: true });
    const file = path.join(tmp, dir, name);
    fs.writeFileSync(file, '#!/bin/sh\n', { mode });
    return file;
  };

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapo-find-chromium-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('CHROMIUM_PATH wins, then CHROME_PATH, over anything on PATH', () => {
    const onPath = bin('a', 'chromium');
    const named = bin('b', 'my-chromium');
    const chrome = bin('c', 'chrome');
    assert.equal(findChromium({ PATH: path.dirname(onPath), CHROMIUM_PATH: named, CHROME_PATH: chrome }), named);
    assert.equal(findChromium({ PATH: path.dirname(onPath), CHROME_PATH: chrome }), chrome);
    assert.equal(findChromium({ PATH: path.dirname(onPath), CHROMIUM_PATH: '' }), onPath, 'an empty variable is not set');
  });

  it('a variable that names no executable fails, naming the variable, rather than looking elsewhere', () => {
    const onPath = bin('a', 'chromium');
    const plain = bin('b', 'not-executable', 0o644);
    for (const value of [path.join(tmp, 'missing'), plain]) {
      assert.throws(
        () => findChromium({ PATH: path.dirname(onPath), CHROMIUM_PATH: value }),
        (e: unknown) => e instanceof ChromiumNotFound && e.message.startsWith(`CHROMIUM_PATH=${value} is not an executable file`),
      );
    }
  });

  it('on PATH: chromium, then chromium-browser, then google-chrome, in PATH order', () => {
    const chrome = bin('first', 'google-chrome');
    const browser = bin('second', 'chromium-browser');
    const pathVar = [path.dirname(chrome), path.dirname(browser)].join(path.delimiter);
    assert.equal(findChromium({ PATH: pathVar }), browser, 'chromium-browser is preferred to google-chrome');
    const chromium = bin('third', 'chromium');
    assert.equal(findChromium({ PATH: `${pathVar}${path.delimiter}${path.dirname(chromium)}` }), chromium);
  });

  it('without any, fails with the Debian package to install and the variables to set', () => {
    bin('empty', 'firefox');
    assert.throws(
      () => findChromium({ PATH: path.join(tmp, 'empty') }),
      (e: unknown) =>
        e instanceof ChromiumNotFound &&
        /install the "chromium" package \(sudo apt-get install -y chromium/.test(e.message) &&
        /CHROMIUM_PATH, CHROME_PATH/.test(e.message) &&
        /chromium, chromium-browser, google-chrome/.test(e.message),
    );
  });
});
