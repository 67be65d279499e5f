/**
 * Date-times as Graph serves them. Most resources document UTC with seconds precision and `Z`
 * (`2024-01-01T12:00:00Z`); a few document fractions: Outlook's event and contact timestamps and
 * its import-session expiry carry seven fractional digits, chatMessage timestamps and OneDrive's
 * uploadSession expiry carry milliseconds.
 */

/** `2024-01-01T12:00:00Z`: the default form. */
export const isoSeconds = (ms: number = Date.now()): string =>
  new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `2024-01-01T12:00:00.123Z`: resources whose docs show milliseconds. */
export const isoMillis = (ms: number = Date.now()): string => new Date(ms).toISOString();

/** `2024-01-01T12:00:00.1230000Z`: Outlook's seven fractional digits. */
export const outlookTimestamp = (ms: number = Date.now()): string =>
  new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

/** A dateTimeTimeZone `dateTime` in UTC: seven fractional digits and no offset (`timeZone` says UTC). */
export const utcWallTime = (ms: number): string =>
  new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000');

/** `2024-01-01`: a date-only value. */
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** A client-supplied instant written back: seconds form, milliseconds only when it has them. */
export const isoExact = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
