/**
 * Verifies AWS Signature Version 4 on a request to the local control server,
 * the way API Gateway's AWS_IAM authorization does before the control
 * function sees anything: the signature is recomputed with the caller's
 * secret key (a map of local credentials standing in for IAM) over exactly
 * the headers the caller signed, and compared in constant time; the scope
 * must be today's `us-east-1/execute-api/aws4_request`, the date within 5
 * minutes of now, and the body the one whose hash was signed. A request that
 * passes is the credential's principal ARN; anything else is a named refusal.
 *
 * The recomputation is @smithy/signature-v4's, the signer every AWS SDK and
 * the `rollgate` CLI sign with, so the two sides cannot drift on
 * canonicalization (path escaping, header folding, query order).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import { SignatureV4 } from '@smithy/signature-v4';
import { MissingIdentityError, SignatureMismatchError } from '../functions/control/errors.js';
import { NodeSha256 } from '../functions/control/sha256.js';

/** A local stand-in for an IAM identity: its access key pair and the principal ARN API Gateway would see. */
export interface LocalCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** e.g. `arn:aws:sts::000000000000:assumed-role/Operators/alice` */
  readonly principalArn: string;
}

/** The region and service a control request must be signed for. */
export const CONTROL_SIGNING = { region: 'us-east-1', service: 'execute-api' } as const;

/** How far a request's date may be from now: SigV4's 5 minutes. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** A request as it arrived, for verification. */
export interface SignedRequest {
  readonly method: string;
  /** The path as sent (still percent-encoded), without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | string[]>>;
  /** Header names lower case, as node:http gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function header(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Verifies requests against a fixed set of local credentials. */
export class SigV4Verifier {
  private readonly byKey: ReadonlyMap<string, LocalCredential>;

  public constructor(
    credentials: readonly LocalCredential[],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.byKey = new Map(credentials.map((c) => [c.accessKeyId, c]));
  }

  /**
   * The principal ARN of a correctly signed request.
   *
   * @throws MissingIdentityError no Authorization header (an unsigned request).
   * @throws SignatureMismatchError anything else that does not verify, saying what.
   */
  public async verify(request: SignedRequest): Promise<string> {
    const authorization = header(request, 'authorization');
    if (authorization === undefined) throw new MissingIdentityError('the request is not signed: sign it with AWS SigV4 for execute-api');
    const match = AUTHORIZATION.exec(authorization);
    if (match === null) throw new SignatureMismatchError('the Authorization header is not an AWS4-HMAC-SHA256 signature');
    const [, accessKeyId = '', scopeDate = '', region, service, signedHeaderList = '', signature = ''] = match;
    if (region !== CONTROL_SIGNING.region || service !== CONTROL_SIGNING.service) {
      throw new SignatureMismatchError(`signed for ${String(region)}/${String(service)}, not ${CONTROL_SIGNING.region}/${CONTROL_SIGNING.service}`);
    }
    const credential = this.byKey.get(accessKeyId);
    if (credential === undefined) throw new SignatureMismatchError(`unknown access key ${accessKeyId}`);

    const amzDate = header(request, 'x-amz-date');
    const date = amzDate === undefined ? undefined : AMZ_DATE.exec(amzDate);
    if (amzDate === undefined || date === null || date === undefined) throw new SignatureMismatchError('x-amz-date is missing or not YYYYMMDDTHHMMSSZ');
    const [, y, mo, d, h, mi, s] = date;
    const signingDate = new Date(`${String(y)}-${String(mo)}-${String(d)}T${String(h)}:${String(mi)}:${String(s)}Z`);
    if (Number.isNaN(signingDate.getTime())) throw new SignatureMismatchError('x-amz-date is not a date');
    if (Math.abs(this.now().getTime() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
      throw new SignatureMismatchError(`x-amz-date ${amzDate} is more than 5 minutes away from the server's time`);
    }
    if (scopeDate !== amzDate.slice(0, 8)) throw new SignatureMismatchError('the credential scope date is not the date of x-amz-date');

    const signed = signedHeaderList.split(';');
    if (!signed.includes('host') || !signed.includes('x-amz-date')) throw new SignatureMismatchError('host and x-amz-date must be signed');
    const headers: Record<string, string> = {};
    for (const name of signed) {
      const value = header(request, name);
      if (value === undefined) throw new SignatureMismatchError(`signed header ${name} is missing`);
      headers[name] = value;
    }
    const bodyHash = createHash('sha256').update(request.body).digest('hex');
    const claimed = headers['x-amz-content-sha256'];
    // The signer trusts this header as the payload's hash: it must be the hash of the body received.
    if (claimed !== undefined && !sameText(claimed, bodyHash)) throw new SignatureMismatchError('the body is not the one whose hash was signed');

    const signer = new SignatureV4({
      credentials: { accessKeyId, secretAccessKey: credential.secretAccessKey },
      region: CONTROL_SIGNING.region,
      service: CONTROL_SIGNING.service,
      sha256: NodeSha256,
      applyChecksum: false,
    });
    const resigned = await signer.sign(
      { method: request.method, protocol: 'http:', hostname: headers.host ?? '', path: request.path, query: { ...request.query }, headers, body: request.body },
      { signingDate, signableHeaders: new Set(signed) },
    );
    const expected = AUTHORIZATION.exec(resigned.headers.authorization ?? '');
    if (expected?.[5] !== signedHeaderList || !sameText(expected[6] ?? '', signature)) {
      throw new SignatureMismatchError('the signature is not the one computed for this request with that key');
    }
    return credential.principalArn;
  }
}
