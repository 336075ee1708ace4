/**
 * English texts of the reasons and hints of onboarding (src/devices/onboarding.ts: a camera in AP
 * mode, camera.md §12; a plug's quick setup, methods-plug.md §7), the `tapo onboard` command and
 * the onboarding section of the tapo-device dialog. No text carries a password.
 */
export const ONBOARDING_REASONS = {
  onboardingCameraAlreadySetUp: 'this camera is already set up (not in onboarding mode): reset it to onboard again',
  onboardingPlugAlreadySetUp: 'this plug is already set up (not in onboarding mode): reset it to onboard again',
  onboardingLoginRefused:
    'the __kind__ refused the factory login (__login__), so it is not waiting to be set up: it is already set up, or this is not its setup network',
  onboardingNoSsid: 'The Wi-Fi network name (SSID) must be 1 to 32 bytes; got __length__.',
  onboardingBadPassword: 'The Wi-Fi password must be 8 to 63 characters, or 64 hexadecimal digits; got __length__ characters.',
  onboardingBadBssid: 'The BSSID must look like aa:bb:cc:dd:ee:ff; got "__value__".',
  onboardingNoSuchNetwork: 'The __kind__ does not see a network "__ssid__"__bssid__; it sees: __seen__.',
  onboardingNoAccount: 'Onboarding a plug needs the TP-Link account (e-mail and password) it is bound to.',
  onboardingWrongFamily: '__action__ is for __wanted__; this device is a __actual__',
  onboardingNoKey: 'the camera sent a public key that cannot be read, so the Wi-Fi password cannot be encrypted for it',
  onboardingKeyRefused: 'the camera could not decrypt the Wi-Fi password (error __code__); nothing was changed',
  onboardingJoinFailed: 'the __kind__ is still in onboarding mode __seconds__ s after it was asked to join "__ssid__": it could not join',
  onboardingBadAction: 'Unknown onboarding action "__value__"; use scan or join.',
} as const;

/** English hints of onboarding. */
export const ONBOARDING_HINTS = {
  onboardingReset:
    'To onboard it again, reset it to factory settings (hold its reset button until the light blinks) and join its own Wi-Fi (a camera\'s is named Tapo_Cam_XXXX) before you try again.',
  onboardingCheckWifiPassword: 'Check the Wi-Fi password and that the network is in range, then join again.',
  onboardingPickNetwork: 'Scan again and choose one of the networks it sees.',
  onboardingScanAgain: 'Scan again, then join.',
  onboardingGiveAccount: 'Give the TP-Link account e-mail and password the plug is to be bound to.',
} as const;
