/**
 * Reads one S3 object with a SigV4-signed GET: all the ConfigPublisher needs
 * of S3 (the configuration asset `cdk deploy` uploaded), without bundling the
 * whole S3 client for one call. Signed by @smithy/signature-v4, as the SDK
 * signs; S3's own rules: the payload hash goes in `x-amz-content-sha256` and
 * the path is not escaped twice.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { createHash } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { NodeSha256 } from '../../control/sha256.js';
import { CloudProviderError, CloudProviderUnavailableError } from '../../errors.js';

export interface S3ObjectReaderOptions {
  readonly region: string;
  /** @default the SDK's default chain (the function's role on Lambda) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** @default `https://s3.<region>.amazonaws.com` (path-style, so any bucket name works) */
  readonly endpoint?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export class S3ObjectReader {
  private readonly signer: SignatureV4;
  private readonly endpoint: URL;
  private readonly fetch: typeof fetch;

  public constructor(options: S3ObjectReaderOptions) {
    this.signer = new SignatureV4({ service: 's3', region: options.region, credentials: options.credentials ?? defaultProvider(), sha256: NodeSha256, uriEscapePath: false });
    this.endpoint = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`);
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * The object's body as UTF-8 text.
   * @throws CloudProviderUnavailableError S3 answered 5xx or could not be reached (retryable).
   * @throws CloudProviderError any other refusal (403, 404, ...).
   */
  public async getText(bucket: string, key: string): Promise<string> {
    const path = `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const signed = await this.signer.sign({
      method: 'GET',
      protocol: this.endpoint.protocol,
      hostname: this.endpoint.hostname,
      ...(this.endpoint.port === '' ? {} : { port: Number(this.endpoint.port) }),
      path,
      headers: { host: this.endpoint.host, 'x-amz-content-sha256': EMPTY_SHA256 },
    });
    let response: Response;
    try {
      response = await this.fetch(new URL(path, this.endpoint), { method: 'GET', headers: signed.headers });
    } catch (error) {
      throw new CloudProviderUnavailableError('s3', 'GetObject', 'NetworkError', error instanceof Error ? error.message : String(error), { cause: error });
    }
    const body = await response.text();
    if (response.ok) return body;
    const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? `HTTP${String(response.status)}`;
    const message = `s3://${bucket}/${key}: ${/<Message>([^<]+)<\/Message>/.exec(body)?.[1] ?? response.statusText}`;
    if (response.status >= 500) throw new CloudProviderUnavailableError('s3', 'GetObject', code, message);
    throw new CloudProviderError('s3', 'GetObject', code, message);
  }
}
