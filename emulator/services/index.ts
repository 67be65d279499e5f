import type { ServiceModule } from '../core/service.js';
import { calendarService } from './calendar/index.js';
import { contactsService } from './contacts/index.js';
import { directoryService } from './directory.js';
import { drivesService } from './drives/index.js';
import { listsService } from './lists/index.js';
import { mailService } from './mail/index.js';
import { teamsService } from './teams/index.js';

/** Every Graph area the emulator serves. */
export function allServices(): ServiceModule[] {
  return [
    directoryService,
    mailService,
    contactsService,
    calendarService,
    drivesService,
    listsService,
    teamsService,
  ];
}
