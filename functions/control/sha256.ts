/**
 * SHA-256 for AWS SigV4 on node:crypto: what the rollgate CLI signs control
 * API requests with and what the local control server verifies them with
 * (both through @smithy/signature-v4, which takes a hash constructor).
 */
import { createHash, createHmac } from 'node:crypto';
import type { Checksum, SourceData } from '@smithy/types';

type Digester = ReturnType<typeof createHash> | ReturnType<typeof createHmac>;

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the signer wants (what @smithy/hash-node does). */
export class NodeSha256 implements Checksum {
  private hash: Digester;

  public constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  public update(data: Uint8Array): void {
    this.hash.update(data);
  }

  public digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  public reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Digester {
    if (this.secret === undefined) return createHash('sha256');
    const key = typeof this.secret === 'string' ? this.secret : Buffer.from(ArrayBuffer.isView(this.secret) ? this.secret.buffer.slice(this.secret.byteOffset, this.secret.byteOffset + this.secret.byteLength) : this.secret);
    return createHmac('sha256', key);
  }
}
