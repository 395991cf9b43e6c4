/**
 * The control API's own refusals: a request that matches no route, a caller
 * with no verified identity, and a lock that may not be taken over. Each sets
 * `name` to its class name (the `error.name` of a {@link ControlErrorBody}),
 * like every error in functions/errors.ts.
 */
import { RollgateError } from '../errors.js';

/** No control route has this method and path. */
export class RouteNotFoundError extends RollgateError {
  public constructor(
    public readonly method: string,
    public readonly path: string,
  ) {
    super(`no control route ${method} ${path}`);
  }
}

/**
 * The request carries no verified caller: no IAM authorizer context (AWS), or
 * no SigV4 signature (local). Nothing is read or changed.
 */
export class MissingIdentityError extends RollgateError {}

/**
 * A SigV4 signature that does not verify: unknown access key, a signature that
 * differs from the one recomputed, a body whose hash is not the signed one, a
 * date more than 5 minutes away, or a scope of another region or service.
 * `problem` says which (never the secret or the expected signature).
 */
export class SignatureMismatchError extends RollgateError {
  public constructor(public readonly problem: string) {
    super(`request signature does not verify: ${problem}`);
  }
}

/** A take-over of a lock whose holder is alive: its execution runs and its lease has not expired. */
export class LockHeldError extends RollgateError {
  public constructor(
    public readonly service: string,
    public readonly environment: string,
    public readonly holderReleaseId: string,
    public readonly leaseExpiresAt: string,
  ) {
    super(
      `the lock of ${service}/${environment} is held by ${holderReleaseId}, whose execution is still running ` +
        `and whose lease is valid until ${leaseExpiresAt}: abort it instead`,
    );
  }
}

/** Nobody holds the service+environment lock: there is nothing to take over. */
export class LockNotHeldError extends RollgateError {
  public constructor(
    public readonly service: string,
    public readonly environment: string,
  ) {
    super(`nobody holds the lock of ${service}/${environment}`);
  }
}
