import type { ServiceModule } from '../core/service.js';
import { directoryService } from './directory.js';

/** Every Graph area the emulator serves. */
export function allServices(): ServiceModule[] {
  return [directoryService];
}
