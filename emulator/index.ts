export { Emulator, type EmulatorInfo, type EmulatorOptions } from './server.js';
export { PROFILES, loadProfile, type ProfileSpec } from './tenant/profile.js';
export { generateClientCertificate, type ClientCertificate } from './tls.js';
export type { MetricsSnapshot } from './core/metrics.js';
export type { ScriptedFault, FaultKind } from './core/faults.js';
export { registerApp, type AppRegistration } from './tenant/apps.js';
export { ALL_APP_PERMISSIONS } from './tenant/directory.js';
