/**
 * The admin endpoint behind the "Onboarding" section of the tapo-device dialog:
 * `POST /tapo-device/onboard` with `{action: "scan"|"join", kind, host, ssid?, bssid?, wifiPassword?,
 * accountUsername?, accountPassword?}`. It opens a throw-away connection with the factory login
 * (src/devices/onboarding.ts), does one scan or one join and closes it. The reply says what happened
 * and never carries a password: `{ok: true, accessPoints}` / `{ok: true, outcome, ssid}`, or
 * `{ok: false, kind, code?, message}` with the message redacted.
 */
import { DeviceConnection } from '../connection/connection';
import type { ConnectionOptions } from '../connection/connection';
import { CAMERA_AP_HOST, CAMERA_FACTORY_PASSWORD, CAMERA_FACTORY_USERNAME, Onboarding } from '../devices/onboarding';
import { TapoError } from '../protocol/errors';
import { errorFacts, isPlainObject, redact, toNodeError } from './shared';
import type { Translate } from './shared';
import type { AdminRequest, AdminResponse, NodeAPI } from './types';

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Runs one onboarding request from the dialog; never rejects, never returns a secret. */
export async function onboardFromEditor(body: unknown, t: Translate): Promise<{ status: number; reply: Record<string, unknown> }> {
  const b = isPlainObject(body) ? body : {};
  const secrets = [text(b.wifiPassword), text(b.accountPassword)].filter((s) => s !== '');
  const action = text(b.action);
  const kind = b.kind === 'plug' ? 'plug' : 'camera';
  const host = text(b.host).trim() || (kind === 'camera' ? CAMERA_AP_HOST : '');
  if ((action !== 'scan' && action !== 'join') || host === '' || /[\s/]/.test(host)) {
    const err = new TapoError('Input', 'onboardingBadAction', { params: { value: action.slice(0, 20) }, sent: false });
    return { status: 400, reply: { ok: false, kind: 'Input', message: redact(toNodeError(t, err).message, secrets) } };
  }
  const options: ConnectionOptions = {
    host,
    kind,
    credentials: kind === 'camera' ? { username: CAMERA_FACTORY_USERNAME, password: CAMERA_FACTORY_PASSWORD } : { username: '', password: '' },
  };
  const connection = new DeviceConnection(options);
  try {
    const onboarding = new Onboarding(connection);
    if (action === 'scan') {
      const scan = await onboarding.scanAccessPoints();
      return { status: 200, reply: { ok: true, accessPoints: scan.accessPoints } };
    }
    const request = { ssid: text(b.ssid), password: text(b.wifiPassword), ...(text(b.bssid) !== '' ? { bssid: text(b.bssid) } : {}) };
    const result =
      kind === 'camera'
        ? await onboarding.joinNetwork(request)
        : await onboarding.onboardPlug({ ...request, account: { username: text(b.accountUsername), password: text(b.accountPassword) } });
    const said = { ssid: result.ssid };
    const message =
      result.outcome === 'joined'
        ? t('tapo-device.onboarding.joined', said)
        : result.outcome === 'left'
          ? t('tapo-device.onboarding.left', said)
          : t('tapo-device.onboarding.sent', said);
    return { status: 200, reply: { ok: true, outcome: result.outcome, ssid: result.ssid, message } };
  } catch (err: unknown) {
    const facts = errorFacts(err);
    const reply: Record<string, unknown> = { ok: false, kind: facts.kind, message: redact(toNodeError(t, err, secrets).message, secrets) };
    if (facts.code !== undefined) reply.code = facts.code;
    return { status: 200, reply };
  } finally {
    await connection.close();
  }
}

/** Registers `POST /tapo-device/onboard` (permission `tapo-device.write`, as "Test connection"). */
export function registerOnboardingEndpoint(RED: NodeAPI, t: Translate): void {
  RED.httpAdmin.post('/tapo-device/onboard', RED.auth.needsPermission('tapo-device.write'), (req: AdminRequest, res: AdminResponse) => {
    onboardFromEditor(req.body, t)
      .then(
        ({ status, reply }) => res.status(status).json(reply),
        () => res.status(500).json({ ok: false, kind: 'Internal', message: t('tapo-device.errors.Internal') }),
      )
      .catch(() => undefined);
  });
}
