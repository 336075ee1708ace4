/**
 * Onboarding against the simulator on 127.0.0.1 (never the camera's AP address): a camera in AP
 * mode (scan, join with the password RSA-encrypted under the scan's key, follow, -40101 after) and
 * a plug's quick setup (set_qs_info). Every assertion on what happened reads the simulator's own
 * state (`device.onboarding.state`, its login counters), not what the client says it did.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CAMERA_FACTORY_PASSWORD, Onboarding } from '../../src/devices/onboarding';
import { DEFAULT_WIFI_PASSWORD } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import { rejection } from '../helpers';
import { useSimulatedDevices } from './sim-harness';

const C210 = 'C210(EU)_2.0_1.4.3';
const P110 = 'P110(UK)_1.0_1.3.0';
const FAST = { followMs: 400, pollMs: 20, sendTimeoutMs: 2_000 };
const ACCOUNT = { username: 'new-owner@example.com', password: 'cloud-pass-1' };

interface RsaKeys {
  rsa_test_keys: { rsa1024: { public_pem: string; private_pem_pkcs8: string } };
}
const vectors = JSON.parse(readFileSync(path.resolve(__dirname, '../vectors/vectors.json'), 'utf8')) as RsaKeys;

describe('onboarding (simulator, 127.0.0.1)', function () {
  this.timeout(30_000);
  const { device, connect } = useSimulatedDevices({ timeoutMs: 5_000 });

  const camera = async (extra: Parameters<typeof device>[0] extends infer O ? Partial<O> : never = {}): Promise<SimulatedDevice> =>
    device({ fixture: C210, scheme: 'camera-secure', onboarding: true, ...extra });
  const cameraSession = (d: SimulatedDevice, password = CAMERA_FACTORY_PASSWORD) =>
    new Onboarding(connect(d, { credentials: { username: 'admin', password } }));

  describe('camera in AP mode', () => {
    it('logs in with the factory password and scans: networks and the device key', async () => {
      const d = await camera();
      const result = await cameraSession(d).scanAccessPoints();
      assert.deepEqual(
        result.accessPoints.map((ap) => ap.ssid),
        ['Home', 'Neighbour 5G', 'Café Gäste'],
      );
      assert.equal(result.key, 'device');
      assert.equal(result.accessPoints[0]?.bssid, 'aa:bb:cc:dd:ee:01');
      assert.equal(d.onboarding.state.active, true);
    });

    it('joins with the right Wi-Fi password: the camera leaves onboarding mode, and a second join is "already set up"', async () => {
      const d = await camera();
      const onboarding = cameraSession(d);
      const result = await onboarding.joinNetwork({ ssid: 'Home', password: DEFAULT_WIFI_PASSWORD }, FAST);
      assert.equal(result.outcome, 'joined');
      assert.equal(result.answered, false, 'the camera switches networks without answering');
      assert.deepEqual(d.onboarding.state.joined, { ssid: 'Home', bssid: 'aa:bb:cc:dd:ee:01' });
      assert.equal(d.onboarding.state.active, false);

      const again = await rejection(cameraSession(d).scanAccessPoints());
      assert.equal(again.kind, 'Unsupported');
      assert.equal(again.reason, 'onboardingCameraAlreadySetUp');
      assert.equal(again.code, -40101);
      assert.match(again.message, /this camera is already set up \(not in onboarding mode\): reset it to onboard again/);
      assert.equal(d.server.failedLoginCount, 0, 'nothing was refused on a credential check');
    });

    it('a wrong Wi-Fi password: the camera stays in onboarding mode and the join says it could not join', async () => {
      const d = await camera();
      const err = await rejection(cameraSession(d).joinNetwork({ ssid: 'Home', password: 'wrong-wifi-pw' }, FAST));
      assert.equal(err.kind, 'Device');
      assert.equal(err.reason, 'onboardingJoinFailed');
      assert.doesNotMatch(err.message, /wrong-wifi-pw/);
      assert.equal(d.onboarding.state.active, true);
      assert.equal(d.onboarding.state.joined, null);
      assert.deepEqual(d.onboarding.state.attempts, [{ ssid: 'Home', joined: false }]);
    });

    it('a wrong onboarding (factory) password: refused once, said plainly, nothing changed', async () => {
      const d = await camera();
      const err = await rejection(cameraSession(d, 'not-the-factory-pw').scanAccessPoints());
      assert.equal(err.kind, 'Authentication');
      assert.equal(err.reason, 'onboardingLoginRefused');
      assert.equal(err.hintKey, 'onboardingReset');
      assert.doesNotMatch(err.message, /not-the-factory-pw/);
      assert.ok(d.server.failedLoginCount <= 1, 'never tried twice');
      assert.equal(d.onboarding.state.active, true);
      assert.deepEqual(d.onboarding.state.attempts, []);
    });

    it('bad inputs are refused before anything is sent and change nothing', async () => {
      const d = await camera();
      const onboarding = cameraSession(d);
      const before = d.requestCount;
      const short = await rejection(onboarding.joinNetwork({ ssid: 'Home', password: 'short' }, FAST));
      assert.equal(short.reason, 'onboardingBadPassword');
      assert.equal(short.sent, false);
      const empty = await rejection(onboarding.joinNetwork({ ssid: '', password: DEFAULT_WIFI_PASSWORD }, FAST));
      assert.equal(empty.reason, 'onboardingNoSsid');
      const bssid = await rejection(onboarding.joinNetwork({ ssid: 'Home', password: DEFAULT_WIFI_PASSWORD, bssid: 'zz' }, FAST));
      assert.equal(bssid.reason, 'onboardingBadBssid');
      assert.equal(d.requestCount, before, 'no request reached the camera');
      const unseen = await rejection(onboarding.joinNetwork({ ssid: 'Elsewhere', password: DEFAULT_WIFI_PASSWORD }, FAST));
      assert.equal(unseen.kind, 'Input');
      assert.equal(unseen.reason, 'onboardingNoSuchNetwork');
      assert.match(unseen.message, /"Home"/);
      assert.deepEqual(d.onboarding.state.attempts, [], 'no join was attempted');
      assert.equal(d.onboarding.state.active, true);
    });

    it('no key in the scan: the password goes under the static key (a stand-in pair here, the app key\'s private half being unknown)', async () => {
      const keys = vectors.rsa_test_keys.rsa1024;
      const d = await camera({ onboardingScanKey: 'none', onboardingStaticKeyPem: keys.private_pem_pkcs8 });
      const onboarding = new Onboarding(connect(d, { credentials: { username: 'admin', password: CAMERA_FACTORY_PASSWORD } }), {
        staticPublicKey: keys.public_pem,
      });
      const scan = await onboarding.scanAccessPoints();
      assert.equal(scan.key, 'app');
      const result = await onboarding.joinNetwork({ ssid: 'Home', password: DEFAULT_WIFI_PASSWORD }, FAST);
      assert.equal(result.outcome, 'joined');
      assert.deepEqual(d.onboarding.state.joined, { ssid: 'Home', bssid: 'aa:bb:cc:dd:ee:01' });
    });

    it('a camera never put in onboarding mode answers -40101: "already set up"', async () => {
      const d = await device({ fixture: C210, scheme: 'camera-secure' });
      const err = await rejection(new Onboarding(connect(d)).scanAccessPoints());
      assert.equal(err.reason, 'onboardingCameraAlreadySetUp');
      assert.equal(err.kind, 'Unsupported');
    });

    it('a legacy-login camera in AP mode takes admin/admin', async () => {
      const d = await camera({ scheme: 'camera-legacy' });
      const scan = await cameraSession(d, 'admin').scanAccessPoints();
      assert.ok(scan.accessPoints.length > 0);
    });
  });

  describe('plug quick setup', () => {
    const plugSession = (d: SimulatedDevice) => new Onboarding(connect(d, { credentials: { username: '', password: '' } }));

    it('scans (base64 SSIDs decoded) and binds the account + joins with set_qs_info', async () => {
      const d = await device({ fixture: P110, scheme: 'klap', onboarding: true });
      const onboarding = plugSession(d);
      const scan = await onboarding.scanAccessPoints();
      assert.deepEqual(
        scan.accessPoints.map((ap) => [ap.ssid, ap.keyType]),
        [
          ['Home', 'wpa2_psk'],
          ['Neighbour 5G', 'wpa2_psk'],
          ['Café Gäste', 'wpa3_sae'],
        ],
      );
      const result = await onboarding.onboardPlug({ ssid: 'Home', password: DEFAULT_WIFI_PASSWORD, account: ACCOUNT }, FAST);
      assert.equal(result.outcome, 'joined');
      assert.equal(d.onboarding.state.active, false);
      assert.equal(d.onboarding.state.boundUsername, ACCOUNT.username);
      // The plug now takes its new account.
      const info = await connect(d, { credentials: ACCOUNT }).request({ method: 'get_device_info' });
      assert.equal(info.error_code, 0);
    });

    it('a wrong Wi-Fi password: nothing bound, still in onboarding mode, a specific error', async () => {
      const d = await device({ fixture: P110, scheme: 'klap', onboarding: true });
      const err = await rejection(plugSession(d).onboardPlug({ ssid: 'Home', password: 'wrong-wifi-pw', account: ACCOUNT }, FAST));
      assert.equal(err.reason, 'onboardingJoinFailed');
      assert.doesNotMatch(err.message, /wrong-wifi-pw|cloud-pass-1/);
      assert.equal(d.onboarding.state.active, true);
      assert.equal(d.onboarding.state.boundUsername, null);
    });

    it('a missing account is refused before anything is sent', async () => {
      const d = await device({ fixture: P110, scheme: 'klap', onboarding: true });
      const err = await rejection(plugSession(d).onboardPlug({ ssid: 'Home', password: DEFAULT_WIFI_PASSWORD, account: { username: '', password: '' } }, FAST));
      assert.equal(err.reason, 'onboardingNoAccount');
      assert.equal(err.sent, false);
      assert.equal(d.requestCount, 0);
    });

    it('a plug not in onboarding mode refuses set_qs_info: "already set up", nothing changed', async () => {
      const d = await device({ fixture: P110, scheme: 'klap' });
      const err = await rejection(new Onboarding(connect(d)).onboardPlug({ ssid: 'Home', password: DEFAULT_WIFI_PASSWORD, account: ACCOUNT }, FAST));
      assert.equal(err.kind, 'Unsupported');
      assert.equal(err.reason, 'onboardingPlugAlreadySetUp');
      assert.equal(err.code, -1201);
      assert.equal(d.onboarding.state.boundUsername, null);
      assert.deepEqual(d.onboarding.state.attempts, []);
    });

    it('camera verbs on a plug are refused as input', async () => {
      const d = await device({ fixture: P110, scheme: 'klap', onboarding: true });
      const err = await rejection(plugSession(d).joinNetwork({ ssid: 'Home', password: DEFAULT_WIFI_PASSWORD }, FAST));
      assert.equal(err.reason, 'onboardingWrongFamily');
    });
  });
});
