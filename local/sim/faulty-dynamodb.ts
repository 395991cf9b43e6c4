/**
 * A fault-injecting loopback proxy in front of DynamoDB Local: it forwards every
 * request unchanged until told to fail some, then answers those the way
 * DynamoDB does when it throttles or has a fault (the status, the JSON error
 * body with `__type`, the content type), or resets or hangs the connection.
 * Point a ledger at {@link FaultyDynamoDb.endpoint} to take the ledger down for
 * a counted window of requests: counting requests, not milliseconds, keeps a
 * test's outage the same length on a busy machine.
 * Error shapes: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One way a DynamoDB request can fail. */
export type DynamoDbFault =
  | 'throttling'
  | 'provisioned-throughput'
  | 'request-limit'
  | 'internal-server-error'
  | 'service-unavailable'
  /** A TransactWriteItems cancelled because an item's partition was throttled. */
  | 'transaction-throttled'
  /** The connection is reset before any answer (a dropped connection). */
  | 'reset'
  /** No answer at all, until the client gives up (a hung connection). */
  | 'hang';

/** Every fault kind, for a window that cycles through all of them. */
export const ALL_DYNAMODB_FAULTS: readonly DynamoDbFault[] = [
  'provisioned-throughput',
  'throttling',
  'request-limit',
  'internal-server-error',
  'service-unavailable',
  'reset',
];

/** CancellationReasons of a throttled transaction: one per item; the ledger's transactions have at most 4. */
const THROTTLED_REASONS = [{ Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity of your table or index.' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }];

const ERROR_ANSWERS: Readonly<Record<Exclude<DynamoDbFault, 'reset' | 'hang'>, { status: number; type: string; message: string; extra?: object }>> = {
  'throttling': { status: 400, type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' },
  'provisioned-throughput': {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  'request-limit': {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#RequestLimitExceeded',
    message: 'Throughput exceeds the current throughput limit for your account. Please contact AWS Support to request a limit increase',
  },
  'transaction-throttled': {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError, None, None, None]',
    extra: { CancellationReasons: THROTTLED_REASONS },
  },
  'internal-server-error': { status: 500, type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' },
  'service-unavailable': { status: 503, type: 'com.amazon.coral.availability#ServiceUnavailableException', message: 'DynamoDB is currently unavailable. (This should be a temporary state.)' },
};

/** A request the proxy failed: the DynamoDB operation (from `X-Amz-Target`) and how. */
export interface FaultedRequest {
  readonly operation: string;
  readonly fault: DynamoDbFault;
}

export class FaultyDynamoDb {
  /** The requests answered with a fault, in order. */
  public readonly faulted: FaultedRequest[] = [];
  /** How many requests reached DynamoDB Local. */
  public forwarded = 0;
  private remaining = 0;
  private faults: readonly DynamoDbFault[] = [];
  private nextFault = 0;
  private armed: { readonly operation: string; readonly requests: number; readonly faults: readonly DynamoDbFault[] } | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private port = 0;

  private constructor(private readonly target: URL) {
    this.server = createServer((req, res) => {
      this.handle(req, res);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts a proxy on a free loopback port in front of `targetEndpoint` (DynamoDB Local). */
  public static async start(targetEndpoint: string): Promise<FaultyDynamoDb> {
    const target = new URL(targetEndpoint);
    if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') {
      throw new Error(`FaultyDynamoDb forwards to loopback only, not ${target.hostname}`);
    }
    const proxy = new FaultyDynamoDb(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as AddressInfo).port;
    return proxy;
  }

  /** The proxy's endpoint, e.g. `http://127.0.0.1:40123`. */
  public get endpoint(): string {
    return `http://127.0.0.1:${String(this.port)}`;
  }

  /**
   * Fails the next `requests` requests, answering them with `faults` in turn
   * (cycling); requests after them are forwarded again.
   */
  public failNext(requests: number, faults: readonly DynamoDbFault[] = ['internal-server-error']): void {
    if (faults.length === 0) throw new Error('failNext: name at least one fault');
    this.remaining = requests;
    this.faults = faults;
    this.nextFault = 0;
  }

  /**
   * Forwards requests until one of `operation` (e.g. `UpdateItem`) has been
   * forwarded, then fails the `requests` after it as {@link failNext} does:
   * the ledger goes down just after a write gets through.
   */
  public failAfter(operation: string, requests: number, faults: readonly DynamoDbFault[] = ['internal-server-error']): void {
    if (faults.length === 0) throw new Error('failAfter: name at least one fault');
    this.armed = { operation, requests, faults };
  }

  /** Fails every request from now until {@link heal}. */
  public outage(faults: readonly DynamoDbFault[] = ['internal-server-error']): void {
    this.failNext(Number.POSITIVE_INFINITY, faults);
  }

  /** Ends the outage: every request is forwarded again. */
  public heal(): void {
    this.remaining = 0;
    this.armed = undefined;
  }

  /** How many more requests will be failed. */
  public get pendingFaults(): number {
    return this.remaining;
  }

  public async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const target = req.headers['x-amz-target'];
    const operation = (typeof target === 'string' ? target : '').replace(/^DynamoDB_\d+\./, '');
    if (this.remaining > 0) {
      this.remaining -= 1;
      const fault = this.faults[this.nextFault % this.faults.length] ?? 'internal-server-error';
      this.nextFault += 1;
      this.faulted.push({ operation, fault });
      // Drain the body so the client is not left writing into a closed pipe.
      req.resume();
      this.answerFault(req, res, fault);
      return;
    }
    this.forwarded += 1;
    if (this.armed?.operation === operation) {
      this.failNext(this.armed.requests, this.armed.faults);
      this.armed = undefined;
    }
    const upstream = httpRequest(
      { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  private answerFault(req: IncomingMessage, res: ServerResponse, fault: DynamoDbFault): void {
    if (fault === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    if (fault === 'hang') return; // never answered; the client's timeout (or stop()) ends it
    const { status, type, message, extra } = ERROR_ANSWERS[fault];
    const body = JSON.stringify({ __type: type, message, ...extra });
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': `FAULT${String(this.faulted.length).padStart(8, '0')}`,
    });
    res.end(body);
  }
}
