/** Typed failures of the repository; messages name the file and what it affects. */

export class RepositoryError extends Error {
  override name = 'RepositoryError';
}

/** The passphrase does not unlock any key file. */
export class WrongPassphraseError extends RepositoryError {
  override name = 'WrongPassphraseError';
  constructor(detail = '') {
    super(`wrong passphrase: it unlocks none of the repository's keys${detail ? ` (${detail})` : ''}`);
  }
}

/** Data failed authentication or did not match its id: corrupt or tampered with. */
export class IntegrityError extends RepositoryError {
  override name = 'IntegrityError';
  constructor(
    message: string,
    /** The file (pack, index, manifest…) the bad data was read from. */
    readonly file?: string,
  ) {
    super(message);
  }
}

export class RepositoryExistsError extends RepositoryError {
  override name = 'RepositoryExistsError';
}

export class NotARepositoryError extends RepositoryError {
  override name = 'NotARepositoryError';
}

/** A blob an object or manifest needs is not in the index (or its pack is gone). */
export class MissingBlobError extends RepositoryError {
  override name = 'MissingBlobError';
  constructor(
    readonly blobId: string,
    readonly reason: string,
  ) {
    super(`blob ${blobId} is missing: ${reason}`);
  }
}
