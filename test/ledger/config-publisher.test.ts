/**
 * The ConfigPublisher custom resource's work (functions/handlers/config-resource.ts)
 * on DynamoDB Local, and its S3 read (a SigV4-signed GET) against a loopback
 * stand-in of S3: nothing reaches AWS.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it, onTestFinished } from 'vitest';
import { S3ObjectReader } from '../../functions/adapters/aws/s3-object.js';
import { CONFIG_RESOURCE_ID, publishConfigResource } from '../../functions/handlers/config-resource.js';
import { ConfigStore } from '../../functions/ledger/config-store.js';
import { SAMPLE_CONFIG } from '../../local/sample-config.js';
import { configOf } from './config-fixture.js';
import { documentClient, newLedger } from './ledger-fixture.js';

const BASE = {
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response.example/',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Rollgate/1',
  RequestId: 'req-1',
  LogicalResourceId: 'OrchestratorConfigResource',
  ResourceType: 'Custom::RollgateConfig',
};
const PROPERTIES = { ServiceToken: BASE.ServiceToken, Bucket: 'cdk-assets', Key: 'abc.json', Hash: 'abc' };

function event(type: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  if (type === 'Create') return { ...BASE, RequestType: 'Create', ResourceProperties: PROPERTIES };
  if (type === 'Update') return { ...BASE, RequestType: 'Update', PhysicalResourceId: CONFIG_RESOURCE_ID, ResourceProperties: PROPERTIES, OldResourceProperties: { ...PROPERTIES, Hash: 'old' } };
  return { ...BASE, RequestType: 'Delete', PhysicalResourceId: CONFIG_RESOURCE_ID, ResourceProperties: PROPERTIES };
}

async function setUp(objects: Record<string, string>) {
  const { tableName } = await newLedger();
  const store = new ConfigStore({ client: documentClient, tableName });
  const reads: string[] = [];
  const read = (bucket: string, key: string): Promise<string> => {
    reads.push(`${bucket}/${key}`);
    const body = objects[`${bucket}/${key}`];
    return body === undefined ? Promise.reject(new Error(`no ${bucket}/${key}`)) : Promise.resolve(body);
  };
  return { store, reads, deps: { read, store } };
}

describe('ConfigPublisher', () => {
  it('on Create publishes the asset as revision 1, on Update only the difference', async () => {
    const objects: Record<string, string> = { 'cdk-assets/abc.json': JSON.stringify(SAMPLE_CONFIG) };
    const { store, reads, deps } = await setUp(objects);
    expect(await publishConfigResource(deps, event('Create'))).toEqual({ PhysicalResourceId: CONFIG_RESOURCE_ID, Data: { Revision: 1, Put: 2, Deleted: 0 } });
    expect(await store.load()).toEqual({ revision: 1, config: SAMPLE_CONFIG });
    objects['cdk-assets/abc.json'] = JSON.stringify(configOf(1));
    expect(await publishConfigResource(deps, event('Update'))).toEqual({ PhysicalResourceId: CONFIG_RESOURCE_ID, Data: { Revision: 2, Put: 1, Deleted: 2 } });
    expect(reads).toEqual(['cdk-assets/abc.json', 'cdk-assets/abc.json']);
    const stored = await store.head();
    expect(stored).toEqual({ revision: 2, publishing: false });
  });

  it('on Delete reads nothing and leaves the configuration', async () => {
    const { store, reads, deps } = await setUp({ 'cdk-assets/abc.json': JSON.stringify(SAMPLE_CONFIG) });
    await publishConfigResource(deps, event('Create'));
    expect(await publishConfigResource(deps, event('Delete'))).toEqual({ PhysicalResourceId: CONFIG_RESOURCE_ID });
    expect(reads).toHaveLength(1);
    expect((await store.load()).revision).toBe(1);
  });

  it('fails, naming the object, on an asset that is not JSON, and on an invalid configuration naming the field', async () => {
    const { deps } = await setUp({ 'cdk-assets/abc.json': '{' });
    await expect(publishConfigResource(deps, event('Create'))).rejects.toMatchObject({ name: 'InvalidInputError', operation: 's3://cdk-assets/abc.json' });
    const invalid = await setUp({ 'cdk-assets/abc.json': JSON.stringify({ services: [] }) });
    await expect(publishConfigResource(invalid.deps, event('Create'))).rejects.toMatchObject({ name: 'InvalidInputError', operation: 'config', field: 'services' });
  });
});

describe('S3ObjectReader', () => {
  async function s3StandIn(answer: (path: string) => { status: number; body: string }) {
    const requests: { method: string; path: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
      const { status, body } = answer(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/xml' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    }));
    const reader = new S3ObjectReader({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
      endpoint: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    });
    return { reader, requests };
  }

  it('GETs the object path-style, signed for s3 with the payload hash header', async () => {
    const { reader, requests } = await s3StandIn(() => ({ status: 200, body: '{"ok":true}' }));
    expect(await reader.getText('cdk-hnb659fds-assets-123456789012-us-east-1', 'abc123.json')).toBe('{"ok":true}');
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request).toMatchObject({ method: 'GET', path: '/cdk-hnb659fds-assets-123456789012-us-east-1/abc123.json' });
    expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
    expect(request?.headers['x-amz-content-sha256']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it("names S3's error code: a refusal is final, a 5xx retryable", async () => {
    const { reader } = await s3StandIn((path) =>
      path.includes('gone') ? { status: 404, body: '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>' } : { status: 503, body: '<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>' },
    );
    await expect(reader.getText('bucket', 'gone.json')).rejects.toMatchObject({ name: 'CloudProviderError', code: 'NoSuchKey', message: expect.stringContaining('s3://bucket/gone.json') as string });
    await expect(reader.getText('bucket', 'busy.json')).rejects.toMatchObject({ name: 'CloudProviderUnavailableError', code: 'SlowDown' });
  });
});
